// Browser tests: drives Debian's Chromium with playwright-core against a running Sandcastle.
// Usage: SANDCASTLE_URL=http://127.0.0.1:8000 SCREENSHOTS=dir node e2e/run.mjs [name-filter]
// Runs e2e/tests/*.mjs in name order; each exports default { name, run({ page, base, shot, expect, context, state }) }.
// One browser context for all (signed in by the first test); a fresh page per test; any console
// error or uncaught page error fails the test that caused it. Exit code: the number of failures.
import { chromium } from 'playwright-core';
import { readdirSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const base = (process.env.SANDCASTLE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const shots = process.env.SCREENSHOTS ?? join(here, '..', 'target', 'screenshots');
const filter = process.argv[2] ?? '';
mkdirSync(shots, { recursive: true });

class Failure extends Error {}

/** Small assertions; each failure message says what was expected and what was there. */
export const expect = {
  ok(value, message) {
    if (!value) throw new Failure(message);
  },
  equal(actual, expected, message) {
    if (actual !== expected) throw new Failure(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  },
  contains(text, part, message) {
    if (!String(text).includes(part)) throw new Failure(`${message}: expected to contain ${JSON.stringify(part)}, got ${JSON.stringify(String(text).slice(0, 500))}`);
  },
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-quic', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
context.setDefaultTimeout(30_000);
const state = {}; // shared between tests (e.g. the account signed up first)
const files = readdirSync(join(here, 'tests')).filter((f) => f.endsWith('.mjs') && f.includes(filter)).sort();
if (!files[0]?.startsWith('10-')) {
  // a filtered run skips the sign-up test: sign in (or up) through the API and hand the page the token
  state.email = 'ada@example.com';
  state.password = 'correct horse battery staple';
  const call = (path, body) => fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  let response = await call('/api/auth/signin', { email: state.email, password: state.password });
  if (!response.ok) response = await call('/api/auth/signup', { email: state.email, name: 'Ada', password: state.password });
  const { token } = await response.json();
  await context.addInitScript((t) => {
    try {
      localStorage.setItem('sandcastle.token', t);
    } catch {
      // the sandboxed frames (Pyodide, artifacts) have no storage: the token is the app's alone
    }
  }, token);
}
let failures = 0;
for (const file of files) {
  const test = (await import(pathToFileURL(join(here, 'tests', file)).href)).default;
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  const shot = async (name, target = page) => {
    await target.screenshot({ path: join(shots, `${file.replace(/\.mjs$/, '')}-${name}.png`), fullPage: false });
  };
  const started = Date.now();
  try {
    await test.run({ page, base, shot, expect, context, state, errors });
    if (errors.length && !test.allowConsoleErrors) throw new Failure(`errors in the page:\n  ${errors.join('\n  ')}`);
    console.log(`ok   ${file} ${test.name} (${Date.now() - started} ms)`);
  } catch (error) {
    failures++;
    console.log(`FAIL ${file} ${test.name} (${Date.now() - started} ms)\n     ${String(error.stack ?? error).split('\n').slice(0, 6).join('\n     ')}`);
    await shot('failure').catch(() => {});
  } finally {
    await page.close();
  }
}
await browser.close();
console.log(`${files.length - failures} of ${files.length} browser tests passed; screenshots in ${shots}`);
process.exit(failures);
