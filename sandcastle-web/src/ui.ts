// Small DOM helpers: no framework, just elements built in code and events wired where they are made.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | EventListener | undefined | null>;

/** Makes an element: attributes (on* keys become listeners, booleans toggle) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function clear(el: Element): void {
  el.replaceChildren();
}

/** A short message at the bottom of the screen; errors stay until dismissed. */
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  let area = document.getElementById('toasts');
  if (!area) {
    area = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(area);
  }
  const close = h('button', { class: 'icon', 'aria-label': 'Dismiss', title: 'Dismiss' }, '×');
  const item = h('div', { class: `toast ${kind}` }, h('span', {}, message), close);
  close.addEventListener('click', () => item.remove());
  area.appendChild(item);
  if (kind === 'info') setTimeout(() => item.remove(), 4000);
}

/** Bytes as a short human figure. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A duration in milliseconds as "850 ms", "3.2 s" or "2 min 5 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A time as "5 s ago", "3 min ago", or a date. */
export function ago(iso: string | number): string {
  const then = typeof iso === 'number' ? iso : Date.parse(iso);
  const seconds = Math.max(0, Math.round((Date.now() - then) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(then).toLocaleDateString();
}

/** Asks the user a yes/no question in a dialog that the keyboard can answer. */
export function confirmDialog(question: string, yes = 'OK'): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm' },
      h('p', {}, question),
      h('div', { class: 'row end' },
        h('button', { value: 'no', class: 'secondary' }, 'Cancel'),
        h('button', { value: 'yes', class: 'danger' }, yes)));
    dialog.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      if (target instanceof HTMLButtonElement) {
        dialog.close(target.value);
      }
    });
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/** Asks for a line of text. */
export function promptDialog(question: string, initial = ''): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'text', value: initial, 'aria-label': question });
    const form = h('form', { method: 'dialog' },
      h('label', {}, question, input),
      h('div', { class: 'row end' },
        h('button', { value: 'cancel', class: 'secondary', type: 'button' }, 'Cancel'),
        h('button', { value: 'ok', type: 'submit' }, 'OK')));
    const dialog = h('dialog', { class: 'confirm' }, form);
    // Cancel is not a submit button, so Enter in the field (implicit submission) means OK
    form.querySelector('button[value=cancel]')!.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok' ? input.value : null);
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    input.select();
  });
}

/** Saves a blob as a download under a name, through a temporary link. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
