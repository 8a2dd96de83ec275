// Artifacts: ```html fences (with the ```css and ```js fences that follow them) and ```svg fences
// open in the side panel, in a sandboxed iframe with an opaque origin: their scripts run, but cannot
// touch this page, its storage or its token.
//
// The frame loads /ui/artifact.html and is handed the artifact's document by postMessage, rather
// than getting it as `srcdoc`: a srcdoc document inherits the app's Content-Security-Policy, so
// running the artifact's inline scripts there would need 'unsafe-inline' in the app's own policy.
// artifact.html is served with a policy of its own (sandboxed, inline code allowed) instead.
import type { Fence } from './markdown';
import { h, saveBlob, toast } from '../ui';

export interface Artifact {
  kind: 'html' | 'svg';
  title: string;
  source: string;
}

const SETTINGS_KEY = 'sandcastle.artifacts';
/** Kept across reloads; "same origin" is not: it holds for the artifact on screen only. */
interface Settings {
  forms: boolean;
  csp: boolean;
}

function settings(): Settings {
  try {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}');
    return { forms: saved.forms === true, csp: saved.csp !== false };
  } catch {
    return { forms: false, csp: true };
  }
}

/** The policy put into artifacts when "Restrict" is on: inline code only, no requests to anyone. */
const ARTIFACT_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:";

/** The artifacts of a message's fences: html with the css/js right after it, and svg. */
export function artifactsOf(fences: Fence[]): Artifact[] {
  const out: Artifact[] = [];
  for (let i = 0; i < fences.length; i++) {
    const fence = fences[i];
    if (!fence.closed) continue;
    if (fence.lang === 'svg') {
      out.push({ kind: 'svg', title: 'SVG image', source: fence.text });
    } else if (fence.lang === 'html') {
      let css = '';
      let js = '';
      while (i + 1 < fences.length && fences[i + 1].closed && ['css', 'js', 'javascript'].includes(fences[i + 1].lang)) {
        const next = fences[++i];
        if (next.lang === 'css') css += next.text + '\n';
        else js += next.text + '\n';
      }
      const title = /<title>([^<]{1,80})<\/title>/i.exec(fence.text)?.[1] ?? 'HTML page';
      out.push({ kind: 'html', title, source: compose(fence.text, css, js) });
    }
  }
  return out;
}

function compose(html: string, css: string, js: string): string {
  let doc = /<html[\s>]/i.test(html) ? html : `<!doctype html><html><head><meta charset="utf-8"></head><body>${html}</body></html>`;
  if (css) doc = insertBefore(doc, '</head>', `<style>${css}</style>`);
  if (js) doc = insertBefore(doc, '</body>', `<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`);
  return doc;
}

function insertBefore(doc: string, tag: string, piece: string): string {
  const at = doc.toLowerCase().lastIndexOf(tag);
  return at < 0 ? doc + piece : doc.slice(0, at) + piece + doc.slice(at);
}

/** The artifacts panel: the current artifact in a sandboxed frame, a version switcher and tools. */
export class Artifacts {
  readonly element = h('div', { class: 'artifacts' });
  private versions: Artifact[] = [];
  private index = -1;
  private readonly frameHolder = h('div', { class: 'artifact-frame' });
  private readonly picker = h('select', { 'aria-label': 'Version' });
  private handOver: ((event: MessageEvent) => void) | null = null;
  private readonly empty = h('p', { class: 'muted' }, 'HTML and SVG blocks of the conversation show here.');

  private sameOrigin = false;
  private readonly sameOriginBox = h('input', { type: 'checkbox' });
  private running = false;

  constructor(private readonly reveal: () => void) {
    const s = settings();
    const toggle = (key: keyof Settings, label: string, title: string) => {
      const box = h('input', { type: 'checkbox', checked: s[key] });
      box.addEventListener('change', () => {
        const next = { ...settings(), [key]: box.checked };
        localStorage.setItem(SETTINGS_KEY, JSON.stringify(next));
        this.show(this.running);
      });
      return h('label', { class: 'check', title }, box, label);
    };
    this.sameOriginBox.addEventListener('change', () => {
      this.sameOrigin = this.sameOriginBox.checked;
      this.show(this.running);
    });
    this.picker.addEventListener('change', () => {
      this.index = Number(this.picker.value);
      this.forgetSameOrigin();
      this.show(true);
    });
    const tool = (label: string, title: string, action: () => void) => {
      const b = h('button', { class: 'secondary small', title }, label);
      b.addEventListener('click', action);
      return b;
    };
    this.element.append(
      h('div', { class: 'row wrap artifact-tools' },
        this.picker,
        tool('Copy', 'Copy the source', () => this.copy()),
        tool('Download', 'Download the file', () => this.download()),
        tool('Full screen', 'Show full screen', () => this.frameHolder.requestFullscreen?.())),
      h('details', { class: 'artifact-settings' }, h('summary', {}, 'Frame settings'),
        toggle('csp', 'Restrict (no network, inline code only)', 'Adds a Content-Security-Policy to the artifact'),
        toggle('forms', 'Allow forms', 'sandbox allow-forms'),
        h('label', { class: 'check', title: 'sandbox allow-same-origin, for this artifact only: it could act as you on this server' },
          this.sameOriginBox, 'Allow same origin for this one (unsafe)')),
      this.empty,
      this.frameHolder);
  }

