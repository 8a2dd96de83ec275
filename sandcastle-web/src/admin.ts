// The admin dashboard (built in the next commit).
import { h } from './ui';

export class AdminView {
  readonly element = h('section', { class: 'admin' }, h('h1', {}, 'Administration'));
}
