// The terminal panel: xterm.js over the workspace's PTY WebSocket. The terminal's id is kept in
// sessionStorage, so a reload reattaches to the same shell (the server replays its scrollback)
// while it still exists; otherwise a new one is made.
import '@xterm/xterm/css/xterm.css';
import './terminal.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import { api, ApiError, token, userId, wsUrl } from './api';
import type { PanelView } from './panel';
import { currentTheme } from './theme';
import { confirmDialog, h, toast } from './ui';

const ID_KEY = 'sandcastle.terminal';
/** Close codes of the terminal socket (see TerminalRoutes and TenantAccess). */
const CLOSE_REASONS: Record<number, string> = {
  1000: 'closed', 1001: 'the server is going away', 1006: 'the connection dropped', 1009: 'a message was too large',
  1011: 'server error', 1013: 'the server is busy', 4001: 'authentication failed', 4002: 'no user id',
  4003: 'not allowed, or the workspace is unreachable', 4004: 'the terminal no longer exists',
};

let active: TerminalView | null = null;
let pendingCd: string | null = null;

/** Makes the terminal's shell change to a directory: now if it is connected, else once it is. */
export function cdInTerminal(dir: string): void {
  if (active?.connected) active.cd(dir);
  else pendingCd = dir;
}

window.addEventListener('sandcastle:terminal-cd', (e) => cdInTerminal(String((e as CustomEvent).detail)));

/** A string as one single-quoted shell word. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The terminal's colours from the page's custom properties, with ANSI colours readable on them. */
function theme(): ITheme {
  const dark = currentTheme() === 'dark';
  const ansi: ITheme = dark
    ? { black: '#3b3731', red: '#ff8a80', green: '#a5d6a7', yellow: '#ffd54f', blue: '#8ab4f8', magenta: '#e1a6f0', cyan: '#80deea', white: '#ece8e1',
        brightBlack: '#7d766c', brightRed: '#ffab91', brightGreen: '#c5e1a5', brightYellow: '#fff59d', brightBlue: '#aecbfa', brightMagenta: '#f3c1ff', brightCyan: '#b2ebf2', brightWhite: '#ffffff' }
    : { black: '#1f1d1a', red: '#b3261e', green: '#2e7d32', yellow: '#8a5a00', blue: '#1a5fb4', magenta: '#8e3fa6', cyan: '#00727a', white: '#d9d2c3',
        brightBlack: '#6b655c', brightRed: '#d93025', brightGreen: '#388e3c', brightYellow: '#9a6700', brightBlue: '#1a73e8', brightMagenta: '#a347ba', brightCyan: '#00838f', brightWhite: '#fbfaf7' };
  const accent = cssVar('--accent') || '#b07a24';
  return {
    ...ansi,
    background: cssVar('--code-bg') || cssVar('--bg'),
    foreground: cssVar('--fg'),
    cursor: accent,
    cursorAccent: cssVar('--bg'),
    selectionBackground: `${accent}66`,
  };
}

export class TerminalView implements PanelView {
  readonly element = h('div', { class: 'ws-terminal' });
  private readonly host = h('div', { class: 'term-host' });
  private readonly state = h('span', { class: 'term-state small muted', role: 'status' }, 'Not connected');
  private readonly reconnect = h('button', { class: 'secondary small', type: 'button', hidden: true }, 'Reconnect');
  private readonly fresh = h('button', { class: 'secondary small', type: 'button', title: 'Close this shell and start a new one' }, 'New terminal');
  private readonly term = new Terminal({
    cursorBlink: true,
    fontFamily: cssVar('--mono') || 'monospace',
    fontSize: 13,
    scrollback: 5000,
    theme: theme(),
  });
  private readonly fit = new FitAddon();
  private readonly encoder = new TextEncoder();
  private socket: WebSocket | null = null;
  private id: string | null = null;
  private started = false;
  connected = false;

