// The side panel: artifacts, the workspace's files, a terminal, and the browser's Python files.
// Views are made when first opened (xterm.js and the file browser load only then).
import { Artifacts } from './chat/artifacts';
import { h, toast } from './ui';

/** A view shown in the side panel. */
export interface PanelView {
  readonly element: HTMLElement;
  /** Called each time the view becomes visible (after it is in the document). */
  shown?(): void;
}

type Name = 'artifacts' | 'files' | 'terminal' | 'python';

const TITLES: Record<Name, string> = { artifacts: 'Artifacts', files: 'Files', terminal: 'Terminal', python: 'Browser Python' };

export class SidePanel {
  readonly element = h('aside', { class: 'panel', id: 'panel', hidden: true, 'aria-label': 'Side panel' });
  readonly artifacts = new Artifacts(() => this.open('artifacts'));
  private readonly views = new Map<Name, PanelView>();
  private readonly tabButtons = new Map<Name, HTMLButtonElement>();
  private readonly body = h('div', { class: 'panel-body' });
  private readonly title = h('h2', {});
  private current: Name | null = null;

  constructor() {
    this.views.set('artifacts', this.artifacts);
    const close = h('button', { class: 'icon', 'aria-label': 'Close panel', title: 'Close panel' }, '×');
    close.addEventListener('click', () => this.close());
    const full = h('button', { class: 'icon', 'aria-label': 'Wide panel', title: 'Wide panel' }, '⤢');
    full.addEventListener('click', () => this.element.classList.toggle('wide'));
    this.element.append(h('div', { class: 'panel-head' }, this.title, h('div', { class: 'spacer' }), full, close), this.body);
    this.element.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.current !== 'terminal') this.close();
    });
    window.addEventListener('sandcastle:open-panel', (e) => this.open((e as CustomEvent).detail as Name));
  }

  /** The buttons of the top bar that open each view. */
  buttons(): HTMLButtonElement[] {
    return (Object.keys(TITLES) as Name[]).map((name) => {
      const button = h('button', { class: 'secondary tab', 'data-panel': name, 'aria-pressed': 'false' }, TITLES[name]);
      button.addEventListener('click', () => (this.current === name ? this.close() : this.open(name)));
      this.tabButtons.set(name, button);
      return button;
    });
  }

  async open(name: Name): Promise<void> {
    let view = this.views.get(name);
    if (!view) {
      try {
        view = await this.make(name);
      } catch (err) {
        toast(`The ${TITLES[name]} panel could not open: ${(err as Error).message}`, 'error');
        return;
      }
      this.views.set(name, view);
    }
    this.current = name;
    this.title.textContent = TITLES[name];
    this.body.replaceChildren(view.element);
    this.element.hidden = false;
    document.body.classList.add('panel-open');
    for (const [n, b] of this.tabButtons) b.setAttribute('aria-pressed', String(n === name));
    view.shown?.();
  }

  close(): void {
    this.current = null;
    this.element.hidden = true;
    document.body.classList.remove('panel-open');
    for (const b of this.tabButtons.values()) b.setAttribute('aria-pressed', 'false');
  }

  private async make(name: Name): Promise<PanelView> {
    switch (name) {
      case 'artifacts':
        return this.artifacts;
      case 'files':
        return new (await import('./files')).FilesView();
      case 'terminal':
        return new (await import('./terminal')).TerminalView();
      case 'python':
        return new (await import('./pyodide/files')).PyodideFilesView();
    }
  }
}