  /**
   * Replaces the list with the conversation's artifacts (e.g. when another conversation opens).
   * Nothing runs until the user asks: a model's page is code the model wrote.
   */
  reset(artifacts: Artifact[]): void {
    this.versions = [...artifacts];
    this.index = this.versions.length - 1;
    this.show(false);
  }

  /** Adds an artifact (unless it is already there) and runs it in the panel: the user asked for it. */
  open(artifact: Artifact): void {
    this.forgetSameOrigin();
    const same = this.versions.findIndex((a) => a.source === artifact.source);
    if (same >= 0) {
      this.index = same;
    } else {
      this.versions.push(artifact);
      this.index = this.versions.length - 1;
    }
    this.show(true);
    this.reveal();
  }

  /** Shows the list; with `run`, the chosen artifact runs in a fresh frame, else a button offers to run it. */
  private show(run: boolean): void {
    this.picker.replaceChildren(...this.versions.map((a, i) => h('option', { value: i, selected: i === this.index }, `v${i + 1}: ${a.title}`)));
    this.empty.hidden = this.versions.length > 0;
    const artifact = this.versions[this.index];
    if (this.handOver) window.removeEventListener('message', this.handOver);
    this.handOver = null;
    this.running = run && !!artifact;
    if (!artifact || !run) {
      if (!artifact) this.forgetSameOrigin();
      const start = h('button', { class: 'secondary' }, 'Run this artifact');
      start.addEventListener('click', () => this.show(true));
      this.frameHolder.replaceChildren(artifact ? h('div', { class: 'artifact-idle' }, start) : '');
      return;
    }
    const s = settings();
    const sandbox = ['allow-scripts', 'allow-downloads', s.forms ? 'allow-forms' : '', this.sameOrigin ? 'allow-same-origin' : ''].filter(Boolean).join(' ');
    let doc = artifact.kind === 'svg'
      ? `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;display:grid;place-items:center;min-height:100vh}svg{max-width:100%;height:auto}</style></head><body>${artifact.source}</body></html>`
      : artifact.source;
    if (s.csp) {
      // first thing in the document (after a doctype), so nothing the artifact wrote comes before it
      const meta = `<meta http-equiv="Content-Security-Policy" content="${ARTIFACT_POLICY}">`;
      doc = doc.replace(/^(\s*<!doctype[^>]*>)?/i, (m) => m + meta);
    }
    const frame = h('iframe', { title: artifact.title, sandbox, referrerpolicy: 'no-referrer', src: '/ui/artifact.html' });
    const hand = (event: MessageEvent) => {
      if (event.source !== frame.contentWindow || event.data?.type !== 'artifact-frame-ready') return;
      window.removeEventListener('message', hand);
      this.handOver = null;
      frame.contentWindow!.postMessage({ artifact: doc }, '*');
    };
    this.handOver = hand;
    window.addEventListener('message', hand);
    this.frameHolder.replaceChildren(frame);
  }

  /** "Same origin" holds for one artifact: another one starts without it. */
  private forgetSameOrigin(): void {
    this.sameOrigin = false;
    this.sameOriginBox.checked = false;
  }

  private copy(): void {
    const artifact = this.versions[this.index];
    if (!artifact) return;
    navigator.clipboard.writeText(artifact.source).then(() => toast('Copied'), () => toast('The clipboard is not available here', 'error'));
  }

  private download(): void {
    const artifact = this.versions[this.index];
    if (!artifact) return;
    const type = artifact.kind === 'svg' ? 'image/svg+xml' : 'text/html';
    saveBlob(new Blob([artifact.source], { type }), `artifact-v${this.index + 1}.${artifact.kind}`);
  }
}
