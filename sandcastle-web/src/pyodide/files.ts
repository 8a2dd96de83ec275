// The "Browser Python" panel: run Python in this browser (no server involved once loaded), browse
// its file system (/mnt/uploads persists in this browser), and set how long a run may take.
import type { PanelView } from '../panel';
import { ExecutionBlock, type Execution } from '../chat/execution';
import { confirmDialog, h, promptDialog, saveBlob, size, toast } from '../ui';
import { pyodide, setTimeoutSeconds, timeoutSeconds } from './host';
import type { Entry } from './protocol';
import { UPLOADS } from './protocol';

export class PyodideFilesView implements PanelView {
  readonly element = h('div', { class: 'pyodide-panel' });
  private readonly status = h('p', { class: 'muted small', role: 'status' }, 'Loading Python in this browser…');
  private readonly code = h('textarea', { rows: 4, class: 'mono', 'aria-label': 'Python code', placeholder: 'print(sum(range(10)))' });
  private readonly runButton = h('button', {}, 'Run');
  private readonly result = h('div', { class: 'pyodide-result' });
  private readonly listing = h('ul', { class: 'pyodide-files' });
  private readonly crumbs = h('div', { class: 'row wrap small' });
  private dir = UPLOADS;
  private runs = 0;

  constructor() {
    const host = pyodide();
    host.ready.then((version) => (this.status.textContent = `Python ready (Pyodide ${version}). Runs stay in this browser; ${UPLOADS} is kept across reloads.`));
    host.onFiles = () => this.refresh();
    this.runButton.addEventListener('click', () => this.run());
    this.code.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.run();
      }
    });
    const timeout = h('input', { type: 'number', min: 1, max: 3600, value: timeoutSeconds(), 'aria-label': 'Time limit in seconds', class: 'narrow' });
    timeout.addEventListener('change', () => setTimeoutSeconds(Number(timeout.value)));
    const upload = h('input', { type: 'file', multiple: true, hidden: true });
    upload.addEventListener('change', async () => {
      for (const file of upload.files ?? []) {
        await host.fs('write', `${this.dir}/${file.name}`, new Uint8Array(await file.arrayBuffer()));
      }
      upload.value = '';
      this.refresh();
    });
    const uploadButton = h('button', { class: 'secondary small' }, 'Upload');
    uploadButton.addEventListener('click', () => upload.click());
    const folder = h('button', { class: 'secondary small' }, 'New folder');
    folder.addEventListener('click', async () => {
      const name = await promptDialog('Folder name');
      if (!name || name.includes('/')) return;
      await this.call(() => host.fs('mkdir', `${this.dir}/${name}`));
      this.refresh();
    });
    this.element.append(
      this.status,
      h('label', {}, 'Python', this.code),
      h('div', { class: 'row wrap' }, this.runButton, h('span', { class: 'muted small' }, 'Ctrl+Enter runs'), h('span', { class: 'spacer' }),
        h('label', { class: 'check small' }, 'Time limit (s)', timeout)),
      this.result,
      h('h3', {}, 'Files in this browser'),
      h('div', { class: 'row wrap' }, this.crumbs, h('span', { class: 'spacer' }), uploadButton, folder, upload),
      this.listing);
  }

  shown(): void {
    this.refresh();
    this.code.focus();
  }

  private async run(): Promise<void> {
    const code = this.code.value.trim();
    if (!code) return;
    const execution: Execution = { id: `browser-${++this.runs}`, engine: 'pyodide', code, outputs: [], running: true };
    const block = new ExecutionBlock(execution, (b) => {
      this.code.value = b.execution.code;
      this.run();
    });
    this.result.replaceChildren(block.element);
    this.runButton.disabled = true;
    try {
      block.finish(await pyodide().run(code, (output) => block.add(output)));
    } finally {
      this.runButton.disabled = false;
    }
  }

  private async refresh(): Promise<void> {
    let entries: Entry[];
    try {
      entries = await pyodide().list(this.dir);
    } catch (err) {
      this.listing.replaceChildren(h('li', { class: 'error' }, (err as Error).message));
      return;
    }
    const parts = this.dir.split('/').filter(Boolean);
    this.crumbs.replaceChildren(...parts.map((part, i) => {
      const b = h('button', { class: 'link' }, part);
      b.addEventListener('click', () => {
        this.dir = '/' + parts.slice(0, i + 1).join('/');
        this.refresh();
      });
      return h('span', {}, '/', b);
    }));
    entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'directory' ? -1 : 1));
    this.listing.replaceChildren(...entries.map((entry) => this.row(entry)));
    if (entries.length === 0) this.listing.append(h('li', { class: 'muted small' }, 'Empty folder.'));
  }

  private row(entry: Entry): HTMLElement {
    const open = h('button', { class: 'link' }, entry.type === 'directory' ? `${entry.name}/` : entry.name);
    open.addEventListener('click', () => (entry.type === 'directory' ? this.enter(entry.path) : this.download(entry)));
    const remove = h('button', { class: 'icon', 'aria-label': `Delete ${entry.name}`, title: 'Delete' }, '×');
    remove.addEventListener('click', async () => {
      if (!(await confirmDialog(`Delete ${entry.path}?`, 'Delete'))) return;
      await this.call(() => pyodide().fs('delete', entry.path));
      this.refresh();
    });
    return h('li', {}, open, h('span', { class: 'muted small' }, entry.type === 'file' ? size(entry.size) : ''), h('span', { class: 'spacer' }), remove);
  }

  private enter(path: string): void {
    this.dir = path;
    this.refresh();
  }

  private async download(entry: Entry): Promise<void> {
    const data = await this.call(() => pyodide().fs<Uint8Array>('read', entry.path));
    if (!data) return;
    saveBlob(new Blob([data as BlobPart]), entry.name);
  }

  private async call<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      toast((err as Error).message, 'error');
      return undefined;
    }
  }
}
