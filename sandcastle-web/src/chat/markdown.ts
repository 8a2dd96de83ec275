// Markdown to safe HTML: marked (GitHub flavour, tables), KaTeX for $…$ and $$…$$, highlight.js for
// code, and DOMPurify over the result. Mermaid and artifact fences become placeholders that the
// message view fills in once their closing fence has arrived.
import { Marked, type Tokens } from 'marked';
import DOMPurify from 'dompurify';
import katex from 'katex';
import 'katex/dist/katex.min.css';
import hljs from 'highlight.js/lib/common';

const marked = new Marked({ gfm: true, breaks: false });

function math(source: string, display: boolean): string {
  return katex.renderToString(source, { displayMode: display, throwOnError: false, output: 'htmlAndMathml', trust: false, maxSize: 50, maxExpand: 1000 });
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

/** Markdown as sanitised HTML. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false }) as string;
  return DOMPurify.sanitize(html, { ADD_ATTR: ['data-closed', 'target'], FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select'] });
}

/** HTML that code produced (a DataFrame's table, say), sanitised. */
export function sanitizeHtml(html: string): string {
  return DOMPurify.sanitize(html, { FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select'] });
}

/** SVG (a chart, a Mermaid diagram) sanitised with DOMPurify's SVG profile. */
export function sanitizeSvg(svg: string): string {
  return DOMPurify.sanitize(svg, { USE_PROFILES: { svg: true, svgFilters: true }, ADD_TAGS: ['style'] });
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
