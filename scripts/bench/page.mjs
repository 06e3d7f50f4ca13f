// The page half of scripts/bench.sh, in headless Chromium (Debian's) through
// playwright-core: what the billing page loads, the time to a usable card
// beside a static copy of it, and two interactions. Prints one JSON object.
//   node page.mjs <base url> <dist dir> <session token>
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(process.env.BILLING_TOOLS_DIR + '/node_modules/');
const { chromium } = require('playwright-core');
const [base, dist, session] = process.argv.slice(2);
const LOADS = Number(process.env.BENCH_LOADS ?? 20);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
await context.addCookies([{ name: 'billing_session', value: session, url: base, httpOnly: true, sameSite: 'Strict' }]);

// The first animation frame in which the Flex Billing card shows its state
// (its title and its On/Off badge), polled every frame, the same way for the
// page and for the static copy. Answers milliseconds since navigation start.
const cardReady = async (page) => {
  const handle = await page.waitForFunction(() => {
    const ready = [...document.querySelectorAll('h2')].some((h) => h.textContent.trim() === 'Flex Billing'
      && [...(h.closest('section')?.querySelectorAll('*') ?? [])]
        .some((e) => e.children.length === 0 && /^(On|Off)$/.test(e.textContent.trim())));
    return ready && performance.now();
  }, null, { polling: 'raf', timeout: 60_000 });
  return handle.jsonValue();
};

async function coldPage(throttle) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  return page;
}

// 1. What a cold load of the billing page fetches.
const loaded = [];
{
  const page = await coldPage(1);
  page.on('response', async (r) => {
    const url = new URL(r.url());
    loaded.push({ path: url.pathname, type: r.request().resourceType(), status: r.status(),
                  encoding: (await r.allHeaders())['content-encoding'] ?? 'identity' });
  });
  await page.goto(`${base}/workspaces/acme/billing`);
  await cardReady(page);
  await page.waitForLoadState('networkidle');
  // 2. The static floor: the same card as rendered, without script or fetch.
  const html = await page.evaluate(() => {
    const doc = document.documentElement.cloneNode(true);
    doc.querySelectorAll('script, link[rel="modulepreload"], link[rel="preload"]').forEach((e) => e.remove());
    return '<!doctype html>\n' + doc.outerHTML;
  });
  writeFileSync(join(dist, 'bench-static-card.html'), html);
  await page.close();
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { median: at(0.5), p90: at(0.9), n: s.length };
};

async function timeToCard(path, throttle) {
  const times = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await coldPage(throttle);
    await page.goto(`${base}${path}`);
    times.push(await cardReady(page));
    await page.close();
  }
  return stats(times);
}

const card = {};
for (const throttle of [1, 4]) {
  card[throttle] = {
    page: await timeToCard('/workspaces/acme/billing', throttle),
    static: await timeToCard('/bench-static-card.html', throttle),
  };
}

// 3. Interactions, unthrottled, on a warm page.
const page = await context.newPage();
await page.goto(`${base}/workspaces/acme/billing`);
await cardReady(page);
const dialog = [];
for (let i = 0; i < LOADS; i++) {
  dialog.push(await page.evaluate(() => new Promise((resolve) => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Enable');
    const t0 = performance.now();
    const painted = () => requestAnimationFrame(() => resolve(performance.now() - t0));
    const opened = () => [...document.querySelectorAll('dialog')].some((d) => d.open);
    const mo = new MutationObserver(() => { if (opened()) { mo.disconnect(); painted(); } });
    mo.observe(document.body, { attributes: true, subtree: true, attributeFilter: ['open'] });
    button.click();
    if (opened()) { mo.disconnect(); painted(); }
  })));
  await page.getByRole('button', { name: 'Cancel' }).first().click();
  await page.waitForFunction(() => ![...document.querySelectorAll('dialog')].some((d) => d.open));
}

await page.goto(`${base}/workspaces/globex/billing`);
await cardReady(page);
const saved = [];
for (let i = 0; i < LOADS; i++) {
  const field = page.getByRole('textbox', { name: /flex cap/i });
  const dollars = 1300 + i;
  await field.fill(String(dollars));
  const expected = `Cap saved: $${dollars.toLocaleString('en-US')}.00`;
  saved.push(await field.evaluate((input, expected) => new Promise((resolve) => {
    const t0 = performance.now();
    const shown = () => document.body.textContent.includes(expected);
    const mo = new MutationObserver(() => { if (shown()) { mo.disconnect(); requestAnimationFrame(() => resolve(performance.now() - t0)); } });
    mo.observe(document.body, { childList: true, subtree: true, characterData: true });
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  }), expected));
}

await browser.close();
console.log(JSON.stringify({ loaded, card, dialog: stats(dialog), capSaved: stats(saved) }));
