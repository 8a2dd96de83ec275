// The app's side of browser Python: a hidden sandboxed frame running Pyodide (see frame.ts), runs
// for the re-run button and the Python panel, answers the server's runs for the `pyodide` engine
// (over /v1/pyodide), and keeps /mnt/uploads in this app's IndexedDB (the frame, an opaque origin,
// has no storage of its own).
import { token, userId, wsUrl } from '../api';
import type { Output } from '../chat/execution';
import { h, toast } from '../ui';
import type { Entry, FrameToHost, HostToFrame, StoredFile } from './protocol';

export interface Done {
  status: string;
  duration_ms: number;
  outputs: Output[];
}

const TIMEOUT_KEY = 'sandcastle.pyodide.timeout';

/** The time a browser run may take before its worker is restarted, in seconds (user setting). */
export function timeoutSeconds(): number {
  const value = Number(localStorage.getItem(TIMEOUT_KEY));
  return Number.isFinite(value) && value >= 1 && value <= 3600 ? value : 60;
}

export function setTimeoutSeconds(seconds: number): void {
  localStorage.setItem(TIMEOUT_KEY, String(Math.min(3600, Math.max(1, Math.round(seconds)))));
}

class PyodideHost {
  private readonly port: Promise<MessagePort>;
  private readonly runs = new Map<string, { onOutput: (o: Output) => void; resolve: (d: Done) => void }>();
  private readonly fsCalls = new Map<string, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private serving = false;
  private retry = 1000;
  private readyResolve!: (version: string) => void;
  /** Resolves with Pyodide's version once Python is loaded. */
  readonly ready = new Promise<string>((resolve) => (this.readyResolve = resolve));
  /** Called when /mnt/uploads changed (the Python panel refreshes). */
  onFiles: () => void = () => {};

  constructor() {
    const frame = h('iframe', { src: '/ui/pyodide.html', sandbox: 'allow-scripts', title: 'Browser Python', hidden: true, 'aria-hidden': 'true' });
    this.port = new Promise((resolve, reject) => {
      frame.addEventListener('load', async () => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => this.received(event.data as FrameToHost);
        frame.contentWindow!.postMessage({ type: 'connect' }, '*', [channel.port2]);
        try {
          const files = await loadFiles();
          this.post(channel.port1, { type: 'init', base: new URL('/ui/', location.href).href, files });
          resolve(channel.port1);
        } catch (err) {
          reject(err);
        }
      }, { once: true });
    });
    document.body.appendChild(frame);
  }

  /** Runs code in the chat's namespace; outputs stream to onOutput, the end resolves. */
  async run(code: string, onOutput: (o: Output) => void, chat = 'browser', timeoutMs = timeoutSeconds() * 1000): Promise<Done> {
    const port = await this.port;
    const id = crypto.randomUUID();
    return new Promise((resolve) => {
      this.runs.set(id, { onOutput, resolve });
      this.post(port, { type: 'run', id, chat, code, timeoutMs });
    });
  }

  async cancel(id: string): Promise<void> {
    this.post(await this.port, { type: 'cancel', id });
  }

  /** A file operation on the browser's file system. */
  async fs<T = unknown>(op: 'list' | 'read' | 'write' | 'delete' | 'mkdir', path: string, data?: Uint8Array): Promise<T> {
    const port = await this.port;
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      this.fsCalls.set(id, { resolve, reject });
      this.post(port, { type: 'fs', id, op, path, data });
    });
  }

  list(path: string): Promise<Entry[]> {
    return this.fs<Entry[]>('list', path);
  }

  /** Answers the server's requests to run code with the `pyodide` engine, while this page is open. */
  serve(): void {
    if (this.serving) return;
    this.serving = true;
    this.connect();
  }

  private connect(): void {
    const socket = new WebSocket(wsUrl(`/v1/pyodide?user_id=${encodeURIComponent(userId())}`));
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: token() }));
    socket.onmessage = async (event) => {
      const message = JSON.parse(String(event.data));
      if (message.type === 'ready') {
        this.retry = 1000;
        document.documentElement.dataset.pyodide = 'serving';
      } else if (message.type === 'execute') {
        const done = await this.run(String(message.code), (output) => socket.send(JSON.stringify({ type: 'output', id: message.id, output })),
          String(message.chat_id ?? 'default'), Number(message.timeout_ms) || timeoutSeconds() * 1000);
        socket.send(JSON.stringify({ type: 'result', id: message.id, status: done.status, outputs: done.outputs }));
      } else if (message.type === 'cancel') {
        this.cancel(String(message.id));
      }
    };
    socket.onclose = (event) => {
      delete document.documentElement.dataset.pyodide;
      if (event.code >= 4001 && event.code <= 4004) {
        toast(`Browser Python is not connected to the server: ${event.reason || event.code}`, 'error');
        this.serving = false;
        return;
      }
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 30_000);
    };
  }

  private post(port: MessagePort, message: HostToFrame): void {
    port.postMessage(message);
  }

  private received(message: FrameToHost): void {
    switch (message.type) {
      case 'ready':
        this.readyResolve(message.version);
        break;
      case 'failed':
        toast(message.message, 'error');
        break;
      case 'output':
        this.runs.get(message.id)?.onOutput(message.output);
        break;
      case 'done': {
        const run = this.runs.get(message.id);
        this.runs.delete(message.id);
        run?.resolve({ status: message.status, duration_ms: message.duration_ms, outputs: message.outputs });
        break;
      }
      case 'fs': {
        const call = this.fsCalls.get(message.id);
        this.fsCalls.delete(message.id);
        if (message.ok) call?.resolve(message.result);
        else call?.reject(new Error(message.error ?? 'file operation failed'));
        break;
      }
      case 'files':
        saveFiles(message.files, message.paths).then(() => this.onFiles(), (err) => toast(`Browser files not saved: ${err.message}`, 'error'));
        break;
    }
  }
}

// IndexedDB: one database per signed-in user of this browser; one record per file of /mnt/uploads.
function database(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(`sandcastle-pyodide-${userId() || 'user'}`, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('files', { keyPath: 'path' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function loadFiles(): Promise<StoredFile[]> {
  try {
    const db = await database();
    return await new Promise((resolve, reject) => {
      const request = db.transaction('files').objectStore('files').getAll();
      request.onsuccess = () => resolve(request.result as StoredFile[]);
      request.onerror = () => reject(request.error);
    });
  } catch {
    return []; // private browsing without IndexedDB: files live for the page only
  }
}

async function saveFiles(changed: StoredFile[], present: string[]): Promise<void> {
  const db = await database();
  const store = db.transaction('files', 'readwrite').objectStore('files');
  for (const file of changed) store.put(file);
  await new Promise<void>((resolve, reject) => {
    const keys = store.getAllKeys();
    keys.onsuccess = () => {
      for (const key of keys.result) if (!present.includes(String(key))) store.delete(key);
      store.transaction.oncomplete = () => resolve();
    };
    keys.onerror = () => reject(keys.error);
  });
}

let host: PyodideHost | null = null;

export function pyodide(): PyodideHost {
  host ??= new PyodideHost();
  return host;
}
