// The model runs code that draws a chart and returns a DataFrame: the block shows both.
export default {
  name: 'code interpreter: chart and table',
  async run({ page, base, shot, expect }) {
    await page.goto(base + '/');
    await page.locator('#toggle-code').check();
    await page.locator('#engine').selectOption('workspace');
    await page.getByLabel('Message').fill('Plot the squares of 1 to 4 and show them as a table');
    await page.keyboard.press('Enter');
    const block = page.locator('details.exec').first();
    await block.locator('.badge.ok').waitFor({ timeout: 60_000 });
    const image = block.locator('img.output-image').first();
    await image.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 100, await image.elementHandle());
    const table = block.locator('.output-html table');
    await table.waitFor();
    expect.contains(await table.innerText(), '16', 'the DataFrame table shows the squares');
    await page.getByText('Here is the chart of the squares.').waitFor();
    expect.ok(/#\/c\/[\w-]+/.test(page.url()), `the conversation got an address (${page.url()})`);
    await shot('chart');
    // the Re-run button runs the same code again on the server, without the model
    await block.locator('button.rerun').click();
    await block.locator('.badge.running').waitFor();
    await block.locator('.badge.ok').waitFor({ timeout: 60_000 });
    await block.locator('img.output-image').first().waitFor();
    // the conversation is stored: it is listed and reopens with its block
    await page.locator('.conversations li a').first().waitFor();
    await page.reload();
    await page.locator('details.exec img.output-image').first().waitFor();
    await shot('reloaded');
  },
};
