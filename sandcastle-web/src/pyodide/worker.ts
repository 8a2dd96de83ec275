// The Web Worker that runs Python with Pyodide. It lives inside the opaque-origin Pyodide frame
// and reaches nothing but Pyodide's own files on the Sandcastle server.
import type { Entry, StoredFile } from './protocol';
import { UPLOADS } from './protocol';

declare function importScripts(...urls: string[]): void;
declare function loadPyodide(options: Record<string, unknown>): Promise<any>;

let py: any = null;
const namespaces = new Map<string, any>();
let current: string | null = null;
let matplotlibReady = false;
const synced = new Map<string, number>(); // path -> mtime already reported

const post = (message: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

async function init(base: string, files: StoredFile[]): Promise<void> {
  importScripts(`${base}pyodide/pyodide.js`);
  py = await loadPyodide({ indexURL: `${base}pyodide/`, fullStdLib: false, stdout: (line: string) => stream('stdout', line), stderr: (line: string) => stream('stderr', line) });
  py.FS.mkdirTree(UPLOADS);
  for (const file of files) {
    const dir = file.path.slice(0, file.path.lastIndexOf('/'));
    py.FS.mkdirTree(dir);
    py.FS.writeFile(file.path, file.data);
    synced.set(file.path, py.FS.stat(file.path).mtime.getTime?.() ?? Number(py.FS.stat(file.path).mtime));
  }
  py.registerJsModule('_sandcastle', {
    display: (bundle: any) => {
      const data = bundle.toJs({ dict_converter: Object.fromEntries });
      bundle.destroy?.();
      if (current) post({ type: 'output', id: current, output: { type: 'display', data } });
    },
  });
  await py.runPythonAsync(REPR, { globals: py.globals });
  post({ type: 'ready', version: py.version });
}

function stream(name: 'stdout' | 'stderr', line: string): void {
  if (current) post({ type: 'output', id: current, output: { type: 'stream', name, text: line + '\n' } });
}

async function run(id: string, chat: string, code: string): Promise<void> {
  const started = performance.now();
  current = id;
  const outputs: unknown[] = [];
  let status: 'ok' | 'error' = 'ok';
  try {
    try {
      await py.loadPackagesFromImports(code);
    } catch (err) {
      // Only the standard library ships with Sandcastle's Pyodide (no CDN): a missing package fails at its import below.
    }
    if (!matplotlibReady && py.loadedPackages?.matplotlib) {
      await py.runPythonAsync(MATPLOTLIB);
      matplotlibReady = true;
    }
    let ns = namespaces.get(chat);
    if (!ns) {
      ns = py.globals.get('dict')();
      namespaces.set(chat, ns);
    }
    const value = await py.runPythonAsync(code, { globals: ns });
    if (matplotlibReady) await py.runPythonAsync('_sandcastle_show_all()', { globals: py.globals });
    if (value !== undefined && value !== null) {
      const shown = py.globals.get('_sandcastle_repr') ?? null;
      const data = shown ? shown(value).toJs({ dict_converter: Object.fromEntries }) : { 'text/plain': String(value) };
      outputs.push({ type: 'result', data });
      value.destroy?.();
    }
  } catch (err) {
    status = 'error';
    const text = String((err as Error).message ?? err);
    const last = text.trim().split('\n').at(-1) ?? text;
    const colon = last.indexOf(':');
    outputs.push({ type: 'error', name: colon > 0 ? last.slice(0, colon) : 'Error', value: colon > 0 ? last.slice(colon + 1).trim() : last, traceback: text.split('\n') });
  } finally {
    current = null;
  }
  post({ type: 'done', id, status, duration_ms: Math.round(performance.now() - started), outputs });
  syncUploads();
}

/** Reports the files of /mnt/uploads that changed, so the host keeps them in IndexedDB. */
function syncUploads(): void {
  const files: StoredFile[] = [];
  const paths: string[] = [];
  const walk = (dir: string) => {
    for (const name of py.FS.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const path = `${dir}/${name}`;
      const stat = py.FS.stat(path);
      if (py.FS.isDir(stat.mode)) {
        walk(path);
        continue;
      }
      paths.push(path);
      const mtime = Number(stat.mtime?.getTime?.() ?? stat.mtime);
      if (synced.get(path) !== mtime) {
        synced.set(path, mtime);
        files.push({ path, data: py.FS.readFile(path) });
      }
    }
  };
  walk(UPLOADS);
  for (const path of [...synced.keys()]) if (!paths.includes(path)) synced.delete(path);
  post({ type: 'files', files, paths }, files.map((f) => f.data.buffer as ArrayBuffer));
}

function fs(op: string, path: string, data?: Uint8Array): unknown {
  const FS = py.FS;
  switch (op) {
    case 'list':
      return (FS.readdir(path) as string[]).filter((n) => n !== '.' && n !== '..').map((name): Entry => {
        const full = path === '/' ? `/${name}` : `${path}/${name}`;
        const stat = FS.stat(full);
        return { name, path: full, type: FS.isDir(stat.mode) ? 'directory' : 'file', size: stat.size, modified: Number(stat.mtime?.getTime?.() ?? stat.mtime) };
      });
    case 'read':
      return FS.readFile(path);
    case 'write':
      FS.mkdirTree(path.slice(0, path.lastIndexOf('/')) || '/');
      FS.writeFile(path, data);
      return null;
    case 'delete':
      if (FS.isDir(FS.stat(path).mode)) FS.rmdir(path);
      else FS.unlink(path);
      return null;
    case 'mkdir':
      FS.mkdirTree(path);
      return null;
  }
  throw new Error(`unknown file operation ${op}`);
}

self.onmessage = async (event: MessageEvent) => {
  const message = event.data;
  if (message.type === 'init') {
    try {
      await init(message.base, message.files);
    } catch (err) {
      post({ type: 'failed', message: `Pyodide could not start: ${(err as Error).message}` });
    }
  } else if (message.type === 'run') {
    await run(message.id, message.chat, message.code);
  } else if (message.type === 'fs') {
    try {
      const result = fs(message.op, message.path, message.data);
      post({ type: 'fs', id: message.id, ok: true, result });
      if (message.op !== 'list' && message.op !== 'read' && String(message.path).startsWith(UPLOADS)) syncUploads();
    } catch (err) {
      post({ type: 'fs', id: message.id, ok: false, error: String((err as Error).message ?? err) });
    }
  }
};

/** matplotlib (when its package is there) draws with Agg; shown figures become PNG display outputs. */
const MATPLOTLIB = `
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as _plt, io as _io, base64 as _b64, _sandcastle
def _sandcastle_show_all(*args, **kwargs):
    for number in _plt.get_fignums():
        buffer = _io.BytesIO()
        _plt.figure(number).savefig(buffer, format="png", bbox_inches="tight")
        _sandcastle.display({"image/png": _b64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"})
    _plt.close("all")
_plt.show = _sandcastle_show_all
`;

/** The value of a run's last expression as MIME data: HTML where the object offers it (a DataFrame), else its repr. */
const REPR = `
def _sandcastle_repr(value):
    data = {"text/plain": repr(value)}
    for method, mime in (("_repr_html_", "text/html"), ("_repr_svg_", "image/svg+xml")):
        render = getattr(value, method, None)
        if callable(render):
            try:
                shown = render()
            except Exception:
                shown = None
            if isinstance(shown, str):
                data[mime] = shown
    return data
`;
