// A Mermaid fence renders as a sanitised SVG diagram; a broken one shows Mermaid's error.
export default {
  name: 'mermaid diagram',
  async run({ page, base, shot, expect }) {
    await page.goto(base + '/');
    await page.getByLabel('Message').fill('Draw the release flow');
    await page.keyboard.press('Enter');
    const diagram = page.locator('.mermaid-block.has-diagram img.mermaid-image').first();
    await diagram.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 50, await diagram.elementHandle());
    const svg = await diagram.evaluate((img) => new TextDecoder().decode(Uint8Array.from(atob(img.src.split(',')[1]), (c) => c.charCodeAt(0))));
    expect.contains(svg.replace(/<[^>]*>/g, '').replace(/\s+/g, ''), 'Shipit', 'the diagram carries its labels');
    expect.ok(!/<script/i.test(svg), 'no script survives sanitising');
    const broken = page.locator('.mermaid-block .error');
    await broken.waitFor();
    expect.contains(await broken.innerText(), 'Mermaid could not draw', 'a bad diagram says so');
    expect.ok(await page.locator('.markdown .katex').count() >= 1, 'the formula is typeset by KaTeX');
    await page.locator('.mermaid-tools button[aria-label="Zoom in"]').first().click();
    await shot('diagram');
  },
};
