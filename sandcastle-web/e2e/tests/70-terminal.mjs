// The terminal: type a command and see its output; after a reload the same shell comes back with
// its scrollback; "open in terminal" from the file browser changes the shell's directory.
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

    await page.locator('button[data-panel="files"]').click();
    await page.locator('.ws-files tr[data-name="notes.txt"]').waitFor();
    const home = await page.locator('.ws-files').getAttribute('data-dir');
    await page.getByRole('button', { name: 'Open this folder in the terminal' }).click();
    await page.locator('.ws-terminal[data-state="connected"]').waitFor();
    await input.focus();
    await page.keyboard.type('pwd; ls');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /notes\.txt/.test(document.querySelector('.ws-terminal .xterm-rows').innerText));
    expect.contains(await screen(), home, 'the shell is in the folder the file browser showed');
    await shot('open-in-terminal');
  },
};
