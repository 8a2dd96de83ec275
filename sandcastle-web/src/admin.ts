// The admin dashboard (#/admin): status, tenants (start, stop, reset, delete), the policies
// editor, the audit log with filters and paging, and the users. Calls the admin API with the
// admin's session token.
import './admin.css';
import { api } from './api';
import { ago, confirmDialog, h, size, toast } from './ui';

interface Status {
  status: string;
  backend: string;
  storage_limits: 'enforced' | 'not_enforced' | 'unknown';
  tenants: Record<string, number>;
  active_websockets: number;
}

/** A tenant's disk use against its limit, where the backend measured it; else a dash. */
function disk(t: Tenant): HTMLElement {
  const used = t.usage?.disk_bytes;
  const limit = t.usage?.disk_limit_bytes;
  if (used === undefined || limit === undefined) {
    return h('td', { class: 'num muted', title: 'not measured by this backend' }, '—');
  }
  const share = limit > 0 ? Math.round((100 * used) / limit) : 0;
  return h('td', { class: `num${share >= 90 ? ' bad' : ''}`, title: `${used} of ${limit} bytes (${share} %)`, 'data-disk': String(used) },
    `${size(used)} / ${size(limit)}`);
}

const STORAGE_HELP: Record<string, string> = {
  enforced: "Each home is capped at its policy's storage.",
  not_enforced: "Homes can grow until the disk is full: this backend cannot cap them (the server log says why).",
  unknown: 'Up to the storage behind this backend (a storage class, an upstream server), or no home made yet.',
};

interface Tenant {
  id: string;
  user_id: string;
  policy_id: string;
  context_id: string;
  backend: string;
  instance_name: string;
  status: string;
  created_at: string;
  last_active: string;
  idle_seconds: number;
  websockets: number;
  /** Where the backend measures them (issue 14 adds memory, CPU and processes here). */
  usage?: { disk_bytes?: number; disk_limit_bytes?: number };
}

interface Policy {
  id: string;
  image: string;
  runtime: string;
  env: Record<string, string>;
  cpus: number;
  memory_bytes: number;
  storage_bytes: number;
  pids: number;
  idle_timeout_seconds: number;
  network: string;
  reset_cron: string;
  reset_zone: string;
  read_only_paths: string[];
}

interface AuditEvent {
  id: string;
  action: string;
  severity: string;
  user_id: string;
  request_id: string;
  resource_type: string;
  resource_id: string;
  detail: unknown;
  ip_address: string;
  user_agent: string;
  status_code: number;
  created_at: string;
}

interface UserAccount {
  id: string;
  email: string;
  name: string;
  role: string;
}

interface Mirror {
  pyodide_version: string;
  index_url: string;
  index: { state: 'off' | 'unchecked' | 'ok' | 'error'; checked_at?: string; added_packages?: number; error?: string };
  lock_packages: number;
  present_packages: number;
  bytes: number;
  packages: { name: string; version: string; file_name: string; bytes: number }[];
  downloading: string[];
  errors: { at: string; package: string; file_name: string; error: string }[];
}

interface Page<T> {
  items: T[];
  total: number;
}

type Tab = 'tenants' | 'policies' | 'audit' | 'users' | 'pyodide';

const TABS: Record<Tab, string> = { tenants: 'Tenants', policies: 'Policies', audit: 'Audit log', users: 'Users', pyodide: 'Browser Python' };
const AUDIT_ACTIONS = ['admin_action', 'audit_pruned', 'auth_failed', 'idle_cleanup', 'proxy_request', 'sign_out', 'tenant_created',
  'tenant_deleted', 'tenant_reprovisioned', 'tenant_reset', 'tenant_started', 'tenant_stopped', 'ws_connect', 'ws_disconnect'];
const MIB = 1024 * 1024;
/** How often the status and the tenants refresh while the dashboard is shown. */
const REFRESH_MS = 10_000;

