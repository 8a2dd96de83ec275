// A code interpreter block: the code, its live output, images, tables, the result, how long it took,
// and a button that runs it again (in the browser for the Pyodide engine, else on the server).
import { highlight, sanitizeHtml, svgImage } from './markdown';
import { duration, h } from '../ui';

/** One output of a run, as the server sends it (see the interpreter's Outputs). */
export interface Output {
  type: 'stream' | 'display' | 'result' | 'error';
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  url?: string;
  mime_type?: string;
  value?: string;
  traceback?: string[];
}

export interface Execution {
  id: string;
  engine: string;
  code: string;
  status?: string;
  duration_ms?: number;
  outputs: Output[];
  running?: boolean;
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** The block of one execution; call update() as the execution changes. */
export class ExecutionBlock {
  readonly element: HTMLDetailsElement;
  private readonly summary = h('summary', {});
  private readonly outputs = h('div', { class: 'exec-outputs', 'aria-live': 'polite' });
  private readonly rerun = h('button', { class: 'secondary small rerun', title: 'Run this code again' }, 'Re-run');

  constructor(public execution: Execution, onRerun: (block: ExecutionBlock) => void) {
    const code = h('pre', { class: 'exec-code' }, h('code', { class: 'hljs language-python' }));
    code.firstElementChild!.innerHTML = highlight(execution.code);
    this.rerun.addEventListener('click', (e) => {
      e.preventDefault();
      onRerun(this);
    });
    this.element = h('details', { class: 'exec', open: true, 'data-engine': execution.engine }, this.summary, code, this.outputs);
    this.update(execution);
  }

  update(execution: Execution): void {
    this.execution = execution;
    const state = execution.running ? 'running' : execution.status ?? 'ok';
    this.element.dataset.status = state;
    const label = execution.running ? 'Running…' : state === 'ok' ? 'Ran' : state === 'timeout' ? 'Timed out' : state === 'error' ? 'Failed' : state;
    this.summary.replaceChildren(
      h('span', { class: `badge ${state}` }, label),
      h('span', { class: 'muted' }, `Python · ${execution.engine}`),
      h('span', { class: 'muted duration' }, execution.duration_ms !== undefined && !execution.running ? duration(execution.duration_ms) : ''),
      h('span', { class: 'spacer' }),
      this.rerun);
    this.rerun.disabled = !!execution.running;
    this.outputs.replaceChildren(...render(execution.outputs));
  }

  /**
   * Ends a run whose outputs streamed in through add(): the closing ones (a result, an error)
   * follow them, as the browser's Python reports its end.
   */
  finish(done: { status: string; duration_ms: number; outputs: Output[] }): void {
    this.update({ ...this.execution, status: done.status, duration_ms: done.duration_ms,
      outputs: [...this.execution.outputs, ...done.outputs], running: false });
  }

  /** Appends one output while the code runs. */
  add(output: Output): void {
    this.execution.outputs.push(output);
    this.outputs.replaceChildren(...render(this.execution.outputs));
  }
}

/** Outputs as elements: consecutive stream pieces merged, rich data shown in its best form. */
function render(outputs: Output[]): HTMLElement[] {
  const out: HTMLElement[] = [];
  let stream: { name: string; pre: HTMLElement } | null = null;
  for (const output of outputs) {
    if (output.type === 'stream') {
      const name = output.name ?? 'stdout';
      if (!stream || stream.name !== name) {
        stream = { name, pre: h('pre', { class: `stream ${name}` }) };
        out.push(stream.pre);
      }
      stream.pre.textContent += (output.text ?? '').replace(ANSI, '');
      continue;
    }
    stream = null;
    if (output.type === 'error') {
      const trace = (output.traceback ?? []).join('\n').replace(ANSI, '') || `${output.name}: ${output.value}`;
      out.push(h('pre', { class: 'stream stderr error-output' }, trace));
      continue;
    }
    const shown = rich(output);
    if (shown) out.push(shown);
  }
  return out;
}

function rich(output: Output): HTMLElement | null {
  const data = output.data ?? {};
  const text = (mime: string) => {
    const value = data[mime];
    return Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value, null, 2);
  };
  if (output.url && isOutputLink(output.url) && output.mime_type?.startsWith('image/')) {
    return h('img', { class: 'output-image', src: output.url, alt: 'Output image', loading: 'lazy' });
  }
  for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
    const value = text(mime);
    if (value) return h('img', { class: 'output-image', src: `data:${mime};base64,${value.replace(/\s/g, '')}`, alt: 'Output image' });
  }
  const svg = text('image/svg+xml');
  if (svg) return h('img', { class: 'output-image output-svg', src: svgImage(svg), alt: 'Output image (SVG)' });
  const html = text('text/html');
  if (html) {
    const div = h('div', { class: 'output-html' });
    div.innerHTML = sanitizeHtml(html);
    return div;
  }
  const json = text('application/json');
  if (json) return h('pre', { class: 'output-json' }, json);
  const plain = text('text/plain');
  if (plain) return h('pre', { class: `output-text ${output.type}` }, plain.replace(ANSI, ''));
  if (output.url && isOutputLink(output.url)) {
    return h('a', { href: output.url, target: '_blank', rel: 'noopener' }, `Download ${output.mime_type ?? 'file'}`);
  }
  return null;
}

/** Links to stored outputs point at this server's /v1/outputs/; anything else (from a page's engine, say) is not shown. */
function isOutputLink(url: string): boolean {
  try {
    const parsed = new URL(url, location.href);
    return parsed.origin === location.origin && parsed.pathname.startsWith('/v1/outputs/');
  } catch {
    return false;
  }
}
