// Sign-in and sign-up with a local account. The first account of a server becomes its admin.
import { api, setToken, type Account } from './api';
import { h } from './ui';

interface Session {
  token: string;
  expires_at: string;
  account: Account;
}

/** Shows the sign-in form in `root`; resolves with the account once signed in. */
export function signIn(root: HTMLElement): Promise<Account> {
  return new Promise((resolve) => {
    let mode: 'signin' | 'signup' = 'signin';
    const error = h('p', { class: 'error', role: 'alert' });
    const name = h('input', { name: 'name', autocomplete: 'name', placeholder: 'Your name', maxlength: 200 });
    const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true, placeholder: 'you@example.com' });
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, minlength: 8 });
    const nameRow = h('label', { hidden: true }, 'Name', name);
    const submit = h('button', { type: 'submit' }, 'Sign in');
    const switchMode = h('button', { type: 'button', class: 'link' }, 'Create an account');
    const hint = h('p', { class: 'muted small' }, 'The first account created on a server becomes its administrator.');
    const form = h('form', { class: 'card auth', 'aria-label': 'Sign in' },
      h('h1', {}, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Sandcastle'),
      h('p', { class: 'muted' }, 'Chat with a model that runs code in a workspace of your own.'),
      nameRow,
      h('label', {}, 'Email', email),
      h('label', {}, 'Password', password),
      error, submit, switchMode, hint);
    switchMode.addEventListener('click', () => {
      mode = mode === 'signin' ? 'signup' : 'signin';
      nameRow.hidden = mode === 'signin';
      submit.textContent = mode === 'signin' ? 'Sign in' : 'Create account';
      switchMode.textContent = mode === 'signin' ? 'Create an account' : 'I have an account';
      password.autocomplete = mode === 'signin' ? 'current-password' : 'new-password';
      form.setAttribute('aria-label', mode === 'signin' ? 'Sign in' : 'Create an account');
      error.textContent = '';
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      submit.disabled = true;
      error.textContent = '';
      try {
        const session = await api<Session>(mode === 'signin' ? '/api/auth/signin' : '/api/auth/signup', {
          method: 'POST',
          json: mode === 'signin' ? { email: email.value, password: password.value }
            : { email: email.value, name: name.value || email.value.split('@')[0], password: password.value },
        });
        setToken(session.token);
        resolve(session.account);
      } catch (err) {
        error.textContent = (err as Error).message;
      } finally {
        submit.disabled = false;
      }
    });
    root.replaceChildren(h('div', { class: 'center' }, form));
    email.focus();
  });
}
