// Browser Python with packages from Sandcastle's mirror: the page imports the fixture package (a
// wheel the test's package index serves, fetched and checked by the server on first use) in the
// Python panel and in a chat with the Pyodide engine; its stand-in pyplot's chart becomes an image
// like the server engines' (a file in ~/outputs in the chat); a package the index lacks fails
// with the server's reason naming the setting; /mnt/uploads still persists; the admin sees the
// mirror. No request goes anywhere but Sandcastle.
export default {
  name: 'pyodide packages from the server',
  allowConsoleErrors: true, // the refused package's 503 is logged by the browser; any other error still fails (below)
  async run({ page, base, shot, expect, context, errors }) {
    const requests = [];
    const record = (request) => requests.push(request.url());
    context.on('request', record);
    try {
      await page.goto(base + '/');
      await page.locator('button[data-panel="python"]').click();
      await page.getByText('Python ready').waitFor({ timeout: 120_000 });
      const run = async (code, badge = 'ok') => {
        await page.getByLabel('Python code').fill(code);
        await page.locator('.pyodide-panel button', { hasText: 'Run' }).first().click();
        await page.locator(`.pyodide-result .badge.${badge}`).waitFor({ timeout: 60_000 });
        return page.locator('.pyodide-result');
      };

      // the panel: the package comes from the server's mirror
      let result = await run('import sandcastle_fixture\nprint(sandcastle_fixture.greet())');
      expect.contains(await result.locator('pre.stream').innerText(), 'hello from the fixture package, Sandcastle', 'the fixture package ran');
      const wheel = requests.find((url) => url.includes('/pyodide/packages/sandcastle_fixture-1.0.0-py3-none-any.whl'));
      expect.ok(wheel?.startsWith(base + '/pyodide/packages/'), `the wheel came from Sandcastle's mirror (requests: ${requests.filter((u) => u.includes('pyodide')).join(', ')})`);

      // a chart becomes an image: plt.show() goes to Sandcastle's backend (MPLBACKEND), so it shows before what follows
      result = await run('import sandcastle_fixture\nplt = sandcastle_fixture.fake_pyplot()\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()\nprint("after show")');
      const panelImage = result.locator('img.output-image').first();
      await panelImage.waitFor();
      await page.waitForFunction((img) => img.complete && img.naturalWidth === 160, await panelImage.elementHandle());
      expect.ok(!(await result.innerText()).includes('Traceback'), 'the chart ran without errors');
      const shownFirst = await page.evaluate(([img, pre]) => Boolean(img.compareDocumentPosition(pre) & Node.DOCUMENT_POSITION_FOLLOWING),
        [await panelImage.elementHandle(), await result.locator('pre.stream', { hasText: 'after show' }).elementHandle()]);
      expect.ok(shownFirst, 'plt.show() displayed the figure when called, not only at the end of the run');
      await shot('panel-chart');

      // a package neither mirrored nor on the index: the server's reason, naming the package and the setting
      result = await run('import numpy', 'error');
      const text = await result.innerText();
      expect.contains(text, 'Pyodide package numpy', 'the reason names the package');
      expect.contains(text, '--pyodide-index-url', 'the reason names the setting');
      expect.contains(text, "No module named 'numpy'", 'the import fails as in Python');
      await shot('missing-package');

      // /mnt/uploads keeps its files across a reload
      await run("open('/mnt/uploads/greeting.txt', 'w').write(sandcastle_fixture.greet('uploads'))");
      await page.reload();
      await page.locator('button[data-panel="python"]').click();
      await page.getByText('Python ready').waitFor({ timeout: 120_000 });
      await page.locator('.pyodide-files li', { hasText: 'greeting.txt' }).waitFor();
      result = await run("print(open('/mnt/uploads/greeting.txt').read())");
      expect.contains(await result.locator('pre.stream').innerText(), 'hello from the fixture package, uploads', 'the file was kept');

      // a chat with the Pyodide engine: the model's code imports the package in this browser; the chart is a file like the server engines'
      await page.locator('#engine').selectOption('pyodide');
      await page.locator('#toggle-code').check();
      await page.waitForFunction(() => document.documentElement.dataset.pyodide === 'serving');
      await page.getByLabel('Message').fill('Greet the chat with the fixture package and draw its chart');
      await page.keyboard.press('Enter');
      const block = page.locator('.messages details.exec[data-engine="pyodide"]').first();
      await block.locator('.badge.ok').waitFor({ timeout: 60_000 });
      const streams = await block.locator('pre.stream').allInnerTexts();
      expect.contains(streams.join('\n'), 'hello from the fixture package, chat', 'the chat ran the package');
      expect.contains(streams.join('\n'), 'Pyodide package numpy', 'the chat says why numpy is missing');
      expect.contains(streams.join('\n'), 'numpy is not available here', 'the code went on after the failed import');
      const chatImage = block.locator('img.output-image').first();
      await chatImage.waitFor();
      await page.waitForFunction((img) => img.complete && img.naturalWidth === 160, await chatImage.elementHandle());
      const source = await chatImage.getAttribute('src');
      expect.ok(source && !source.startsWith('data:'), `the chart is stored as a file with a link, as the workspace engine's (src ${String(source).slice(0, 60)})`);
      await page.getByText('The fixture package greeted the chat.').waitFor();
      await shot('chat');

      // the admin dashboard shows the mirror: the fetched package, the failed one
      await page.goto(base + '/#/admin');
      await page.getByRole('heading', { name: 'Administration' }).waitFor();
      await page.getByRole('navigation', { name: 'Dashboard sections' }).getByRole('button', { name: 'Browser Python' }).click();
      await page.locator('.admin tr[data-package="sandcastle-fixture"]').first().waitFor();
      const pane = await page.locator('.admin-body').innerText();
      expect.contains(pane, 'reachable', 'the package index was read');
      expect.ok(/numpy[\s\S]*HTTP 404/.test(pane), `the failed fetch is listed with its reason: ${pane.slice(0, 400)}`);
      await shot('admin');

      const unexpected = errors.filter((e) => !/Failed to load resource: the server responded with a status of 503/.test(e));
      expect.equal(unexpected.length, 0, `errors in the page: ${unexpected.join('; ')}`);
      const outside = requests.filter((url) => !url.startsWith(base + '/') && !url.startsWith('data:') && !url.startsWith('blob:'));
      expect.equal(outside.length, 0, `requests left Sandcastle: ${outside.join(', ')}`);
    } finally {
      context.off('request', record);
    }
  },
};