  constructor() {
    this.element.append(h('div', { class: 'term-bar' }, this.state, h('div', { class: 'spacer' }), this.reconnect, this.fresh), this.host);
    this.term.loadAddon(this.fit);
    this.term.onData((data) => this.send(this.encoder.encode(data)));
    this.term.onBinary((data) => this.send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    this.term.onResize(({ cols, rows }) => this.sendResize(cols, rows));
    this.reconnect.addEventListener('click', () => void this.connect());
    this.fresh.addEventListener('click', () => void this.replace());
    new ResizeObserver(() => this.refit()).observe(this.host);
    const retheme = () => (this.term.options.theme = theme());
    window.addEventListener('sandcastle:theme', retheme);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', retheme);
    active = this;
  }

  shown(): void {
    if (!this.started) {
      this.started = true;
      this.term.open(this.host);
      this.refit();
      void this.connect();
    } else {
      this.refit();
    }
    this.term.focus();
  }

  /** Types a cd to a directory into the shell (after clearing the line being typed). */
  cd(dir: string): void {
    this.send(this.encoder.encode(`\x15cd -- ${shellQuote(dir)}\r`));
    this.term.focus();
  }

  private refit(): void {
    if (!this.started || this.host.clientWidth === 0 || this.host.clientHeight === 0) return;
    try {
      this.fit.fit();
    } catch {
      // not laid out yet
    }
  }

  private send(data: Uint8Array): void {
    if (this.connected && this.socket?.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  private sendResize(cols: number, rows: number): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  private setState(state: 'connecting' | 'connected' | 'closed', text: string, problem = false): void {
    this.state.textContent = text;
    this.state.classList.toggle('error', problem);
    this.element.dataset.state = state;
    this.fresh.hidden = state !== 'connected';
  }

  /** The terminal to attach to: the one of this tab if it still exists, else a new one. */
  private async terminalId(): Promise<string> {
    const kept = sessionStorage.getItem(ID_KEY);
    if (kept) {
      try {
        await api(`/api/terminals/${encodeURIComponent(kept)}`);
        return kept;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    const made = await api<{ id: string }>('/api/terminals', { method: 'POST' });
    sessionStorage.setItem(ID_KEY, made.id);
    return made.id;
  }

  private async connect(): Promise<void> {
    this.socket?.close();
    this.reconnect.hidden = true;
    this.setState('connecting', 'Connecting…');
    try {
      this.id = await this.terminalId();
    } catch (err) {
      this.setState('closed', `The terminal could not be opened: ${(err as Error).message}`, true);
      this.reconnect.hidden = false;
      return;
    }
    const user = userId();
    const socket = new WebSocket(wsUrl(`/api/terminals/${encodeURIComponent(this.id)}?user_id=${encodeURIComponent(user)}`));
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'auth', token: token() ?? '' }));
      this.connected = true;
      this.setState('connected', 'Connected');
      this.term.reset(); // the server replays the scrollback
      // a resize after attaching also makes a full-screen program redraw
      this.sendResize(this.term.cols, this.term.rows);
      if (pendingCd !== null) {
        const dir = pendingCd;
        pendingCd = null;
        this.cd(dir);
      }
    });
    socket.addEventListener('message', (e) => {
      if (typeof e.data === 'string') this.term.write(e.data);
      else this.term.write(new Uint8Array(e.data as ArrayBuffer));
    });
    socket.addEventListener('close', (e) => {
      if (this.socket !== socket) return; // replaced by a newer connection
      this.connected = false;
      this.socket = null;
      this.closed(e.code, e.reason);
    });
  }

  /** Says why the socket closed, and offers to reconnect or start again. */
  private closed(code: number, reason: string): void {
    let exit: { exit_code?: number; signal?: number } | null = null;
    try {
      exit = code === 1000 && reason.startsWith('{') ? JSON.parse(reason) : null;
    } catch {
      exit = null;
    }
    let message: string;
    if (exit) {
      sessionStorage.removeItem(ID_KEY);
      message = exit.signal ? `The shell was ended by signal ${exit.signal}.` : `The shell exited with code ${exit.exit_code ?? 0}.`;
    } else {
      if (code === 4004) sessionStorage.removeItem(ID_KEY);
      message = `Disconnected (code ${code}: ${reason || CLOSE_REASONS[code] || 'no reason given'}).`;
    }
    this.term.write(`\r\n\x1b[2m[${message}]\x1b[0m\r\n`);
    this.setState('closed', message, !exit);
    this.reconnect.textContent = exit || code === 4004 ? 'Start a new shell' : 'Reconnect';
    this.reconnect.hidden = false;
  }

  /** Closes this tab's shell (after asking, while it runs) and starts a new one. */
  private async replace(): Promise<void> {
    if (this.connected && !(await confirmDialog('Close this shell and whatever runs in it, and start a new one?', 'New terminal'))) return;
    const old = this.id;
    sessionStorage.removeItem(ID_KEY);
    const socket = this.socket;
    this.socket = null;
    this.connected = false;
    socket?.close();
    if (old) {
      try {
        await api(`/api/terminals/${encodeURIComponent(old)}`, { method: 'DELETE' });
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) toast(`The old shell could not be closed: ${(err as Error).message}`, 'error');
      }
    }
    this.term.reset();
    await this.connect();
  }
}
