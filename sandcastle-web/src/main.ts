// The app: signs the user in, then lays out the conversation list, the chat and the side panels.
import './style.css';
import { api, ApiError, claims, setToken, signOut as endSession, token, userId, type Account } from './api';
import { signIn } from './auth';
import { ChatView } from './chat/chat';
import { Sidebar } from './chat/sidebar';
import { SidePanel } from './panel';
import { confirmDialog, h, toast } from './ui';
import { applyTheme, toggleTheme } from './theme';

const root = document.getElementById('app')!;
applyTheme();

/**
 * An Open WebUI (or other trusted) token handed over in the address: #token=... A link can carry
 * anyone's token, so it is taken only when nobody is signed in here, and only after the person
 * has seen whose account it opens and agreed. The address is cleaned either way.
 */
async function adoptTokenFromAddress(): Promise<void> {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  history.replaceState(null, '', location.pathname);
  if (token()) return;
  setToken(decodeURIComponent(match[1]));
  let who: string;
  try {
    const account = await api<Account>('/api/auth/me');
    who = `${account.name} <${account.email}>`;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) {
      setToken(null);
      return; // not a token this server accepts: the sign-in form follows
    }
    who = `the Open WebUI user ${userId()}`;
  }
  if (!(await confirmDialog(`This link signs you in as ${who}. Continue only if that is you.`, 'Sign in'))) {
    setToken(null);
  }
}

async function currentAccount(): Promise<Account | null> {
  if (!token()) return null;
  try {
    return await api<Account>('/api/auth/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      // a trusted token without a local account (e.g. Open WebUI's): use what it says
      const id = userId() || 'user';
      return { id, email: id, name: id, role: claims().role === 'admin' ? 'admin' : 'user' };
    }
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

async function start(): Promise<void> {
  await adoptTokenFromAddress();
  let account: Account | null;
  try {
    account = await currentAccount();
  } catch (err) {
    root.replaceChildren(h('div', { class: 'center' }, h('p', { class: 'error' }, `The server cannot be reached: ${(err as Error).message}`)));
    return;
  }
  if (!account) {
    account = await signIn(root);
  }
  layout(account);
}

function layout(account: Account): void {
  const panel = new SidePanel();
  const chat = new ChatView(panel);
  const sidebar = new Sidebar();
  chat.onChange = () => sidebar.refresh();

  const sidebarToggle = h('button', { class: 'icon only-narrow', 'aria-label': 'Conversations', title: 'Conversations' }, '☰');
  sidebarToggle.addEventListener('click', (e) => {
    e.stopPropagation();
    document.body.classList.toggle('sidebar-open');
  });
  // on a phone the list overlays the chat: a click beside it or Escape puts it away
  document.addEventListener('click', (e) => {
    if (document.body.classList.contains('sidebar-open') && !sidebar.element.contains(e.target as Node)) document.body.classList.remove('sidebar-open');
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') document.body.classList.remove('sidebar-open');
  });
  const signOut = h('button', { class: 'secondary', title: `Signed in as ${account.name} (${account.email})` }, 'Sign out');
  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    await endSession();
    location.hash = '';
    location.reload();
  });
  const theme = h('button', { class: 'icon', 'aria-label': 'Switch light or dark theme', title: 'Light / dark' }, '◐');
  theme.addEventListener('click', toggleTheme);
  const tabs = h('nav', { class: 'panel-buttons', 'aria-label': 'Panels' },
    ...panel.buttons());
  const admin = account.role === 'admin' ? h('a', { href: '#/admin', class: 'button secondary', id: 'admin-link' }, 'Admin') : null;
  const header = h('header', { class: 'topbar' },
    sidebarToggle,
    h('a', { href: '#/', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Sandcastle'),
    chat.controls(),
    h('div', { class: 'spacer' }),
    tabs, admin, theme, signOut);
  const main = h('main', { id: 'main' });
  root.replaceChildren(h('div', { class: 'shell' }, header, h('div', { class: 'body' }, sidebar.element, main, panel.element)));

  const route = async () => {
    const hash = location.hash;
    document.body.classList.remove('sidebar-open');
    if (hash.startsWith('#/admin')) {
      if (account.role !== 'admin') {
        location.hash = '#/';
        return;
      }
      const { AdminView } = await import('./admin');
      main.replaceChildren(new AdminView().element);
      sidebar.element.hidden = true;
      return;
    }
    sidebar.element.hidden = false;
    const conversation = /^#\/c\/([\w-]+)/.exec(hash)?.[1] ?? null;
    main.replaceChildren(chat.element);
    await chat.open(conversation);
    sidebar.select(conversation);
  };
  window.addEventListener('hashchange', () => route().catch((err) => toast(err.message, 'error')));
  window.addEventListener('sandcastle:signed-out', () => location.reload());
  route().catch((err) => toast(err.message, 'error'));
  sidebar.refresh();
}

start().catch((err) => toast(`Sandcastle could not start: ${err.message}`, 'error'));
