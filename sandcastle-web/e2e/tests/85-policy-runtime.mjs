// The admin dashboard's policy editor: a policy's runtime is saved when the server allows it
// (the test server runs with --allowed-runtimes runsc) and refused, with the reason, when not.
export default {
  name: 'admin dashboard: a policy with a runtime',
  async run({ page, base, shot, expect, errors }) {
    await page.goto(base + '/#/admin');
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByRole('region', { name: 'Tenants' }).waitFor(); // drawn first: a tab clicked before would be drawn over
    await page.getByRole('button', { name: 'Policies' }).click();
    await page.getByRole('region', { name: 'Policies' }).waitFor();
    await page.getByRole('button', { name: '+ New policy' }).click();
    const form = page.getByRole('form', { name: 'New policy' });
    await form.locator('input[name="id"]').fill('sandboxed');
    await form.locator('input[name="runtime"]').fill('kata');
    // The browser logs the refusal (a 400) as an error of its own: that one is expected, no other.
    const refusal = page.waitForEvent('console', (m) => m.type() === 'error' && m.text().includes('400'));
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText(/runtime 'kata' is not allowed on this server/).waitFor();
    await refusal;
    errors.splice(errors.findIndex((e) => e.includes('400')), 1);
    expect.equal(await page.locator('tr[data-policy="sandboxed"]').count(), 0, 'a refused policy is not listed');
    await shot('refused');

    await form.locator('input[name="runtime"]').fill('runsc');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved the policy sandboxed').waitFor();
    const row = page.locator('tr[data-policy="sandboxed"]');
    await row.waitFor();
    expect.contains(await row.innerText(), 'runsc', 'the table shows the runtime');
    await row.getByRole('button', { name: 'Edit policy sandboxed' }).click();
    expect.equal(await page.getByRole('form', { name: 'Edit policy sandboxed' }).locator('input[name="runtime"]').inputValue(), 'runsc',
      'the editor shows the saved runtime');
    await shot('saved');
  },
};
