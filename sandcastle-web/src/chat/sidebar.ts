// The conversation list: new chat, search, rename, delete.
import { api } from '../api';
import { ago, confirmDialog, h, promptDialog, toast } from '../ui';

interface Summary {
  id: string;
  title: string;
  model: string;
  updated_at: string;
}

export class Sidebar {
  readonly element = h('nav', { class: 'sidebar', 'aria-label': 'Conversations' });
  private readonly list = h('ul', { class: 'conversations' });
  private readonly search = h('input', { type: 'search', placeholder: 'Search conversations', 'aria-label': 'Search conversations' });
  private selected: string | null = null;
  private timer = 0;

  constructor() {
    const fresh = h('a', { class: 'button new-chat', href: '#/' }, '+ New chat');
    fresh.addEventListener('click', () => {
      if (location.hash === '#/' || location.hash === '') window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    this.search.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.refresh(), 250);
    });
    this.element.append(fresh, this.search, this.list);
  }

  select(id: string | null): void {
    this.selected = id;
    for (const item of this.list.querySelectorAll<HTMLElement>('li')) {
      item.classList.toggle('selected', item.dataset.id === id);
    }
  }

  async refresh(): Promise<void> {
    const q = this.search.value.trim();
    let page: { items: Summary[]; total: number };
    try {
      page = await api(`/api/conversations?limit=200${q ? `&q=${encodeURIComponent(q)}` : ''}`);
    } catch (err) {
      toast(`Conversations could not be listed: ${(err as Error).message}`, 'error');
      return;
    }
    this.list.replaceChildren(...page.items.map((c) => this.item(c)));
    if (page.items.length === 0) {
      this.list.append(h('li', { class: 'muted small' }, q ? 'Nothing matches.' : 'No conversations yet.'));
    }
    this.select(this.selected ?? (location.hash.match(/^#\/c\/([\w-]+)/)?.[1] ?? null));
  }

  private item(c: Summary): HTMLElement {
    const rename = h('button', { class: 'icon', title: 'Rename', 'aria-label': `Rename ${c.title}` }, '✎');
    const remove = h('button', { class: 'icon', title: 'Delete', 'aria-label': `Delete ${c.title}` }, '×');
    rename.addEventListener('click', async () => {
      const title = await promptDialog('New title', c.title);
      if (!title?.trim()) return;
      try {
        await api(`/api/conversations/${c.id}`, { method: 'PATCH', json: { title: title.trim() } });
        this.refresh();
      } catch (err) {
        toast((err as Error).message, 'error');
      }
    });
    remove.addEventListener('click', async () => {
      if (!(await confirmDialog(`Delete “${c.title}”? This cannot be undone.`, 'Delete'))) return;
      try {
        await api(`/api/conversations/${c.id}`, { method: 'DELETE' });
        if (location.hash === `#/c/${c.id}`) location.hash = '#/';
        this.refresh();
      } catch (err) {
        toast((err as Error).message, 'error');
      }
    });
    return h('li', { 'data-id': c.id },
      h('a', { href: `#/c/${c.id}`, title: c.title }, h('span', { class: 'title' }, c.title || 'Untitled'), h('span', { class: 'muted small' }, ago(c.updated_at))),
      h('span', { class: 'actions' }, rename, remove));
  }
}
