// Messages between the app (host), the sandboxed Pyodide frame and its worker.
import type { Output } from '../chat/execution';

/** A file of the browser's /mnt/uploads, as kept in IndexedDB. */
export interface StoredFile {
  path: string;
  data: Uint8Array;
}

export interface Entry {
  name: string;
  path: string;
  type: 'file' | 'directory';
  size: number;
  modified: number;
}

export type HostToFrame =
  | { type: 'init'; base: string; files: StoredFile[] }
  | { type: 'run'; id: string; chat: string; code: string; timeoutMs: number }
  | { type: 'cancel'; id: string }
  | { type: 'fs'; id: string; op: 'list' | 'read' | 'write' | 'delete' | 'mkdir'; path: string; data?: Uint8Array };

export type FrameToHost =
  | { type: 'connected' }
  | { type: 'ready'; version: string }
  | { type: 'failed'; message: string }
  | { type: 'output'; id: string; output: Output }
  | { type: 'done'; id: string; status: 'ok' | 'error' | 'timeout'; duration_ms: number; outputs: Output[] }
  | { type: 'fs'; id: string; ok: boolean; result?: unknown; error?: string }
  | { type: 'files'; files: StoredFile[]; paths: string[] };

/** The folder that persists (in the app's IndexedDB) across reloads. */
export const UPLOADS = '/mnt/uploads';
