// A file attached to a message lands in the workspace's /mnt/uploads, where the model's code reads it.
export default {
  name: 'attachment read by code',
  async run({ page, base, shot, expect }) {
    await page.goto(base + '/');
    await page.locator('.composer input[type=file]').setInputFiles({ name: 'data.csv', mimeType: 'text/csv', buffer: Buffer.from('item,total\na,1\nb,2\nc,3\n') });
    await page.locator('.composer .chip', { hasText: 'data.csv' }).waitFor();
    await page.getByLabel('Message').fill('Add up the totals in the attached CSV');
    await page.keyboard.press('Enter');
    const block = page.locator('details.exec').first();
    await block.locator('.badge.ok').waitFor({ timeout: 60_000 });
    expect.contains(await block.locator('pre.stream').innerText(), 'total 6', 'the code read the attachment from /mnt/uploads');
    await page.locator('.message.user .chip', { hasText: 'data.csv' }).waitFor();
    await shot('attachment');
  },
};
