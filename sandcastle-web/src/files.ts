// The workspace file browser: navigate, preview text and images, upload (button or drag and drop,
// with progress), download, rename, delete, new folder, and open a folder in the terminal.
import './files.css';
import { api, ApiError, authHeaders, failure } from './api';
import { icon, type IconName } from './icons';
import type { PanelView } from './panel';
import { ago, confirmDialog, h, promptDialog, saveBlob, size, toast } from './ui';

interface Entry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | string;
  size: number;
  modified: string;
}

interface Listing {
  dir: string;
  entries: Entry[];
}

/** Lines of a text file shown in a preview; the rest is one download away. */
const PREVIEW_LINES = 2000;

/** A path joined under a directory (view paths are absolute, '/'-separated). */
function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function parent(dir: string): string {
  const cut = dir.lastIndexOf('/');
  return cut <= 0 ? '/' : dir.slice(0, cut);
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export class FilesView implements PanelView {
  readonly element = h('div', { class: 'ws-files' });
  private readonly crumbs = h('nav', { class: 'fb-crumbs', 'aria-label': 'Folder path' });
  private readonly rows = h('tbody', {});
  private readonly status = h('p', { class: 'fb-status muted small', role: 'status' });
  private readonly uploads = h('ul', { class: 'fb-uploads', 'aria-label': 'Uploads' });
  private readonly preview = h('section', { class: 'fb-preview', hidden: true, 'aria-label': 'Preview' });
  private readonly picker = h('input', { type: 'file', multiple: true, hidden: true, 'aria-hidden': 'true', tabindex: '-1' });
  private home = '';
  private dir = '';
  private previewUrl: string | null = null;
  private previewSeq = 0;
  private loading: Promise<void> | null = null;

  constructor() {
    const up = this.tool('up', '', 'Parent folder', () => this.dir !== this.home && this.open(parent(this.dir)));
    up.classList.add('fb-up');
    const refresh = this.tool('refresh', '', 'Refresh', () => this.open(this.dir));
    const folder = this.tool('folderPlus', 'Folder', 'New folder', () => this.newFolder());
    const upload = this.tool('upload', 'Upload', 'Upload files', () => this.picker.click());
    const terminal = this.tool('terminal', 'Terminal', 'Open this folder in the terminal', () => this.openInTerminal());
    this.picker.addEventListener('change', () => {
      const files = [...(this.picker.files ?? [])];
      this.picker.value = '';
      void this.upload(files);
    });
    const table = h('table', { class: 'fb-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'num' }, 'Size'),
        h('th', { scope: 'col', class: 'when' }, 'Modified'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      this.rows);
    const drop = h('div', { class: 'fb-drop', 'aria-hidden': 'true' }, 'Drop files to upload them here');
    this.element.append(
      h('div', { class: 'fb-toolbar' }, up, this.crumbs, h('div', { class: 'spacer' }), refresh, folder, upload, terminal),
      this.uploads,
      h('div', { class: 'fb-list' }, table, this.status),
      this.preview, this.picker, drop);
    this.rows.addEventListener('keydown', (e) => this.rowKeys(e));
    this.preview.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation(); // the panel closes on Escape; here it closes the preview only
      const name = this.preview.dataset.name ?? '';
      this.closePreview();
      this.rows.querySelector<HTMLElement>(`tr[data-name="${CSS.escape(name)}"]`)?.focus();
    });
    this.dropTarget();
  }

  shown(): void {
    if (this.loading) return;
    this.loading = (this.home ? this.open(this.dir) : this.start()).finally(() => (this.loading = null));
  }

  /** The folder now shown (an absolute path inside the workspace). */
  get folder(): string {
    return this.dir;
  }

  private async start(): Promise<void> {
    try {
      const cwd = await api<{ home: string; cwd: string }>('/files/cwd');
      this.home = cwd.home;
      await this.open(cwd.home);
    } catch (err) {
      this.status.textContent = `The workspace cannot be reached: ${(err as Error).message}`;
      this.status.classList.add('error');
    }
  }

  private tool(glyph: IconName, label: string, title: string, action: () => unknown): HTMLButtonElement {
    const button = h('button', { class: label ? 'secondary small' : 'icon', title, 'aria-label': title, type: 'button' }, icon(glyph), label);
    button.addEventListener('click', () => action());
    return button;
  }

  /** Lists a folder and shows it. */
  async open(dir: string): Promise<void> {
    let listing: Listing;
    try {
      listing = await api<Listing>(`/files/list?${query({ directory: dir })}`);
    } catch (err) {
      toast(`${dir} cannot be listed: ${(err as Error).message}`, 'error');
      return;
    }
    const changed = listing.dir !== this.dir;
    this.dir = listing.dir;
    this.element.dataset.dir = listing.dir;
    this.status.classList.remove('error');
    this.renderCrumbs();
    this.renderRows(listing.entries);
    if (changed) this.closePreview();
    this.element.querySelector<HTMLButtonElement>('.fb-up')!.disabled = this.dir === this.home;
  }

  private renderCrumbs(): void {
    const parts: { label: string; path: string }[] = [{ label: '~', path: this.home }];
    if (this.dir !== this.home && this.dir.startsWith(this.home + '/')) {
      let path = this.home;
      for (const name of this.dir.slice(this.home.length + 1).split('/')) {
        path = join(path, name);
        parts.push({ label: name, path });
      }
    }
    this.crumbs.replaceChildren(...parts.flatMap((part, i) => {
      const last = i === parts.length - 1;
      const crumb = last
        ? h('span', { class: 'fb-crumb current', 'aria-current': 'location', title: part.path }, part.label)
        : h('button', { class: 'link fb-crumb', type: 'button', title: part.path }, part.label);
      if (!last) crumb.addEventListener('click', () => this.open(part.path));
      return i === 0 ? [crumb] : [h('span', { class: 'muted', 'aria-hidden': 'true' }, '/'), crumb];
    }));
  }

  private renderRows(entries: Entry[]): void {
    const rows: HTMLElement[] = [];
    if (this.dir !== this.home) {
      const row = h('tr', { class: 'fb-row dir', tabindex: '0', 'data-name': '..' },
        h('td', { class: 'name' }, h('span', { class: 'fb-icon' }, icon('parent')), '..'),
        h('td', {}), h('td', { class: 'when' }), h('td', {}));
      row.addEventListener('click', () => this.open(parent(this.dir)));
      row.setAttribute('aria-label', 'Parent folder');
      rows.push(row);
    }
    for (const entry of entries) rows.push(this.row(entry));
    this.rows.replaceChildren(...rows);
    this.status.textContent = entries.length === 0 ? 'This folder is empty. Drop files here or use Upload.' : `${entries.length} item${entries.length === 1 ? '' : 's'}`;
  }

  private row(entry: Entry): HTMLElement {
    const path = join(this.dir, entry.name);
    const dir = entry.type === 'directory';
    const glyph = dir ? 'folder' : entry.type === 'symlink' ? 'link' : 'file';
    const actions = h('td', { class: 'actions' },
      this.rowAction('download', `Download ${entry.name}`, () => this.download(entry)),
      this.rowAction('rename', `Rename ${entry.name}`, () => this.rename(entry)),
      this.rowAction('trash', `Delete ${entry.name}`, () => this.remove(entry)));
    const row = h('tr', { class: `fb-row ${dir ? 'dir' : 'file'}`, tabindex: '0', 'data-name': entry.name, title: path },
      h('td', { class: 'name' }, h('span', { class: 'fb-icon' }, icon(glyph)), h('span', { class: 'fb-name' }, entry.name)),
      h('td', { class: 'num' }, dir ? '' : size(entry.size)),
      h('td', { class: 'when', title: entry.modified }, ago(entry.modified)),
      actions);
    row.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('button')) return;
      void (dir ? this.open(path) : this.show(entry));
    });
    return row;
  }

  private rowAction(glyph: IconName, title: string, action: () => unknown): HTMLButtonElement {
    const button = h('button', { class: 'icon', type: 'button', title, 'aria-label': title }, icon(glyph));
    button.addEventListener('click', (e) => {
      e.stopPropagation();
      action();
    });
    return button;
  }

  /** Enter or Space opens a row; arrows move between rows; Delete asks to delete. */
  private rowKeys(e: KeyboardEvent): void {
    const row = (e.target as HTMLElement).closest<HTMLTableRowElement>('tr.fb-row');
    if (!row || e.target !== row) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      row.click();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
      next?.focus();
    } else if (e.key === 'Backspace' && this.dir !== this.home) {
      e.preventDefault();
      void this.open(parent(this.dir));
    } else if (e.key === 'Delete' && row.dataset.name !== '..') {
      row.querySelector<HTMLButtonElement>('button[aria-label^="Delete"]')?.click();
    }
  }

  // Preview

  private async show(entry: Entry): Promise<void> {
    const path = join(this.dir, entry.name);
    const close = h('button', { class: 'icon', type: 'button', title: 'Close preview', 'aria-label': 'Close preview' }, '×');
    close.addEventListener('click', () => this.closePreview());
    const download = h('button', { class: 'secondary small', type: 'button' }, 'Download');
    download.addEventListener('click', () => this.download(entry));
    const body = h('div', { class: 'fb-preview-body' }, h('p', { class: 'muted small' }, 'Loading…'));
    this.closePreview();
    this.preview.append(h('div', { class: 'fb-preview-head' },
      h('strong', { class: 'fb-name', title: path }, entry.name), h('span', { class: 'muted small' }, size(entry.size)),
      h('div', { class: 'spacer' }), download, close), body);
    this.preview.hidden = false;
    this.preview.dataset.name = entry.name;
    const seq = this.previewSeq;
    const response = await fetch(`/files/read?${query({ path, start_line: '1', end_line: String(PREVIEW_LINES) })}`, { headers: authHeaders() });
    if (seq !== this.previewSeq) return; // another preview (or none) was asked for meanwhile
    if (response.status === 415) {
      body.replaceChildren(h('p', { class: 'muted' }, 'No preview for this kind of file. Download it to open it.'));
      return;
    }
    if (!response.ok) {
      body.replaceChildren(h('p', { class: 'error' }, (await failure(response)).message));
      return;
    }
    const type = response.headers.get('Content-Type') ?? '';
    if (type.startsWith('image/')) {
      const blob = await response.blob();
      if (seq !== this.previewSeq) return;
      this.previewUrl = URL.createObjectURL(blob);
      body.replaceChildren(h('img', { class: 'fb-image', src: this.previewUrl, alt: entry.name }));
      return;
    }
    const text = (await response.json()) as { content: string; total_lines: number };
    if (seq !== this.previewSeq) return;
    const more = text.total_lines > PREVIEW_LINES
      ? h('p', { class: 'muted small' }, `The first ${PREVIEW_LINES} of ${text.total_lines} lines.`) : null;
    body.replaceChildren(h('pre', { class: 'fb-text', tabindex: '0', 'aria-label': `Contents of ${entry.name}` }, text.content), more ?? '');
    close.focus();
  }

  private closePreview(): void {
    this.previewSeq++;
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
    delete this.preview.dataset.name;
    this.preview.replaceChildren();
    this.preview.hidden = true;
  }

  // Actions

  private async download(entry: Entry): Promise<void> {
    const path = join(this.dir, entry.name);
    try {
      const response = entry.type === 'directory'
        ? await fetch('/files/archive', { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify({ paths: [path] }) })
        : await fetch(`/files/view?${query({ path })}`, { headers: authHeaders() });
      if (!response.ok) throw await failure(response);
      saveBlob(await response.blob(), entry.type === 'directory' ? `${entry.name}.zip` : entry.name);
    } catch (err) {
      toast(`${entry.name} could not be downloaded: ${(err as Error).message}`, 'error');
    }
  }

  private async remove(entry: Entry): Promise<void> {
    const what = entry.type === 'directory' ? `the folder ${entry.name} and everything in it` : entry.name;
    if (!(await confirmDialog(`Delete ${what}? This cannot be undone.`, 'Delete'))) return;
    try {
      await api(`/files/delete?${query({ path: join(this.dir, entry.name) })}`, { method: 'DELETE' });
      toast(`Deleted ${entry.name}`);
    } catch (err) {
      toast(`${entry.name} could not be deleted: ${(err as Error).message}`, 'error');
    }
    await this.open(this.dir);
  }

  private async rename(entry: Entry): Promise<void> {
    const name = (await promptDialog(`New name for ${entry.name}`, entry.name))?.trim();
    if (!name || name === entry.name) return;
    if (name.includes('/')) {
      toast('A name cannot contain /', 'error');
      return;
    }
    try {
      await api('/files/move', { method: 'POST', json: { source: join(this.dir, entry.name), destination: join(this.dir, name) } });
    } catch (err) {
      toast(`${entry.name} could not be renamed: ${(err as Error).message}`, 'error');
    }
    await this.open(this.dir);
  }

  private async newFolder(): Promise<void> {
    const name = (await promptDialog('Name of the new folder'))?.trim();
    if (!name) return;
    try {
      await api('/files/mkdir', { method: 'POST', json: { path: join(this.dir, name) } });
    } catch (err) {
      toast(`The folder could not be made: ${(err as Error).message}`, 'error');
      return;
    }
    await this.open(this.dir);
  }

  private async openInTerminal(): Promise<void> {
    const { cdInTerminal } = await import('./terminal');
    window.dispatchEvent(new CustomEvent('sandcastle:open-panel', { detail: 'terminal' }));
    cdInTerminal(this.dir);
  }

  // Uploads

  private dropTarget(): void {
    let depth = 0;
    const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    this.element.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      this.element.classList.add('dragging');
    });
    this.element.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer!.dropEffect = 'copy';
    });
    this.element.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) this.element.classList.remove('dragging');
    });
    this.element.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      this.element.classList.remove('dragging');
      void this.upload([...(e.dataTransfer?.files ?? [])]);
    });
  }

  /** Uploads files one after another into the folder shown, each with its progress bar. */
  async upload(files: File[]): Promise<void> {
    const dir = this.dir;
    for (const file of files) {
      const bar = h('progress', { max: '100', value: '0', 'aria-label': `Uploading ${file.name}` });
      const label = h('span', { class: 'small' }, `${file.name} (${size(file.size)})`);
      const item = h('li', { class: 'fb-upload' }, label, bar);
      this.uploads.append(item);
      try {
        const saved = await this.send(file, dir, (fraction) => (bar.value = Math.round(fraction * 100)));
        const name = saved.slice(saved.lastIndexOf('/') + 1);
        toast(name === file.name ? `Uploaded ${name}` : `Uploaded ${file.name} as ${name}`);
      } catch (err) {
        toast(`${file.name} could not be uploaded: ${(err as Error).message}`, 'error');
      } finally {
        item.remove();
      }
      if (this.dir === dir) await this.open(dir);
    }
  }

  /** One multipart upload through XMLHttpRequest, for its upload progress events. */
  /** Answers the path the server saved the file under (it may clean the name). */
  private send(file: File, dir: string, progress: (fraction: number) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/files/upload?${query({ directory: dir })}`);
      for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener('progress', (e) => e.lengthComputable && progress(e.loaded / e.total));
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          progress(1);
          let path = file.name;
          try {
            path = JSON.parse(xhr.responseText).path ?? path;
          } catch {
            // keep the name sent
          }
          resolve(path);
          return;
        }
        let message = `${xhr.status} ${xhr.statusText}`;
        try {
          const body = JSON.parse(xhr.responseText);
          message = body.detail ?? body.title ?? message;
        } catch {
          // not JSON: keep the status line
        }
        reject(new ApiError(xhr.status, message));
      });
      xhr.addEventListener('error', () => reject(new Error('the connection failed')));
      xhr.addEventListener('abort', () => reject(new Error('cancelled')));
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    });
  }
}
