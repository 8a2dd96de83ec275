// An HTML artifact opens in the side panel; its script runs in the sandboxed frame but cannot
// reach the page around it.
export default {
  name: 'html artifact in a sandboxed frame',
  async run({ page, base, shot, expect }) {
    await page.goto(base + '/');
    await page.getByLabel('Message').fill('Make me a small web page');
    await page.keyboard.press('Enter');
    // a model's page runs only when the user asks
    await page.getByText('Here is your page:').waitFor();
    await page.locator('.message.assistant .regenerate').waitFor();
    expect.equal(await page.locator('#panel iframe').count(), 0, 'nothing runs before the user opens it');
    await page.getByRole('button', { name: 'Open preview' }).click();
    const frameElement = page.locator('#panel iframe');
    await frameElement.waitFor();
    expect.equal(await frameElement.getAttribute('sandbox'), 'allow-scripts allow-downloads', 'the frame is sandboxed without same-origin');
    const frame = page.frameLocator('#panel iframe');
    await frame.locator('#t', { hasText: 'script ran' }).waitFor();
    const body = await frame.locator('body').innerText();
    expect.contains(body, 'parent blocked', 'the artifact could not touch the parent page');
    expect.equal(await page.title(), 'Sandcastle', 'the parent page is untouched');
    expect.equal(await page.evaluate(() => localStorage.getItem('sandcastle.token') !== null), true, 'the session is intact');
    await shot('artifact');
    // Regenerate: the model answers again (with an SVG); the panel keeps both versions
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await page.getByText('A second version, as a picture:').waitFor();
    await page.getByRole('button', { name: 'Open preview' }).click();
    await page.frameLocator('#panel iframe').locator('svg circle').waitFor();
    const versions = await page.locator('.artifact-tools select option').allTextContents();
    expect.equal(versions.length, 2, `both versions are offered (${versions})`);
    await page.locator('.artifact-tools select').selectOption({ index: 0 });
    await page.frameLocator('#panel iframe').locator('#t', { hasText: 'script ran' }).waitFor();
    expect.equal(await page.locator('.message.assistant').count(), 1, 'the regenerated answer replaced the first');
  },
};
