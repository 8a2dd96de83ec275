// Python in the browser: the model's code runs in Pyodide (the pyodide engine), nothing is fetched
// from anywhere but Sandcastle, and once loaded it works with the network off.
export default {
  name: 'pyodide engine',
  async run({ page, base, shot, expect, context }) {
    const outside = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(base + '/');
    await page.locator('#engine').selectOption('pyodide');
    await page.locator('#toggle-code').check();
    await page.locator('button[data-panel="python"]').click();
    await page.getByText('Python ready').waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => document.documentElement.dataset.pyodide === 'serving');
    await page.getByLabel('Message').fill('Add up 0 to 9 in my browser');
    await page.keyboard.press('Enter');
    const block = page.locator('.messages details.exec[data-engine="pyodide"]').first();
    await block.locator('.badge.ok').waitFor({ timeout: 60_000 });
    expect.contains(await block.locator('pre.stream').innerText(), '45', 'the browser printed the sum');
    await page.getByText('The sum is 45.').waitFor();
    await shot('chat');
    // network off: the panel's Python still runs
    await context.setOffline(true);
    try {
      await page.getByLabel('Python code').fill('print(sum(range(10)))');
      await page.locator('.pyodide-panel button', { hasText: 'Run' }).first().click();
      await page.locator('.pyodide-result .badge.ok').waitFor();
      expect.contains(await page.locator('.pyodide-result pre.stream').innerText(), '45', 'offline, the browser printed the sum');
      await shot('offline');
    } finally {
      await context.setOffline(false);
    }
    // the chat's block re-runs in the browser too, and keeps what it printed once it ends
    await block.locator('button.rerun').click();
    await block.locator('.badge.ok').waitFor();
    expect.contains(await block.locator('pre.stream').innerText(), '45', 'the re-run in the browser printed the sum');
    expect.equal(outside.length, 0, `requests left Sandcastle: ${outside.join(', ')}`);
    // a run over the time limit stops with a clear message; the restarted Python works again
    await page.getByLabel('Time limit in seconds').fill('2');
    await page.getByLabel('Time limit in seconds').dispatchEvent('change');
    await page.getByLabel('Python code').fill('while True:\n    pass');
    await page.locator('.pyodide-panel button', { hasText: 'Run' }).first().click();
    await page.locator('.pyodide-result .badge.timeout').waitFor({ timeout: 30_000 });
    expect.contains(await page.locator('.pyodide-result .error-output').innerText(), 'restarted', 'the message says Python was restarted');
    await page.getByLabel('Python code').fill('print(6 * 7)');
    await page.locator('.pyodide-panel button', { hasText: 'Run' }).first().click();
    await page.locator('.pyodide-result .badge.ok').waitFor({ timeout: 120_000 });
    expect.contains(await page.locator('.pyodide-result pre.stream').innerText(), '42', 'the restarted Python runs code');
    await page.getByLabel('Time limit in seconds').fill('60');
    await page.getByLabel('Time limit in seconds').dispatchEvent('change');
    await shot('restarted');
  },
};
