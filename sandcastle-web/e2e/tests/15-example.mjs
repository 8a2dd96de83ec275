// Without asking a model, a newcomer gets a chart from the example's run.
export default {
  name: 'example chart without a model',
  async run({ page, base, shot, expect }) {
    await page.goto(base + '/');
    await page.locator('#engine').selectOption('workspace');
    await page.getByRole('button', { name: 'Run an example chart' }).click();
    const block = page.locator('details.exec').first();
    await block.locator('.badge.ok').waitFor({ timeout: 60_000 });
    const image = block.locator('img.output-image').first();
    await image.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 100, await image.elementHandle());
    expect.equal(await block.locator('.error-output').count(), 0, 'the example ran without errors');
    await shot('example');
  },
};
