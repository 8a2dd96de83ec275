// Calls to the Sandcastle server: one place for the session token, errors and event streams.

const TOKEN_KEY = 'sandcastle.token';

export interface Account {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'user';
}

/** An error the server explained (problem+json detail, or an OpenAI-style error). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

/**
 * Signs this session out: forgets the token here first (so nothing else sends it), then asks the
 * server to refuse it from now on. A failure to reach the server is ignored: the token is gone
 * from this browser either way (and expires on its own).
 */
export async function signOut(): Promise<void> {
  const t = token();
  setToken(null);
  if (!t) return;
  try {
    await fetch('/api/auth/signout', { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
  } catch {
    // offline or unreachable: forgetting the token locally is all that can be done
  }
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** Calls the server and answers its JSON (or nothing for 204); throws ApiError with the server's message. */
export async function api<T = unknown>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) };
  let body = init.body;
  if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const response = await fetch(path, { ...init, headers, body });
  if (!response.ok) {
    throw await failure(response);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('Content-Type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

export async function failure(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const text = await response.text();
    const body = JSON.parse(text);
    message = body.detail ?? body.error?.message ?? body.title ?? message;
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401 && token()) {
    setToken(null);
    window.dispatchEvent(new CustomEvent('sandcastle:signed-out'));
  }
  return new ApiError(response.status, message);
}

/** A WebSocket URL on this server for a path. */
export function wsUrl(path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

/**
 * Posts a JSON body and reads the answer as server-sent events, calling onEvent with each parsed
 * `data:` object until `[DONE]`. Stops when the signal aborts.
 */
export async function streamEvents(path: string, body: unknown, onEvent: (data: any) => void, signal?: AbortSignal): Promise<void> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { ...authHeaders(), 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok || !response.body) {
    throw await failure(response);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
      if (!data) continue;
      if (data === '[DONE]') return;
      onEvent(JSON.parse(data));
    }
  }
}

/** Reads the claims of our own session token (the server verifies it; this is for display only). */
export function claims(): { sub?: string; id?: string; role?: string; exp?: number } {
  const t = token();
  if (!t) return {};
  try {
    const payload = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

/** The signed-in user's id as the token names it (ours: sub; Open WebUI's: id). Sockets send it as user_id. */
export function userId(): string {
  const c = claims();
  return c.sub ?? c.id ?? '';
}
