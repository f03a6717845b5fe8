/**
 * The HTML report read back in a real browser: `cofw replay --report` on
 * the dual-stack scenario (both families, drops by rule, policy and the
 * stack), with a rule whose comment is HTML, opened in headless Chromium
 * (Debian's `chromium`, driven by playwright-core) with every network
 * request refused. The numbers the page shows (totals and fates, each
 * rule's and policy's counters, the drop chart's bars, the samples) must
 * be those of the JSON report of the same replay. Skips, saying why, where
 * chromium is not installed (CI installs it: .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { causeLabel } from '../src/report/html.js';
import { expectValidReport } from './report-schema.js';

const root = join(import.meta.dirname, '..');
const G = join(root, 'test/golden/dual-stack');

/** The browser: $COFW_CHROMIUM, else the first of Debian's and others' names on the PATH. */
function findChromium(): string | undefined {
  if (process.env.COFW_CHROMIUM) return process.env.COFW_CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    const path = r.stdout.trim();
    if (r.status === 0 && path && existsSync(path)) return path;
  }
  return undefined;
}

const chromium = findChromium();
const why = 'skipped: no chromium on this machine (apt-get install chromium, or set COFW_CHROMIUM to a Chromium or Chrome binary)';

/** Runs `cofw ...args` in-process, quietly. */
async function cofw(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const grab = (add: (s: string) => void) => ((chunk: string | Uint8Array) => (add(String(chunk)), true)) as typeof process.stdout.write;
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(grab((s) => (out += s)));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(grab((s) => (err += s)));
  try {
    return { code: await main(['node', 'cofw', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** `[packets:bytes]` of each rule (`table:chain:N`) and policy (`table:chain:0`) of an iptables-save -c text. */
function saveCounters(text: string, prefix: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  const nth = new Map<string, number>();
  let table = '';
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^\*(\S+)/.exec(line))) table = m[1]!;
    else if ((m = /^:(\S+) (ACCEPT|DROP) \[(\d+):(\d+)\]/.exec(line))) out.set(`${prefix}${table}:${m[1]}:0`, [Number(m[3]), Number(m[4])]);
    else if ((m = /^\[(\d+):(\d+)\] -A (\S+)/.exec(line))) {
      const key = `${prefix}${table}:${m[3]}`;
      const n = (nth.get(key) ?? 0) + 1;
      nth.set(key, n);
      out.set(`${key}:${n}`, [Number(m[1]), Number(m[2])]);
    }
  }
  return out;
}

/** A number as the page prints it (thin spaces between thousands). */
const n = (s: string | null): number => Number((s ?? '').replace(/[\s\u202f,]/g, ''));

describe.skipIf(!chromium)(`the HTML report in headless Chromium${chromium ? '' : ` (${why})`}`, () => {
  let dir: string;
  let report: Record<string, any>;
  let page: import('playwright-core').Page;
  let browser: import('playwright-core').Browser;
  const requests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cofw-html-'));
    // A rule whose comment and log prefix are HTML: the page must show them as text.
    const rules = readFileSync(join(G, 'rules.v4'), 'utf8').replace(
      /^COMMIT$/m,
      `-A INPUT -p tcp -m tcp --dport 9 -m comment --comment "<script>alert(1)</script><img src=x onerror=alert(2)>" -j LOG --log-prefix "\\"'><b>"\nCOMMIT`,
    );
    writeFileSync(join(dir, 'rules.v4'), rules);
    const html = join(dir, 'report.html');
    const json = join(dir, 'report.json');
    const r = await cofw(
      'replay',
      join(G, 'capture.pcap'),
      '--rules',
      join(dir, 'rules.v4'),
      '--rules6',
      join(G, 'rules.v6'),
      '--machine',
      join(G, 'machine.yaml'),
      '--report',
      html,
      '--json',
      json,
      '-q',
    );
    expect(r.code, r.err).toBe(0);
    expectValidReport(readFileSync(json, 'utf8'));
    report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, any>;
    const { chromium: driver } = await import('playwright-core');
    browser = await driver.launch({ executablePath: chromium!, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const context = await browser.newContext({ javaScriptEnabled: true });
    // Nothing but the file itself may be fetched.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url === pathToFileURL(html).href) return route.continue();
      requests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    await page.goto(pathToFileURL(html).href);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('loads nothing from outside and runs no script from the inputs', async () => {
    expect(requests).toEqual([]);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    const text = await page.locator('body').innerText();
    expect(text).toContain('<script>alert(1)</script><img src=x onerror=alert(2)>');
    expect(text).toContain(`'><b>`);
    expect(await page.locator('b').count()).toBe(0);
  });

  it('shows the totals and fates of the JSON report', async () => {
    const shown = await page.$$eval('#totals ~ table.totals [data-fate]', (els) => els.map((e) => [e.getAttribute('data-fate')!, e.textContent ?? '']));
    const fates = report.fates as Record<string, number>;
    const expected: Record<string, number> = {
      framesIn: report.framesIn,
      dropped: fates.droppedByRule! + fates.droppedByPolicy! + fates.droppedByStack! + fates.failPolicy!,
      ...fates,
    };
    expect(shown.length).toBeGreaterThanOrEqual(9);
    for (const [key, text] of shown) expect([key, n(text)]).toEqual([key, expected[key]]);
    expect(n(await page.locator('[data-fate="framesIn"]').textContent())).toBe(35);
  });

  it("shows each rule's and policy's counters as iptables-save -c has them, for both families", async () => {
    const expected = new Map([...saveCounters(report.save as string, ''), ...saveCounters(report.save6 as string, 'ip6:')]);
    const rows = await page.$$eval('tr.rule', (els) =>
      els.map((e) => [e.getAttribute('data-cause')!, e.querySelector('.pkts')!.textContent!, e.querySelector('.bytes')!.textContent!] as const),
    );
    const rules = [...expected.keys()].filter((k) => !k.endsWith(':0'));
    expect(rows.map((r) => r[0]).sort()).toEqual(rules.sort());
    for (const [cause, p, b] of rows) expect([cause, n(p), n(b)]).toEqual([cause, ...expected.get(cause)!]);
    // The policies, in the chain headers: "Chain INPUT (policy DROP 1 packets, 40 bytes)".
    const heads = await page.$$eval('div.chain', (els) => els.map((e) => e.textContent ?? ''));
    const policies = [...expected].filter(([k]) => k.endsWith(':0'));
    let seen = 0;
    for (const h of heads) {
      const m = /^Chain (\S+) \(policy (ACCEPT|DROP) (\d+) packets, (\d+) bytes\)/.exec(h);
      if (!m) continue;
      seen++;
      const candidates = policies.filter(([k]) => k.split(':').at(-2) === m[1]).map(([, v]) => v.join(':'));
      expect(candidates).toContain(`${m[3]}:${m[4]}`);
    }
    expect(seen).toBe(policies.length);
  });

  it("draws a bar per cause with the JSON report's counts, linked to its dropped frames", async () => {
    const bars = await page.$$eval('#drops-chart g.bar', (els) =>
      els.map((e) => [e.getAttribute('data-cause')!, e.querySelector('text.value')!.textContent!] as const),
    );
    const expected = new Map<string, number>();
    for (const s of report.drops.sites as Array<{ table: string; chain: string; rule: number; ipv6?: boolean; count: number }>)
      expected.set(`${s.ipv6 ? 'ip6:' : ''}${s.table}:${s.chain}:${s.rule}`, s.count);
    for (const x of report.drops.reasons as Array<{ reason: string; count: number }>) expected.set(`stack:${x.reason}`, x.count);
    expect(bars.length).toBe(expected.size);
    for (const [cause, value] of bars) expect([cause, n(value)]).toEqual([cause, expected.get(cause)]);
    // Each bar's label links to a sample table whose heading says how many that cause dropped.
    for (const [cause, count] of expected) {
      const link = page.locator(`#drops-chart g.bar[data-cause="${cause}"] a`);
      const href = await link.getAttribute('href');
      const heading = page.locator(`h3${href}`);
      expect(await heading.getAttribute('data-cause')).toBe(cause);
      expect(n(await heading.getAttribute('data-count'))).toBe(count);
      expect(await heading.textContent()).toContain(causeLabel(cause));
      const frames = await page.locator(`h3${href} ~ table.sample`).first().locator('tr').count();
      expect(frames - 1).toBe(Math.min(count, 100));
    }
  });

  it('links each dropping rule of the listing to its sample', async () => {
    const links = await page.$$eval('tr.rule.dropping', (els) =>
      els.map((e) => [e.getAttribute('data-cause')!, e.querySelector('a')?.getAttribute('href') ?? ''] as const),
    );
    expect(links.length).toBe((report.drops.sites as Array<{ rule: number }>).filter((s) => s.rule > 0).length);
    for (const [cause, href] of links) expect(await page.locator(`h3${href}`).getAttribute('data-cause')).toBe(cause);
  });

  it("counts the timeline's frames as the fates do", async () => {
    const buckets = await page.$$eval('#timeline-chart g[data-bucket]', (els) =>
      els.map((e) => [Number(e.getAttribute('data-accepted')), Number(e.getAttribute('data-dropped'))]),
    );
    const f = report.fates as Record<string, number>;
    expect(buckets.reduce((s, b) => s + b[0]!, 0)).toBe(f.forwarded! + f.delivered! + f.sent!);
    expect(buckets.reduce((s, b) => s + b[1]!, 0)).toBe(f.droppedByRule! + f.droppedByPolicy! + f.droppedByStack!);
  });
});
