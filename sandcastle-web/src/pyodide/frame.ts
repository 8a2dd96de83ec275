// The Pyodide frame: a sandboxed document with an opaque origin (no cookies, no storage, no access
// to the app) that runs one Web Worker with Pyodide, stops it when a run exceeds its time, and
// starts a fresh one. It talks to the app only over the MessagePort the app hands it.
import workerUrl from './worker.ts?worker&url';
import type { FrameToHost, HostToFrame, StoredFile } from './protocol';

let port: MessagePort | null = null;
let worker: Worker | null = null;
let base = '';
let files = new Map<string, Uint8Array>(); // the latest /mnt/uploads, to refill a restarted worker
let workerSource: Promise<string> | null = null;
let ready: Promise<void> = Promise.resolve();
let running: { id: string; timer: number; started: number } | null = null;
const queue: Extract<HostToFrame, { type: 'run' }>[] = [];

function send(message: FrameToHost, transfer: Transferable[] = []): void {
  port?.postMessage(message, transfer);
}

/** Starts a worker; an opaque origin cannot start one from a URL of the server, so it runs from a blob. */
function startWorker(): Promise<void> {
  workerSource ??= fetch(new URL(workerUrl, base).href).then((r) => {
    if (!r.ok) throw new Error(`worker script: HTTP ${r.status}`);
    return r.text();
  });
  ready = workerSource.then((source) => new Promise<void>((resolve, reject) => {
    const blob = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    worker = new Worker(blob);
    worker.onmessage = (event: MessageEvent<FrameToHost>) => {
      const message = event.data;
      if (message.type === 'ready') {
        resolve();
        send(message);
      } else if (message.type === 'failed') {
        reject(new Error(message.message));
        send(message);
      } else if (message.type === 'done') {
        if (running?.id === message.id) finishRun();
        send(message);
      } else if (message.type === 'files') {
        for (const file of message.files) files.set(file.path, file.data);
        for (const path of [...files.keys()]) if (!message.paths.includes(path)) files.delete(path);
        send(message);
      } else {
        send(message);
      }
    };
    worker.onerror = (event) => {
      reject(new Error(event.message || 'the Python worker failed'));
      send({ type: 'failed', message: event.message || 'the Python worker failed' });
    };
    const snapshot: StoredFile[] = [...files].map(([path, data]) => ({ path, data }));
    worker.postMessage({ type: 'init', base, files: snapshot });
  }));
  return ready;
}

function finishRun(): void {
  if (running) clearTimeout(running.timer);
  running = null;
  next();
}

function next(): void {
  if (running || queue.length === 0) return;
  const run = queue.shift()!;
  ready.then(() => {
    running = { id: run.id, started: performance.now(), timer: window.setTimeout(() => stop(run.id, 'timeout', run.timeoutMs), run.timeoutMs) };
    worker!.postMessage(run);
  }, (err) => {
    send({ type: 'done', id: run.id, status: 'error', duration_ms: 0, outputs: [{ type: 'error', name: 'PyodideUnavailable', value: String(err.message), traceback: [] }] });
    next();
  });
}

/** Ends a run that takes too long (or was cancelled): the worker is replaced, its variables are lost. */
function stop(id: string, why: 'timeout' | 'cancel', timeoutMs = 0): void {
  if (running?.id !== id) {
    const queued = queue.findIndex((r) => r.id === id);
    if (queued >= 0) queue.splice(queued, 1);
    return;
  }
  const took = Math.round(performance.now() - running.started);
  worker?.terminate();
  worker = null;
  running = null;
  const value = why === 'timeout'
    ? `the code ran longer than ${Math.round(timeoutMs / 1000)} s; browser Python was restarted, so its variables are gone (files in /mnt/uploads are kept)`
    : 'the run was cancelled; browser Python was restarted, so its variables are gone (files in /mnt/uploads are kept)';
  send({ type: 'done', id, status: why === 'timeout' ? 'timeout' : 'error', duration_ms: took, outputs: [{ type: 'error', name: why === 'timeout' ? 'TimeoutError' : 'Cancelled', value, traceback: [] }] });
  startWorker().catch(() => {});
  next();
}

function onHostMessage(event: MessageEvent<HostToFrame>): void {
  const message = event.data;
  switch (message.type) {
    case 'init':
      base = message.base;
      files = new Map(message.files.map((f) => [f.path, f.data]));
      startWorker().catch(() => {});
      break;
    case 'run':
      queue.push(message);
      next();
      break;
    case 'cancel':
      stop(message.id, 'cancel');
      break;
    case 'fs':
      ready.then(() => worker!.postMessage(message), (err) => send({ type: 'fs', id: message.id, ok: false, error: String(err.message) }));
      break;
  }
}

// The app sends one message with the port; everything else goes over the port.
window.addEventListener('message', (event) => {
  if (port || event.source !== window.parent || !event.ports[0]) return;
  port = event.ports[0];
  port.onmessage = onHostMessage;
  send({ type: 'connected' });
}, { once: false });
