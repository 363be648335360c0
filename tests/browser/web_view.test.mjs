// The web view in a real browser: Debian's chromium, driven by playwright-core, against a
// real `firebreak console --serve` fed chat lines on its standard input. Checks what a
// manager sees as text, that a change in chat reaches an open page within two seconds
// without a reload, that a private incident and its id are absent, that a browser not
// signed in sees no data, and that hostile titles stay inert. Screenshots of the pages
// go to the folder given as the second argument.
//
//   node web_view.test.mjs <firebreak binary> <artifacts dir>
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [binary, artifacts] = process.argv.slice(2);
assert.ok(binary && artifacts, 'usage: node web_view.test.mjs <firebreak> <artifacts dir>');
mkdirSync(artifacts, { recursive: true });
const data = mkdtempSync(join(tmpdir(), 'firebreak-browser-'));

const hostile = 'Checkout <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> "fails"';
const secret = 'Payroll export leaks salaries';

// The whole test is bounded: a hang fails it rather than CI.
const deadline = setTimeout(() => { console.error('browser test: out of time'); process.exit(1); }, 90_000);

const bot = spawn(binary, ['console', '--serve', '--web-listen', '127.0.0.1:0', '--data-dir', data],
  { stdio: ['pipe', 'pipe', 'inherit'] });
let out = '';
bot.stdout.on('data', (d) => { out += d; });
const say = (line) => bot.stdin.write(line + '\n');

async function until(what, ok, ms = 10_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('waited in vain for ' + what + '\n' + out.slice(-2000));
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Polls a check in the page (waitForFunction evaluates a string, which the view's
// Content-Security-Policy rightly refuses).
async function pageUntil(page, what, check, ms = 2000) {
  const end = Date.now() + ms;
  while (!(await page.evaluate(check))) {
    if (Date.now() > end) throw new Error('the page never showed ' + what + ' within ' + ms + ' ms');
    await new Promise((r) => setTimeout(r, 20));
  }
}

let browser;
try {
  await until('the web view address', () => /Viewer token: \w+/.test(out));
  const base = out.match(/Web view: (http:\/\/[\d.]+:\d+)\//)[1];
  const token = out.match(/Viewer token: (\w+)/)[1];

  say('!incident declare ' + hostile + ' --sev 1');
  await until('the first incident', () => out.includes('INC-1 declared'));
  say('/user lee');
  say('!incident declare ' + secret + ' --private --sev 2');
  await until('the private incident', () => /INC-2/.test(out));
  say('/user maya');
  say('/room INC-1');
  say('!incident update impact: EU card payments fail; actions: rolling back v2.3; next: 30m');
  say('#hypothesis the v2.3 deploy broke the card form');
  await until('the update', () => out.includes('EU card payments fail'));

  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });

  // Not signed in: the sign-in page, and no incident data anywhere.
  const stranger = await browser.newPage();
  for (const path of ['/', '/incidents/INC-1', '/incidents/INC-2', '/events']) {
    const r = await stranger.goto(base + path);
    assert.equal(r.status(), 401, path);
    const text = await stranger.textContent('body');
    assert.ok(!text.includes('Checkout') && !text.includes(secret) && !text.includes('INC-'), path + ': ' + text);
  }
  await stranger.screenshot({ path: join(artifacts, 'sign-in.png'), fullPage: true });

  const context = await browser.newContext({ timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The 401 and 404 answers this test asks for are logged as failed loads; anything else is an error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  await page.goto(base + '/login');
  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  assert.match(await page.textContent('main'), /That token is not valid/);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(base + '/'), page.click('main button[type=submit]')]);

  // The list, as a manager reads it.
  const list = await page.textContent('main');
  assert.ok(list.includes('INC-1'), list);
  assert.ok(list.includes('Checkout <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> "fails"'),
    'the hostile title shows as text: ' + list);
  assert.ok(!list.includes(secret) && !list.includes('INC-2'), 'the private incident is absent: ' + list);
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.locator('main script').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  const row = await page.textContent('tr[data-id="INC-1"]');
  assert.match(row, /SEV1/);
  assert.match(row, /investigating/);
  assert.match(row, /@maya|@you/);
  // UTC, and the reader's own zone beside it.
  assert.match(list, /UTC \(.*(CET|CEST|GMT\+1|GMT\+2)\)/);
  await page.screenshot({ path: join(artifacts, 'incident-list.png'), fullPage: true });

  const hidden = await page.goto(base + '/incidents/INC-2');
  assert.equal(hidden.status(), 404);
  assert.ok((await page.textContent('main')).includes('There is no INC-2 you can see.'));
  assert.ok(!(await page.textContent('body')).includes(secret));

  // An incident's page, live.
  await page.goto(base + '/incidents/INC-1');
  const incident = await page.textContent('main');
  for (const want of ['Investigating', 'EU card payments fail', 'rolling back v2.3', 'H1', 'the v2.3 deploy broke the card form',
                      'commander', 'Timeline'])
    assert.ok(incident.includes(want), want + ' on the page: ' + incident);
  assert.equal(await page.locator('#chart svg').count(), 1);
  await page.waitForSelector('#live:not([hidden])', { timeout: 5000 });
  await page.evaluate(() => { window.sameDocument = true; });
  const before = Date.now();
  say('!incident status identified');
  await pageUntil(page, 'the new status', () => document.querySelector('.statusline .status')?.textContent === 'Identified');
  const took = Date.now() - before;
  assert.equal(await page.evaluate(() => window.sameDocument), true, 'updated without a reload');
  console.log(`live update reached the page ${took} ms after the chat command`);
  say('the rollback is done, error rate back to normal');
  await pageUntil(page, 'the new timeline row',
    () => document.querySelector('#timeline')?.textContent.includes('error rate back to normal'));
  await page.screenshot({ path: join(artifacts, 'incident-page.png'), fullPage: true });

  // The list hears of changes too.
  await page.goto(base + '/');
  await page.waitForSelector('#live:not([hidden])', { timeout: 5000 });
  say('!incident sev 2 card form fixed for most users');
  await pageUntil(page, 'the new severity in the list',
    () => document.querySelector('tr[data-id="INC-1"] .sev')?.textContent === 'SEV2');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(errors, [], 'no script errors on the pages');

  // Signing out ends the session.
  await Promise.all([page.waitForURL(base + '/login'), page.click('.logout button')]);
  const after = await page.goto(base + '/');
  assert.equal(after.status(), 401);
  console.log('browser test: all checks passed');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  bot.stdin.end('/quit\n');
  await new Promise((r) => { bot.once('exit', r); setTimeout(() => { bot.kill('SIGKILL'); r(); }, 5000); });
  rmSync(data, { recursive: true, force: true });
  clearTimeout(deadline);
}
