// The Web Worker that runs Python with Pyodide. It lives inside the opaque-origin Pyodide frame
// and reaches nothing but Sandcastle: Pyodide's own files (/ui/pyodide/) and its packages, which
// the server mirrors (/pyodide/: the lock file and the package files it names).
import type { Entry, StoredFile } from './protocol';
import { UPLOADS } from './protocol';

declare function importScripts(...urls: string[]): void;
declare function loadPyodide(options: Record<string, unknown>): Promise<any>;

let py: any = null;
let packages = ''; // the server's package mirror, ending with '/'
const namespaces = new Map<string, any>();
let current: string | null = null;
/** Where Sandcastle's own Python modules live in the worker's file system (on sys.path). */
const MODULES = '/opt/sandcastle';
const synced = new Map<string, number>(); // path -> mtime already reported

const post = (message: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

async function init(base: string, files: StoredFile[]): Promise<void> {
  importScripts(`${base}pyodide/pyodide.js`);
  const mirror = new URL('/pyodide/', base).href;
  packages = `${mirror}packages/`;
  py = await loadPyodide({
    indexURL: `${base}pyodide/`, lockFileURL: `${mirror}pyodide-lock.json`, packageBaseUrl: packages, fullStdLib: false,
    env: { MPLBACKEND: 'module://_sandcastle_mpl' },
    stdout: (line: string) => stream('stdout', line), stderr: (line: string) => stream('stderr', line),
  });
  py.FS.mkdirTree(MODULES);
  py.FS.writeFile(`${MODULES}/_sandcastle_mpl.py`, MATPLOTLIB_BACKEND);
  py.runPython(`import sys\nsys.path.append(${JSON.stringify(MODULES)})`);
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
    for (const problem of await loadPackages(code)) stream('stderr', problem);
    let ns = namespaces.get(chat);
    if (!ns) {
      ns = py.globals.get('dict')();
      namespaces.set(chat, ns);
    }
    let value;
    try {
      value = await py.runPythonAsync(code, { globals: ns });
    } finally {
      await showFigures();
    }
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

/** Like the server's kernels: the figures still open after a run are shown (and closed). */
async function showFigures(): Promise<void> {
  try {
    await py.runPythonAsync(SHOW_FIGURES, { globals: py.globals });
  } catch (err) {
    const lines = String((err as Error).message ?? err).trim().split('\n');
    stream('stderr', `the run's figures could not be shown: ${lines.at(-1)}`);
  }
}

/**
 * Loads the packages of the lock file the code imports, from the server's mirror. Returns what the
 * user (and the model) should read when some could not be loaded: the server's reason for each
 * refused file (it names the package and the setting), else Pyodide's own message.
 */
async function loadPackages(code: string): Promise<string[]> {
  const errors: string[] = [];
  try {
    await py.loadPackagesFromImports(code, { messageCallback: () => {}, errorCallback: (line: string) => errors.push(line) });
  } catch (err) {
    errors.push(String((err as Error).message ?? err));
  }
  if (errors.length === 0) return [];
  // Pyodide names the packages it could not load; a refused file fails its integrity check, so the
  // server's answer (which says why) is asked for again, by the package's file in the lock.
  const text = errors.join('\n');
  const refused = new Set((text.match(/https?:\/\/[^\s'"]+/g) ?? []).filter((url) => url.startsWith(packages)));
  for (const [, name] of text.matchAll(/while loading ([^\s:]+):/g)) {
    const file = py.lockfile?.packages?.[name.toLowerCase().replace(/[-_.]+/g, '-')]?.file_name;
    if (typeof file === 'string') refused.add(packages + file); // file names of the lock are plain: [A-Za-z0-9._+-]
  }
  const reasons: string[] = [];
  for (const url of [...refused].slice(0, 8)) {
    const name = decodeURIComponent(url.slice(packages.length));
    try {
      const response = await fetch(url);
      if (response.ok) {
        await response.body?.cancel();
        reasons.push(`${name} could not be loaded the first time (the server has it now): run the code again`);
      } else {
        const problem = await response.json().catch(() => null);
        reasons.push(String(problem?.detail ?? `${name}: the server answered HTTP ${response.status}`));
      }
    } catch (err) {
      reasons.push(`${name}: the server could not be reached (${(err as Error).message})`);
    }
  }
  return reasons.length ? reasons : errors;
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

/**
 * matplotlib's backend in the browser (MPLBACKEND names it): figures are drawn with Agg and shown
 * as PNG display outputs of the run, shaped like the server kernels' ("<Figure size WxH>"), on
 * plt.show() and after every run; then they are closed.
 */
const MATPLOTLIB_BACKEND = `
import base64
import io
import sys

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg


def flush():
    import _sandcastle
    import matplotlib.pyplot as plt
    for number in plt.get_fignums():
        figure = plt.figure(number)
        png = io.BytesIO()
        try:
            figure.savefig(png, format="png", bbox_inches="tight")
        except Exception as error:
            print("cannot render figure %s: %s" % (number, error), file=sys.stderr)
            continue
        width, height = figure.get_size_inches()
        _sandcastle.display({"image/png": base64.b64encode(png.getvalue()).decode(),
                             "text/plain": "<Figure size %dx%d>" % (width * figure.dpi, height * figure.dpi)})
    plt.close("all")


class FigureManager(FigureManagerBase):
    @classmethod
    def pyplot_show(cls, *args, **kwargs):
        flush()


class FigureCanvas(FigureCanvasAgg):
    manager_class = FigureManager
`;

/** After each run: the figures still open (a run that drew without plt.show(), or chose another backend) are shown. */
const SHOW_FIGURES = `
import sys as _sys
if "matplotlib.pyplot" in _sys.modules:
    import _sandcastle_mpl
    _sandcastle_mpl.flush()
del _sys
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
