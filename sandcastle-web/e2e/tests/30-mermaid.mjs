// A Mermaid fence renders as a sanitised SVG diagram; a broken one shows Mermaid's error.
export default {
  name: 'mermaid diagram',
  async run({ page, base, shot, expect }) {
    await page.goto(base + '/');
    await page.getByLabel('Message').fill('Draw the release flow');
    await page.keyboard.press('Enter');
    const diagram = page.locator('.mermaid-block.has-diagram svg').first();
    await diagram.waitFor();
    expect.contains((await diagram.textContent()).replace(/\s+/g, ''), 'Shipit', 'the diagram carries its labels');
    expect.equal(await page.locator('.mermaid-block svg script').count(), 0, 'no script survives sanitising');
    const broken = page.locator('.mermaid-block .error');
    await broken.waitFor();
    expect.contains(await broken.innerText(), 'Mermaid could not draw', 'a bad diagram says so');
    expect.ok(await page.locator('.markdown .katex').count() >= 1, 'the formula is typeset by KaTeX');
    await page.locator('.mermaid-tools button[aria-label="Zoom in"]').first().click();
    await shot('diagram');
  },
};
