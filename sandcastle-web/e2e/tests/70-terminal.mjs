// The terminal: type a command and see its output; after a reload the same shell comes back with
// its scrollback; "open in terminal" from the file browser changes the shell's directory (to a
// folder made there, whose name needs quoting).
export default {
  name: 'terminal',
  async run({ page, base, shot, expect }) {
    const screen = () => page.locator('.ws-terminal .xterm-rows').innerText();
    const input = page.locator('.ws-terminal .xterm-helper-textarea');
    await page.goto(base + '/');
    await page.locator('button[data-panel="terminal"]').click();
    await page.locator('.ws-terminal[data-state="connected"]').waitFor();
    await page.waitForFunction(() => /\$\s*$/m.test(document.querySelector('.ws-terminal .xterm-rows')?.innerText ?? ''));
    await input.focus();
    await page.keyboard.type('echo $((6*7))');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^42\s*$/m.test(document.querySelector('.ws-terminal .xterm-rows').innerText));
    await shot('42');

    await page.reload();
    await page.locator('button[data-panel="terminal"]').click();
    await page.locator('.ws-terminal[data-state="connected"]').waitFor();
    await page.waitForFunction(() => /^42\s*$/m.test(document.querySelector('.ws-terminal .xterm-rows').innerText));
    expect.contains(await screen(), 'echo $((6*7))', 'a reload reattaches to the same shell, scrollback and all');

    // a new folder made in the file browser, then "open in terminal" there
    await page.locator('button[data-panel="files"]').click();
    await page.locator('.ws-files tr[data-name="notes.txt"]').waitFor();
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Name of the new folder').fill('work space');
    await page.keyboard.press('Enter');
    const folder = page.locator('.ws-files tr[data-name="work space"]');
    await folder.focus();
    await page.keyboard.press('Enter');
    await page.locator('.ws-files[data-dir$="/work space"]').waitFor();
    await page.getByRole('button', { name: 'Open this folder in the terminal' }).click();
    await page.locator('.ws-terminal[data-state="connected"]').waitFor();
    await input.focus();
    await page.keyboard.type('pwd');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /^\/\S*\/work space\s*$/m.test(document.querySelector('.ws-terminal .xterm-rows').innerText));
    await shot('open-in-terminal');
  },
};
