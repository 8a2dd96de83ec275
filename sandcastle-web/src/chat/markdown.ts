// Markdown to safe HTML: marked (GitHub flavour, tables), KaTeX for $…$ and $$…$$, highlight.js for
// code, and DOMPurify over the result. Mermaid and artifact fences become placeholders that the
// message view fills in once their closing fence has arrived.
import { Marked, type Tokens } from 'marked';
import DOMPurify from 'dompurify';
import katex from 'katex';
import 'katex/dist/katex.min.css';
import hljs from 'highlight.js/lib/common';

const marked = new Marked({ gfm: true, breaks: false });

// KaTeX's HTML needs style attributes, which model-written HTML must not have (a style can cover
// the page with a fake dialog). So math renders into numbered slots that the sanitiser lets
// through empty, and KaTeX's output (made here, from text, with trust off) fills them afterwards.
let slots: string[] = [];

function math(source: string, display: boolean): string {
  slots.push(katex.renderToString(source, { displayMode: display, throwOnError: false, output: 'htmlAndMathml', trust: false, maxSize: 50, maxExpand: 1000 }));
  return `<span class="math-slot" data-slot="${slots.length - 1}"></span>`;
}

marked.use({
  extensions: [
    {
      name: 'blockMath',
      level: 'block',
      start: (src: string) => src.match(/^\$\$|^\\\[/m)?.index,
      tokenizer(src: string) {
        const match = /^\$\$([\s\S]+?)\$\$|^\\\[([\s\S]+?)\\\]/.exec(src);
        if (match) return { type: 'blockMath', raw: match[0], text: (match[1] ?? match[2]).trim() };
        return undefined;
      },
      renderer: (token) => `<div class="math">${math(token.text as string, true)}</div>`,
    },
    {
      name: 'inlineMath',
      level: 'inline',
      start: (src: string) => src.match(/\$(?!\s)|\\\(/)?.index,
      tokenizer(src: string) {
        // $x$ needs no space inside its dollars and no digit after, so prices ($5 and $10) stay text
        const match = /^\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)|^\\\(([\s\S]+?)\\\)/.exec(src);
        if (match) return { type: 'inlineMath', raw: match[0], text: match[1] ?? match[2] };
        return undefined;
      },
      renderer: (token) => math(token.text as string, false),
    },
  ],
  renderer: {
    code(token: Tokens.Code): string {
      const lang = (token.lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      const closed = isClosed(token.raw);
      const source = escape(token.text);
      if (lang === 'mermaid') {
        return `<div class="mermaid-block" data-closed="${closed}"><pre class="mermaid-source"><code>${source}</code></pre></div>`;
      }
      const highlighted = lang && hljs.getLanguage(lang) ? hljs.highlight(token.text, { language: lang, ignoreIllegals: true }).value : source;
      const artifact = lang === 'html' || lang === 'svg' ? `<button class="secondary small open-artifact" data-closed="${closed}">Open preview</button>` : '';
      return `<div class="code-block"><div class="code-head"><span>${escape(lang || 'text')}</span>${artifact}<button class="secondary small copy-code" title="Copy the code">Copy</button></div>`
        + `<pre><code class="hljs language-${escape(lang)}">${highlighted}</code></pre></div>`;
    },
  },
});

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** Markdown as sanitised HTML: no scripts, no styles, no forms; math typeset by KaTeX. */
export function renderMarkdown(text: string): string {
  slots = [];
  const html = marked.parse(text, { async: false }) as string;
  const clean = DOMPurify.sanitize(html, { ADD_ATTR: ['data-closed', 'target', 'data-slot'], FORBID_TAGS: UNTRUSTED_TAGS, FORBID_ATTR: ['style'] });
  const typeset = slots;
  return clean.replace(/<span class="math-slot" data-slot="(\d+)"><\/span>/g, (_, i: string) => typeset[Number(i)] ?? '');
}

const UNTRUSTED_TAGS = ['style', 'form', 'input', 'textarea', 'select', 'svg'];

/** HTML that code produced (a DataFrame's table, say), sanitised: no scripts, styles or forms. */
export function sanitizeHtml(html: string): string {
  return DOMPurify.sanitize(html, { FORBID_TAGS: UNTRUSTED_TAGS, FORBID_ATTR: ['style'] });
}

/**
 * SVG (a chart, a Mermaid diagram) as an image URL: sanitised, and shown through <img>, where it
 * runs nothing and its styles cannot reach the page.
 */
export function svgImage(svg: string): string {
  const clean = DOMPurify.sanitize(svg, { USE_PROFILES: { svg: true, svgFilters: true }, ADD_TAGS: ['style'] });
  const bytes = new TextEncoder().encode(clean.includes('xmlns=') ? clean : clean.replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"'));
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

export function highlight(code: string, lang = 'python'): string {
  return hljs.getLanguage(lang) ? hljs.highlight(code, { language: lang, ignoreIllegals: true }).value : escape(code);
}

/** Whether a fenced block's closing fence has arrived (while streaming, the last one may still be open). */
function isClosed(raw: string): boolean {
  return /\n[ \t]*(```|~~~)[ \t]*$/.test(raw.trimEnd());
}

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A fenced block of a message, for artifacts: its language, its text, and whether its closing fence arrived. */
export interface Fence {
  lang: string;
  text: string;
  closed: boolean;
}

/** The fenced code blocks of a message, in order. */
export function fences(markdown: string): Fence[] {
  const out: Fence[] = [];
  for (const token of marked.lexer(markdown)) {
    if (token.type === 'code') {
      const code = token as Tokens.Code;
      out.push({
        lang: (code.lang ?? '').trim().split(/\s+/)[0].toLowerCase(),
        text: code.text,
        closed: isClosed(code.raw),
      });
    }
  }
  return out;
}
