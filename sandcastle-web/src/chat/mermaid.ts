// Mermaid fences become diagrams once their closing fence has arrived: rendered by mermaid (loaded
// on first use), sanitised as SVG, with pan and zoom; a syntax error shows its message above the code.
import { svgImage } from './markdown';
import { currentTheme } from '../theme';
import { h } from '../ui';

type Mermaid = typeof import('mermaid').default;
let loading: Promise<Mermaid> | null = null;
let configuredTheme = '';
const rendered = new Map<string, { svg?: string; width?: number; error?: string }>();
let counter = 0;

function mermaid(): Promise<Mermaid> {
  loading ??= import('mermaid').then((m) => m.default);
  return loading.then((m) => {
    const theme = currentTheme();
    if (configuredTheme !== theme) {
      m.initialize({
        startOnLoad: false,
        securityLevel: 'strict',
        theme: theme === 'dark' ? 'dark' : 'default',
        htmlLabels: false,
        flowchart: { htmlLabels: false },
      });
      configuredTheme = theme;
      rendered.clear();
    }
    return m;
  });
}

/** Renders the closed, not yet rendered Mermaid blocks under `root`. */
export async function renderDiagrams(root: HTMLElement): Promise<void> {
  const blocks = root.querySelectorAll<HTMLElement>('.mermaid-block[data-closed="true"]:not([data-rendered])');
  for (const block of blocks) {
    block.dataset.rendered = 'pending';
    const source = block.querySelector('code')?.textContent ?? '';
    let result = rendered.get(source);
    if (!result) {
      const m = await mermaid();
      try {
        await m.parse(source);
        const { svg } = await m.render(`mermaid-${++counter}`, source);
        // mermaid sizes its SVG with width="100%" and a max-width style; an <img> needs the width itself
        const width = Number(/max-width:\s*([\d.]+)px/.exec(svg)?.[1]) || undefined;
        result = { svg: svgImage(svg), width };
      } catch (err) {
        result = { error: (err as Error).message ?? String(err) };
        document.getElementById(`dmermaid-${counter}`)?.remove(); // mermaid leaves its scratch element on errors
      }
      rendered.set(source, result);
    }
    block.dataset.rendered = 'true';
    if (result.svg) {
      block.replaceChildren(diagram(result.svg, result.width), block.querySelector('pre')!);
      block.querySelector('pre')!.hidden = true;
      block.classList.add('has-diagram');
    } else {
      block.prepend(h('p', { class: 'error', role: 'alert' }, `Mermaid could not draw this diagram: ${result.error}`));
    }
  }
}

/** The diagram in a viewport with zoom buttons, wheel zoom and drag to pan; "Code" shows the source. */
function diagram(svg: string, width?: number): HTMLElement {
  // an image: the diagram's styles stay inside it, and nothing in it runs
  const canvas = h('div', { class: 'mermaid-canvas' }, h('img', { class: 'mermaid-image', src: svg, alt: 'Mermaid diagram', draggable: 'false', width: width ? Math.round(width) : undefined }));
  const viewport = h('div', { class: 'mermaid-viewport', tabindex: 0, 'aria-label': 'Diagram: arrow keys pan, + and - zoom' }, canvas);
  let scale = 1, x = 0, y = 0;
  const apply = () => (canvas.style.transform = `translate(${x}px, ${y}px) scale(${scale})`);
  const zoom = (factor: number) => {
    scale = Math.min(8, Math.max(0.2, scale * factor));
    apply();
  };
  viewport.addEventListener('wheel', (e) => {
    if (!e.ctrlKey && !e.metaKey) return; // plain wheel scrolls the chat
    e.preventDefault();
    zoom(e.deltaY < 0 ? 1.1 : 1 / 1.1);
  }, { passive: false });
  let drag: { x: number; y: number } | null = null;
  viewport.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX - x, y: e.clientY - y };
    viewport.setPointerCapture(e.pointerId);
  });
  viewport.addEventListener('pointermove', (e) => {
    if (!drag) return;
    x = e.clientX - drag.x;
    y = e.clientY - drag.y;
    apply();
  });
  viewport.addEventListener('pointerup', () => (drag = null));
  viewport.addEventListener('keydown', (e) => {
    const step = 30;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => (x += step), ArrowRight: () => (x -= step), ArrowUp: () => (y += step), ArrowDown: () => (y -= step),
      '+': () => zoom(1.2), '=': () => zoom(1.2), '-': () => zoom(1 / 1.2), '0': () => { scale = 1; x = 0; y = 0; },
    };
    if (moves[e.key]) {
      e.preventDefault();
      moves[e.key]();
      apply();
    }
  });
  const button = (label: string, title: string, action: () => void) => {
    const b = h('button', { class: 'icon', title, 'aria-label': title }, label);
    b.addEventListener('click', () => {
      action();
      apply();
    });
    return b;
  };
  const tools = h('div', { class: 'mermaid-tools' },
    button('+', 'Zoom in', () => zoom(1.25)),
    button('−', 'Zoom out', () => zoom(0.8)),
    button('⟲', 'Reset view', () => { scale = 1; x = 0; y = 0; }),
    button('</>', 'Show the source', () => {
      const pre = viewport.parentElement?.parentElement?.querySelector('pre');
      if (pre) pre.hidden = !pre.hidden;
    }));
  return h('div', { class: 'mermaid-diagram' }, tools, viewport);
}
