// The admin dashboard: the signed-in user's workspace is listed as running; stopping it shows it stopped.
export default {
  name: 'admin dashboard: stop a tenant',
  async run({ page, base, shot, expect, state }) {
    await page.goto(base + '/#/admin');
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    const running = page.locator('.admin tr[data-status="running"]', { hasText: state.email ?? '@' }).first();
    await running.waitFor();
    const tenant = await running.getAttribute('data-tenant');
    // the status figures load on their own request: wait for them rather than read them half-drawn
    await page.locator('.admin-status', { hasText: 'running' }).waitFor();
    expect.ok(/running/.test(await page.locator('.admin-status').innerText()), 'the status shows running tenants');
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
  },
};
