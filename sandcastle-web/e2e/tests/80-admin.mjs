// The admin dashboard: the signed-in user's workspace is listed as running, with its disk use
// where storage limits hold; stopping it shows it stopped; signing another user out everywhere ends her session.
export default {
  name: 'admin dashboard: stop a tenant, sign a user out',
  async run({ page, base, shot, expect, state }) {
    await page.goto(base + '/#/admin');
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    const running = page.locator('.admin tr[data-status="running"]', { hasText: state.email ?? '@' }).first();
    await running.waitFor();
    const tenant = await running.getAttribute('data-tenant');
    // the status figures load on their own request: wait for them rather than read them half-drawn
    await page.locator('.admin-status', { hasText: 'running' }).waitFor();
    const status = await page.locator('.admin-status').innerText();
    expect.ok(/running/.test(status), 'the status shows running tenants');
    if (!/not enforced/.test(status)) {
      // storage limits hold here (a root server with loop devices): the home's use against its limit
      expect.ok(/ \/ /.test(await running.locator('td[data-disk]').innerText()), 'the tenant\'s disk use is shown against its limit');
    }
    await shot('tenants');

    await running.getByRole('button', { name: /^Stop / }).click();
    const row = page.locator(`.admin tr[data-tenant="${tenant}"]`);
    await row.and(page.locator('[data-status="stopped"]')).waitFor();
    expect.equal(await row.locator('.state').innerText(), 'stopped', 'the tenant is shown stopped');
    await page.getByText(/Stopped the workspace of/).waitFor();
    await shot('stopped');

    // the audit log has the admin's action
    await page.getByRole('button', { name: 'Audit log' }).click();
    await page.locator('.audit-filters select[name="action"]').selectOption('admin_action');
    await page.locator('.admin-table tr.audit-row').first().waitFor();
    expect.contains(await page.locator('.admin-table').innerText(), tenant.slice(0, 8), 'the stop is in the audit log');
    await shot('audit');

    // another user, signed out everywhere from the Users tab: their session stops working
    const signup = await fetch(base + '/api/auth/signup', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'grace@example.com', name: 'Grace', password: 'a long enough password' }),
    });
    expect.equal(signup.status, 201, 'a second account signs up');
    const { token } = await signup.json();
    const me = () => fetch(base + '/api/auth/me', { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect.equal(await me(), 200, 'her session works');
    await page.getByRole('button', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Sign grace@example.com out everywhere' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Signed grace@example.com out everywhere').waitFor();
    expect.equal(await me(), 401, 'her session is refused after the admin signed her out');
    await shot('signed-out');
  },
};
