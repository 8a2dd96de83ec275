// The file browser: upload notes.txt into the home folder (with the Upload button) and another
// file by drag and drop, preview it, then the model's code reads it from the workspace.
export default {
  name: 'file browser: upload, then read from code',
  async run({ page, base, shot, expect }) {
    await page.goto(base + '/');
    await page.locator('button[data-panel="files"]').click();
    const files = page.locator('.ws-files');
    await files.locator('.fb-status').filter({ hasText: /item|empty/ }).waitFor();
    const home = await files.getAttribute('data-dir');
    expect.ok(home && home.startsWith('/'), `the browser opens in the home folder (${home})`);

    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Upload files' }).click()]);
    await chooser.setFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the file browser\n') });
    const row = files.locator('tr[data-name="notes.txt"]');
    await row.waitFor();
    expect.equal(await row.locator('td.num').innerText(), '28 B', 'the listing shows the uploaded size');

    // drag and drop a second file onto the panel
    await page.evaluate(() => {
      const target = document.querySelector('.ws-files');
      const data = new DataTransfer();
      data.items.add(new File(['dropped in\n'], 'dropped.txt', { type: 'text/plain' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
      }
    });
    await files.locator('tr[data-name="dropped.txt"]').waitFor();

    // Enter on the row previews it
    await row.focus();
    await page.keyboard.press('Enter');
    await files.locator('.fb-text').filter({ hasText: 'hello from the file browser' }).waitFor();
    await shot('listed');

    // the model's code reads the file from the workspace
    await page.locator('button[data-panel="files"]').click(); // close the panel
    await page.locator('#toggle-code').check();
    await page.locator('#engine').selectOption('workspace');
    await page.getByLabel('Message').fill('read my notes');
    await page.keyboard.press('Enter');
    const block = page.locator('.messages details.exec').last();
    await block.locator('.badge.ok').waitFor({ timeout: 60_000 });
    expect.contains(await block.locator('pre.stream').innerText(), 'hello from the file browser', 'the code printed the uploaded file');
    await page.getByText('Your notes are above.').waitFor();
    await shot('read-from-code');
  },
};
