// The workspace file browser (built in the next commit).
import type { PanelView } from './panel';
import { h } from './ui';

export class FilesView implements PanelView {
  readonly element = h('div', { class: 'files' }, h('p', { class: 'muted' }, 'The file browser is being built.'));
}
