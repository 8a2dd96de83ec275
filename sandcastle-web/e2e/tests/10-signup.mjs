// A newcomer creates the first account (which becomes the admin) and lands in the chat; signs out and in again.
export default {
  name: 'sign up',
  async run({ page, base, shot, expect, state }) {
    state.email = 'ada@example.com';
    state.password = 'correct horse battery staple';
    await page.goto(base + '/');
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Ada');
    await page.getByLabel('Email').fill(state.email);
    await page.getByLabel('Password').fill(state.password);
    await shot('form');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Message').waitFor();
    expect.ok(await page.locator('#admin-link').isVisible(), 'the first account is an admin and sees the Admin link');
    await page.locator('#model option[value="fake-model"]').waitFor({ state: 'attached' });
    expect.equal(await page.locator('#model').inputValue(), 'fake-model', 'the model picker offers the configured model');
    await shot('signed-in');

    // Signing out ends the session on the server too: its token is refused from then on.
    const old = await page.evaluate(() => localStorage.getItem('sandcastle.token'));
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    const me = await fetch(base + '/api/auth/me', { headers: { Authorization: `Bearer ${old}` } });
    expect.equal(me.status, 401, 'the signed-out token is refused by the server');
    await page.getByLabel('Email').fill(state.email);
    await page.getByLabel('Password').fill(state.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Message').waitFor();
  },
};