/** Seconds as "45 s", "12 min" or "3 h 5 min". */
function seconds(total: number): string {
  if (total < 60) return `${total} s`;
  if (total < 3600) return `${Math.floor(total / 60)} min`;
  return `${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
}

/** A table that scrolls sideways on narrow screens. */
function table(head: string[], rows: HTMLElement[], empty: string, label: string): HTMLElement {
  const body = rows.length ? rows : [h('tr', {}, h('td', { colspan: String(head.length), class: 'muted' }, empty))];
  return h('div', { class: 'admin-scroll', tabindex: '0', role: 'region', 'aria-label': label },
    h('table', { class: 'admin-table' },
      h('thead', {}, h('tr', {}, ...head.map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, ...body)));
}

function badge(status: string): HTMLElement {
  return h('span', { class: `state state-${status}` }, status);
}

function button(label: string, action: () => unknown, kind = 'secondary small', title?: string): HTMLButtonElement {
  const b = h('button', { class: kind, type: 'button', title: title ?? label, 'aria-label': title ?? label }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await action();
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

export class AdminView {
  readonly element = h('section', { class: 'admin', 'aria-labelledby': 'admin-title' });
  private readonly statusBox = h('div', { class: 'admin-status', role: 'status' });
  private readonly body = h('div', { class: 'admin-body' });
  private readonly tabButtons = new Map<Tab, HTMLButtonElement>();
  private tab: Tab = 'tenants';
  private accounts = new Map<string, UserAccount>();
  private timer = 0;
  private audit = { action: '', user: '', limit: 50, offset: 0 };

  constructor() {
    const tabs = h('nav', { class: 'admin-tabs', 'aria-label': 'Dashboard sections' }, ...(Object.keys(TABS) as Tab[]).map((tab) => {
      const b = h('button', { class: 'secondary', type: 'button', 'data-tab': tab, 'aria-pressed': 'false' }, TABS[tab]);
      b.addEventListener('click', () => void this.show(tab));
      this.tabButtons.set(tab, b);
      return b;
    }));
    const refresh = button('⟳ Refresh', () => this.refresh());
    this.element.append(
      h('div', { class: 'admin-head' }, h('h1', { id: 'admin-title' }, 'Administration'), h('div', { class: 'spacer' }), refresh),
      this.statusBox, tabs, this.body);
    void this.start();
  }

  private async start(): Promise<void> {
    await this.loadAccounts();
    await Promise.all([this.loadStatus(), this.show(this.tab)]); // the tab chosen meanwhile, if one was
    this.timer = window.setInterval(() => {
      if (!this.element.isConnected) {
        clearInterval(this.timer); // the dashboard was left
        return;
      }
      if (document.hidden) return;
      void this.loadStatus();
      if (this.tab === 'tenants') void this.show('tenants', true);
    }, REFRESH_MS);
  }

  private async refresh(): Promise<void> {
    await this.loadAccounts();
    await Promise.all([this.loadStatus(), this.show(this.tab)]);
  }

  private async loadAccounts(): Promise<void> {
    try {
      const page = await api<Page<UserAccount>>('/api/v1/accounts?limit=1000');
      this.accounts = new Map(page.items.map((a) => [a.id, a]));
    } catch {
      // users are shown by id then
    }
  }

  private user(id: string): HTMLElement {
    const account = this.accounts.get(id);
    return account
      ? h('span', { title: id }, account.email)
      : h('span', { class: 'mono', title: id }, id.length > 14 ? `${id.slice(0, 12)}…` : id || '—');
  }

  private async loadStatus(): Promise<void> {
    try {
      const s = await api<Status>('/api/v1/status');
      const figure = (label: string, value: string | number, kind = '', title = '') =>
        h('div', { class: `figure ${kind}`, title }, h('span', { class: 'value' }, String(value)), h('span', { class: 'label muted small' }, label));
      this.statusBox.replaceChildren(
        figure('status', s.status, s.status === 'ok' ? 'ok' : 'bad'),
        figure('backend', s.backend),
        ...Object.entries(s.tenants).map(([state, count]) => figure(state, count, count && state === 'error' ? 'bad' : '')),
        figure('open sockets', s.active_websockets),
        figure('storage limits', s.storage_limits.replace('_', ' '), s.storage_limits === 'not_enforced' ? 'bad' : '',
          STORAGE_HELP[s.storage_limits] ?? ''));
    } catch (err) {
      this.statusBox.replaceChildren(h('p', { class: 'error' }, `Status unavailable: ${(err as Error).message}`));
    }
  }

  private async show(tab: Tab, quiet = false): Promise<void> {
    this.tab = tab;
    for (const [t, b] of this.tabButtons) b.setAttribute('aria-pressed', String(t === tab));
    this.element.dataset.tab = tab;
    let content: HTMLElement;
    try {
      switch (tab) {
        case 'tenants':
          content = await this.tenants();
          break;
        case 'policies':
          content = await this.policies();
          break;
        case 'audit':
          content = await this.auditLog();
          break;
        case 'users':
          content = await this.users();
          break;
        case 'pyodide':
          content = await this.mirror();
          break;
      }
    } catch (err) {
      if (quiet) return;
      content = h('p', { class: 'error' }, `${TABS[tab]} could not be loaded: ${(err as Error).message}`);
    }
    if (this.tab !== tab) return; // another tab was chosen meanwhile
    // keep the focus on the same control across a refresh
    const focused = document.activeElement instanceof HTMLElement && this.body.contains(document.activeElement)
      ? document.activeElement.getAttribute('aria-label') : null;
    this.body.replaceChildren(content);
    if (focused) this.body.querySelector<HTMLElement>(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
  }

  // Tenants

  private async tenants(): Promise<HTMLElement> {
    const list = await api<Tenant[]>('/api/v1/tenants');
    list.sort((a, b) => a.status.localeCompare(b.status) || b.last_active.localeCompare(a.last_active));
    const rows = list.map((t) => {
      const who = this.accounts.get(t.user_id)?.email ?? t.user_id;
      const act = (verb: 'start' | 'stop' | 'reset') => async () => {
        if (verb === 'reset' && !(await confirmDialog(`Reset the workspace of ${who} (${t.policy_id}/${t.context_id})? Its files are wiped.`, 'Reset'))) return;
        try {
          await api(`/api/v1/tenants/${encodeURIComponent(t.id)}/${verb}`, { method: 'POST' });
          toast(`${verb === 'start' ? 'Started' : verb === 'stop' ? 'Stopped' : 'Reset'} the workspace of ${who}`);
        } catch (err) {
          toast(`Could not ${verb} the workspace of ${who}: ${(err as Error).message}`, 'error');
        }
        await Promise.all([this.show('tenants'), this.loadStatus()]);
      };
      const remove = async () => {
        if (!(await confirmDialog(`Delete the workspace of ${who} (${t.policy_id}/${t.context_id}) with all its files?`, 'Delete'))) return;
        try {
          await api(`/api/v1/tenants/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
          toast(`Deleted the workspace of ${who}`);
        } catch (err) {
          toast(`Could not delete the workspace of ${who}: ${(err as Error).message}`, 'error');
        }
        await Promise.all([this.show('tenants'), this.loadStatus()]);
      };
      const running = t.status === 'running';
      const actions = h('td', { class: 'actions' },
        running ? button('Stop', act('stop'), 'secondary small', `Stop ${who} ${t.context_id}`)
          : button('Start', act('start'), 'secondary small', `Start ${who} ${t.context_id}`),
        button('Reset', act('reset'), 'secondary small', `Reset ${who} ${t.context_id}`),
        button('Delete', remove, 'danger small', `Delete ${who} ${t.context_id}`));
      return h('tr', { 'data-tenant': t.id, 'data-user': t.user_id, 'data-context': t.context_id, 'data-status': t.status },
        h('td', {}, this.user(t.user_id)),
        h('td', {}, t.policy_id),
        h('td', { class: 'clip', title: t.context_id }, t.context_id),
        h('td', {}, badge(t.status)),
        h('td', { class: 'num', title: `last active ${t.last_active}` }, running ? seconds(t.idle_seconds) : '—'),
        h('td', { title: t.last_active }, ago(t.last_active)),
        h('td', { class: 'num' }, String(t.websockets)),
        disk(t),
        h('td', { title: t.created_at }, ago(t.created_at)),
        actions);
    });
    return h('div', { class: 'admin-pane' },
      table(['User', 'Policy', 'Context', 'State', 'Idle', 'Last active', 'Sockets', 'Disk', 'Created', 'Actions'], rows, 'No tenants yet: a workspace is made on a user\'s first request.', 'Tenants'),
      h('p', { class: 'muted small' }, `Refreshes every ${REFRESH_MS / 1000} s. Stopping keeps the files; reset wipes them; delete removes the tenant.`));
  }

  // Policies

  private async policies(): Promise<HTMLElement> {
    const list = await api<Policy[]>('/api/v1/policies');
    const editor = h('div', { class: 'policy-editor' });
    const rows = list.map((p) => h('tr', { 'data-policy': p.id },
      h('td', {}, h('strong', {}, p.id)),
      h('td', { class: 'clip', title: p.image }, p.image || '—'),
      h('td', {}, p.runtime || '—'),
      h('td', { class: 'num' }, String(p.cpus)),
      h('td', { class: 'num' }, size(p.memory_bytes)),
      h('td', { class: 'num' }, size(p.storage_bytes)),
      h('td', { class: 'num' }, String(p.pids)),
      h('td', { class: 'num' }, seconds(p.idle_timeout_seconds)),
      h('td', {}, p.network),
      h('td', {}, p.reset_cron ? `${p.reset_cron} (${p.reset_zone})` : '—'),
      h('td', { class: 'actions' },
        button('Edit', () => this.editPolicy(editor, p), 'secondary small', `Edit policy ${p.id}`),
        button('Delete', async () => {
          if (!(await confirmDialog(`Delete the policy ${p.id}? Workspaces that use it keep running until stopped.`, 'Delete'))) return;
          try {
            await api(`/api/v1/policies/${encodeURIComponent(p.id)}`, { method: 'DELETE' });
            toast(`Deleted the policy ${p.id}`);
          } catch (err) {
            toast(`Could not delete the policy ${p.id}: ${(err as Error).message}`, 'error');
          }
          await this.show('policies');
        }, 'danger small', `Delete policy ${p.id}`))));
    const add = button('+ New policy', () => this.editPolicy(editor, null), 'small');
    return h('div', { class: 'admin-pane' },
      table(['Id', 'Image', 'Runtime', 'CPUs', 'Memory', 'Storage', 'Processes', 'Idle timeout', 'Network', 'Reset', 'Actions'], rows, 'No policies.', 'Policies'),
      h('div', { class: 'row wrap' }, add, h('span', { class: 'muted small' }, 'Users reach a policy at /p/{id}/…; limits above the server\'s maxima are clamped.')),
      editor);
  }

  /** Shows the form for one policy (null: a new one) below the table. */
  private editPolicy(editor: HTMLElement, p: Policy | null): void {
    const field = (label: string, input: HTMLElement, hint?: string) =>
      h('label', {}, h('span', {}, label, hint ? h('span', { class: 'muted small' }, ` ${hint}`) : ''), input);
    const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9_.\\-]{1,64}', title: "1-64 letters, digits, '_', '.' or '-'", value: p?.id ?? '', readonly: p !== null, autocomplete: 'off' });
    const image = h('input', { name: 'image', value: p?.image ?? '', placeholder: 'the server\'s default' });
    const runtime = h('input', { name: 'runtime', value: p?.runtime ?? '', placeholder: 'the server\'s default, e.g. runsc', pattern: '[a-z0-9][a-z0-9_.\\-]{0,62}',
      title: "The container runtime (docker: e.g. runsc for gVisor; Kubernetes: a RuntimeClass such as gvisor): lower-case letters, digits, '_', '.' or '-'; it must be one the server allows (--allowed-runtimes)", autocomplete: 'off' });
    const cpus = h('input', { name: 'cpus', type: 'number', min: '0.1', step: '0.1', value: p ? String(p.cpus) : '' , placeholder: 'maximum' });
    const memory = h('input', { name: 'memory', type: 'number', min: '16', step: '1', value: p ? String(Math.round(p.memory_bytes / MIB)) : '', placeholder: 'maximum' });
    const storage = h('input', { name: 'storage', type: 'number', min: '1', step: '1', value: p ? String(Math.round(p.storage_bytes / MIB)) : '', placeholder: 'maximum' });
    const pids = h('input', { name: 'pids', type: 'number', min: '1', step: '1', value: p ? String(p.pids) : '', placeholder: 'maximum' });
    const idle = h('input', { name: 'idle', type: 'number', min: '1', step: '1', value: p ? String(p.idle_timeout_seconds) : '', placeholder: 'maximum' });
    const network = h('select', { name: 'network' },
      h('option', { value: 'none', selected: p?.network !== 'host' }, 'none (no network)'),
      h('option', { value: 'host', selected: p?.network === 'host' }, 'host'));
    const cron = h('input', { name: 'reset_cron', value: p?.reset_cron ?? '', placeholder: 'e.g. 0 3 * * *  (empty: never)' });
    const zone = h('input', { name: 'reset_zone', value: p?.reset_zone ?? 'UTC' });
    const env = h('textarea', { name: 'env', rows: '3', placeholder: 'NAME=value, one a line' });
    const paths = h('textarea', { name: 'read_only_paths', rows: '2', placeholder: 'host paths the workspace sees read-only, one a line, e.g. /etc/pip.conf' });
    paths.value = (p?.read_only_paths ?? []).join('\n');
    env.value = Object.entries(p?.env ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
    const cancel = h('button', { class: 'secondary', type: 'button' }, 'Cancel');
    cancel.addEventListener('click', () => editor.replaceChildren());
    const form = h('form', { class: 'policy-form card', 'aria-label': p ? `Edit policy ${p.id}` : 'New policy' },
      h('h2', {}, p ? `Policy ${p.id}` : 'New policy'),
      h('div', { class: 'grid' },
        field('Id', id), field('Image', image), field('Runtime', runtime), field('CPUs', cpus), field('Memory', memory, 'MiB'), field('Storage', storage, 'MiB'),
        field('Processes', pids), field('Idle timeout', idle, 's'), field('Network', network), field('Reset schedule', cron, 'cron'),
        field('Reset time zone', zone)),
      field('Environment', env),
      field('Read-only paths', paths, 'local backend'),
      h('div', { class: 'row end' }, cancel, h('button', { type: 'submit' }, 'Save policy')));
    const num = (input: HTMLInputElement, scale = 1) => (input.value.trim() === '' ? undefined : Number(input.value) * scale);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const vars: Record<string, string> = {};
      for (const line of env.value.split('\n').map((l) => l.trim()).filter(Boolean)) {
        const eq = line.indexOf('=');
        if (eq <= 0) {
          toast(`Environment lines are NAME=value: ${line}`, 'error');
          return;
        }
        vars[line.slice(0, eq).trim()] = line.slice(eq + 1);
      }
      const body = {
        id: id.value.trim(), image: image.value.trim() || undefined, runtime: runtime.value.trim() || undefined, env: vars, cpus: num(cpus), memory_bytes: num(memory, MIB),
        storage_bytes: num(storage, MIB), pids: num(pids), idle_timeout_seconds: num(idle), network: network.value,
        reset_cron: cron.value.trim(), reset_zone: zone.value.trim() || 'UTC',
        read_only_paths: paths.value.split('\n').map((l) => l.trim()).filter(Boolean),
      };
      try {
        await api('/api/v1/policies', { method: 'POST', json: body });
        toast(`Saved the policy ${body.id}`);
        await this.show('policies');
      } catch (err) {
        toast(`The policy could not be saved: ${(err as Error).message}`, 'error');
      }
    });
    editor.replaceChildren(form);
    (p ? image : id).focus();
  }

  // Audit log

  private async auditLog(): Promise<HTMLElement> {
    const f = this.audit;
    const params = new URLSearchParams({ limit: String(f.limit), offset: String(f.offset) });
    if (f.action) params.set('action', f.action);
    if (f.user) params.set('user_id', f.user);
    const page = await api<Page<AuditEvent> & { limit: number; offset: number }>(`/api/v1/audit-logs?${params}`);

    const action = h('select', { name: 'action', 'aria-label': 'Action' },
      h('option', { value: '' }, 'any action'), ...AUDIT_ACTIONS.map((a) => h('option', { value: a, selected: a === f.action }, a)));
    const users = h('datalist', { id: 'admin-users' }, ...[...this.accounts.values()].map((a) => h('option', { value: a.id }, a.email)));
    const user = h('input', { name: 'user_id', type: 'search', list: 'admin-users', placeholder: 'user id', value: f.user, 'aria-label': 'User id' });
    const limit = h('select', { name: 'limit', 'aria-label': 'Events per page' },
      ...[25, 50, 100, 200].map((n) => h('option', { value: String(n), selected: n === f.limit }, `${n} a page`)));
    const filters = h('form', { class: 'audit-filters row wrap', role: 'search', 'aria-label': 'Filter the audit log' },
      action, user, users, limit, h('button', { type: 'submit', class: 'small' }, 'Filter'));
    filters.addEventListener('submit', (e) => {
      e.preventDefault();
      this.audit = { action: action.value, user: user.value.trim(), limit: Number(limit.value), offset: 0 };
      void this.show('audit');
    });
    action.addEventListener('change', () => filters.requestSubmit());
    limit.addEventListener('change', () => filters.requestSubmit());

    const rows = page.items.map((e) => {
      const detail = e.detail && typeof e.detail === 'object' && Object.keys(e.detail).length ? JSON.stringify(e.detail) : '';
      const row = h('tr', { class: `audit-row sev-${e.severity}`, tabindex: '0', 'aria-expanded': 'false', title: 'Show the whole event' },
        h('td', { title: e.created_at }, new Date(e.created_at).toLocaleString()),
        h('td', {}, h('span', { class: `state sev sev-${e.severity}` }, e.action)),
        h('td', {}, this.user(e.user_id)),
        h('td', { class: 'clip', title: `${e.resource_type} ${e.resource_id}` }, e.resource_id ? `${e.resource_type}: ${e.resource_id}` : '—'),
        h('td', { class: 'num' }, e.status_code ? String(e.status_code) : ''),
        h('td', { class: 'mono', title: e.user_agent }, e.ip_address),
        h('td', { class: 'clip mono' }, detail));
      const toggle = () => {
        const open = row.nextElementSibling?.classList.contains('audit-detail');
        if (open) row.nextElementSibling!.remove();
        else row.after(h('tr', { class: 'audit-detail' }, h('td', { colspan: '7' }, h('pre', {}, JSON.stringify(e, null, 2)))));
        row.setAttribute('aria-expanded', String(!open));
      };
      row.addEventListener('click', toggle);
      row.addEventListener('keydown', (k) => {
        if (k.key === 'Enter' || k.key === ' ') {
          k.preventDefault();
          toggle();
        }
      });
      return row;
    });
    const first = page.total === 0 ? 0 : f.offset + 1;
    const last = Math.min(f.offset + page.items.length, page.total);
    const prev = button('← Newer', () => {
      this.audit.offset = Math.max(0, f.offset - f.limit);
      return this.show('audit');
    }, 'secondary small', 'Newer events');
    const next = button('Older →', () => {
      this.audit.offset = f.offset + f.limit;
      return this.show('audit');
    }, 'secondary small', 'Older events');
    prev.disabled = f.offset === 0;
    next.disabled = f.offset + f.limit >= page.total;
    const pager = h('div', { class: 'row pager' }, prev, h('span', { class: 'muted small', role: 'status' }, `${first}–${last} of ${page.total}`), next);
    return h('div', { class: 'admin-pane' }, filters,
      table(['Time', 'Action', 'User', 'Resource', 'Status', 'Address', 'Detail'], rows, 'No events match.', 'Audit log'), pager);
  }

  // Browser Python's package mirror

  private async mirror(): Promise<HTMLElement> {
    const m = await api<Mirror>('/api/v1/pyodide');
    const figure = (label: string, value: string, kind = '', title = '') =>
      h('div', { class: `figure ${kind}`, title }, h('span', { class: 'value' }, value), h('span', { class: 'label muted small' }, label));
    const indexState = m.index.state === 'ok' ? 'reachable' : m.index.state === 'error' ? 'unreachable' : m.index.state === 'off' ? 'off' : 'not read yet';
    const figures = h('div', { class: 'admin-figures' },
      figure('Pyodide', m.pyodide_version),
      figure('packages mirrored', `${m.present_packages} of ${m.lock_packages}`, '', 'Packages of the lock file that this server has, checked against their sha256'),
      figure('mirror size', size(m.bytes)),
      figure('package index', indexState, m.index.state === 'error' ? 'bad' : m.index.state === 'ok' ? 'ok' : '',
        m.index_url || 'No index: packages come only from sandcastle pyodide import'));
    const index = h('p', { class: 'small' }, 'Package index: ',
      m.index_url ? h('span', { class: 'mono' }, m.index_url) : h('span', { class: 'muted' }, 'none (--pyodide-index-url is empty): the mirror is filled offline only'),
      m.index.checked_at ? h('span', { class: 'muted' }, ` · checked ${ago(m.index.checked_at)}`) : '',
      m.index.added_packages ? h('span', { class: 'muted' }, ` · its lock adds ${m.index.added_packages} package${m.index.added_packages === 1 ? '' : 's'}`) : '');
    const indexError = m.index.error ? h('p', { class: 'error small' }, m.index.error) : '';
    const downloading = m.downloading.length
      ? h('p', { class: 'small' }, `Downloading now: ${m.downloading.join(', ')}`) : '';
    const errors = m.errors.map((e) => h('tr', { 'data-package': e.package },
      h('td', { title: e.at }, ago(e.at)),
      h('td', {}, h('strong', {}, e.package)),
      h('td', { class: 'wrap' }, e.error)));
    const present = [...m.packages].sort((a, b) => a.name.localeCompare(b.name)).map((p) => h('tr', { 'data-package': p.name },
      h('td', {}, h('strong', {}, p.name)),
      h('td', {}, p.version),
      h('td', { class: 'clip mono', title: p.file_name }, p.file_name),
      h('td', { class: 'num' }, size(p.bytes))));
    return h('div', { class: 'admin-pane' }, figures, index, indexError, downloading,
      h('h2', { class: 'admin-subhead' }, 'Latest fetch errors'),
      table(['When', 'Package', 'Error'], errors, 'No failed fetches since the server started.', 'Latest fetch errors'),
      h('h2', { class: 'admin-subhead' }, 'Packages in the mirror'),
      table(['Package', 'Version', 'File', 'Size'], present, 'No packages yet: they are fetched when a page first imports them, or imported offline.', 'Packages in the mirror'),
      h('p', { class: 'muted small' }, 'Fill the mirror offline from a downloaded release of exactly this Pyodide: ',
        h('code', {}, `sandcastle pyodide import pyodide-${m.pyodide_version}.tar.bz2`), '. Every file is checked against the sha256 of the lock file before it is kept.'));
  }

  // Users

  private async users(): Promise<HTMLElement> {
    const [page, tenants] = await Promise.all([
      api<Page<UserAccount>>('/api/v1/accounts?limit=1000'),
      api<Tenant[]>('/api/v1/tenants').catch(() => [] as Tenant[]),
    ]);
    this.accounts = new Map(page.items.map((a) => [a.id, a]));
    const rows = page.items.map((a) => {
      const own = tenants.filter((t) => t.user_id === a.id);
      const running = own.filter((t) => t.status === 'running').length;
      return h('tr', { 'data-user': a.id },
        h('td', {}, a.email),
        h('td', {}, a.name),
        h('td', {}, badge(a.role)),
        h('td', { class: 'num' }, own.length ? `${running} running / ${own.length}` : '0'),
        h('td', { class: 'mono clip', title: a.id }, a.id),
        h('td', { class: 'actions' }, button('Audit', () => {
          this.audit = { ...this.audit, user: a.id, offset: 0 };
          return this.show('audit');
        }, 'secondary small', `Audit log of ${a.email}`),
        button('Sign out', async () => {
          if (!(await confirmDialog(`Sign ${a.email} out on every device? Their open pages must sign in again.`, 'Sign out'))) return;
          try {
            await api(`/api/v1/accounts/${encodeURIComponent(a.id)}/signout`, { method: 'POST' });
            toast(`Signed ${a.email} out everywhere`);
          } catch (err) {
            toast(`Could not sign ${a.email} out: ${(err as Error).message}`, 'error');
          }
        }, 'secondary small', `Sign ${a.email} out everywhere`)));
    });
    return h('div', { class: 'admin-pane' },
      table(['Email', 'Name', 'Role', 'Workspaces', 'Id', ''], rows, 'No local accounts.', 'Users'),
      h('p', { class: 'muted small' }, `${page.total} local account${page.total === 1 ? '' : 's'}. Users signed in with Open WebUI tokens appear under Tenants only.`));
  }
}
