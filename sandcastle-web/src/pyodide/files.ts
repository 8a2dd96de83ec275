// The browser Python's files (built in the next commit).
import type { PanelView } from '../panel';
import { h } from '../ui';

export class PyodideFilesView implements PanelView {
  readonly element = h('div', { class: 'files' }, h('p', { class: 'muted' }, 'Browser Python is being built.'));
}
