// A phone-sized screen, the dark theme and the keyboard.
export default {
  name: 'phone size, dark theme, keyboard',
  async run({ page, base, shot, expect }) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/');
    await page.getByLabel('Message').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect.ok(overflow <= 1, `nothing sticks out sideways on a phone (by ${overflow} px)`);
    const tucked = await page.locator('nav.sidebar').boundingBox();
    expect.ok(tucked && tucked.x + tucked.width <= 1, `the conversation list is tucked away on a phone (${JSON.stringify(tucked)})`);
    await page.getByRole('button', { name: 'Conversations' }).click();
    await page.waitForFunction(() => document.querySelector('nav.sidebar').getBoundingClientRect().left >= 0);
    await page.locator('nav.sidebar .new-chat').waitFor();
    await shot('phone-sidebar');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelector('nav.sidebar').getBoundingClientRect().right <= 1);
    await page.getByRole('button', { name: 'Run an example chart' }).click();
    await page.locator('details.exec .badge.ok').waitFor({ timeout: 60_000 });
    await page.locator('details.exec img.output-image').waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect.ok(wide <= 1, `a chart fits the phone's width (page wider by ${wide} px)`);
    await shot('phone-chat');

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Switch light or dark theme' }).click();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = background.match(/\d+/g).map(Number);
    await page.getByRole('button', { name: 'Switch light or dark theme' }).focus();
    expect.ok(r + g + b < 150, `the dark theme darkens the page (background ${background})`);
    await shot('dark');

    // keyboard: focus the message box, type, Enter sends (the model has no turn left: an error is shown, not a crash)
    await page.goto(base + '/');
    await page.getByLabel('Message').waitFor();
    expect.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Message', 'the message box has the focus');
    await page.keyboard.press('Tab');
    expect.ok(await page.evaluate(() => document.activeElement?.tagName === 'BUTTON'), 'Tab moves to the next button');
  },
};
