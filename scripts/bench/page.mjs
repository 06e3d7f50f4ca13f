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

// The first frame with the card's later half (from the second module) in it:
// its "Recent changes" heading.
const laterReady = async (page) => {
  const handle = await page.waitForFunction(() => [...document.querySelectorAll('h3')]
    .some((h) => h.textContent.trim() === 'Recent changes') && performance.now(), null, { polling: 'raf', timeout: 60_000 });
  return handle.jsonValue();
};

// Lighthouse's slow 4G: 150 ms round trip, 1.6 Mbps down, 750 Kbps up.
const SLOW = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };

async function coldPage(throttle, slow = false) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  if (slow) await cdp.send('Network.emulateNetworkConditions', SLOW);
  // Every layout shift from the start of the load, as Chromium reports it
  // (cumulative layout shift: the sum of those not caused by input).
  await page.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  return page;
}

// The files of the page (not /api/) that the browser had received by `at`
// (ms since navigation start), and all of them: bytes on the wire as sent
// (brotli bodies), from Resource Timing. Read on the slow network, where the
// later module cannot slip in before the card's first frame as it can on
// loopback.
const bytesBy = (page, at) => page.evaluate((at) => {
  const files = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .filter((e) => !new URL(e.name).pathname.startsWith('/api/'))
    .map((e) => ({ path: new URL(e.name).pathname, body: e.encodedBodySize, end: e.responseEnd }));
  const sum = (xs) => xs.reduce((n, f) => n + f.body, 0);
  const before = files.filter((f) => f.end <= at);
  return { before: sum(before), total: sum(files), beforeFiles: before.map((f) => f.path), files };
}, at);

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
  await laterReady(page);
  await page.waitForLoadState('networkidle');
  // 2. The static floor: the whole page as rendered, without script or fetch.
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

// Cold loads of `path`: time to a usable card and, for the page, time to
// its later half and the layout shift over the whole load.
async function timeToCard(path, throttle, slow = false, loads = LOADS) {
  const times = [], later = [], shifts = [];
  let bytes;
  const isPage = !path.endsWith('.html');
  for (let i = 0; i < loads; i++) {
    const page = await coldPage(throttle, slow);
    await page.goto(`${base}${path}`);
    const ready = await cardReady(page);
    times.push(ready);
    if (isPage) {
      later.push(await laterReady(page));
      await page.waitForLoadState('networkidle');
      bytes = await bytesBy(page, ready);
      // Two frames more: a shift caused by the later half is reported by then.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      shifts.push(await page.evaluate(() => window.__cls));
    }
    await page.close();
  }
  return isPage ? { ...stats(times), later: stats(later), cls: Math.max(...shifts), clsLoads: shifts.length, bytes } : stats(times);
}

const card = {};
for (const [name, throttle, slow, loads] of [['1x', 1, false, LOADS], ['4x', 4, false, LOADS], ['slow', 1, true, Math.ceil(LOADS / 2)]]) {
  card[name] = {
    page: await timeToCard('/workspaces/acme/billing', throttle, slow, loads),
    static: await timeToCard('/bench-static-card.html', throttle, slow, loads),
  };
}
// Globex: Flex Billing on, with the chart and the breakdown in the later half.
const globex = await timeToCard('/workspaces/globex/billing', 1, false, 5);

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
console.log(JSON.stringify({ loaded, card, globex, dialog: stats(dialog), capSaved: stats(saved) }));
