// The terminal panel (built in the next commit).
import type { PanelView } from './panel';
import { h } from './ui';

export class TerminalView implements PanelView {
  readonly element = h('div', { class: 'terminal' }, h('p', { class: 'muted' }, 'The terminal is being built.'));
}
