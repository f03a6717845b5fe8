/**
 * The HTML report (`cofw replay --report FILE.html`): one self-contained
 * page, opened without network access: its styles are inline, its charts
 * hand-written SVG, and it runs no script at all (its Content-Security-Policy
 * forbids scripts and every outside resource). It shows:
 *
 * - the totals and fates (`#totals`),
 * - a timeline of accepted and dropped frames (`#timeline`), in buckets of
 *   1 s, wider for long captures (src/report/details.ts),
 * - drops by rule, policy and stack reason as a bar chart (`#drops`),
 * - the most-dropped flows, sources and ports (`#top`),
 * - each rule set laid out as `iptables -L -v -n -x --line-numbers` (both
 *   families, every table) with each rule's counters (`#rules`), each
 *   dropping rule and policy linked to a sample of the frames it dropped
 *   (`#samples`: frame number, time, flow, length).
 *
 * Everything taken from the inputs (rule texts and comments, interface and
 * chain names, file names, log prefixes) is escaped: a rule file is written
 * by whoever controls it. The numbers carry `data-` attributes naming what
 * they count, so that tools (and cofw's browser test) can read them back.
 *
 * @example
 * const r = await replay({ ...opts, details: true });
 * writeFileSync('report.html', htmlReport(r, { captures, rulesFile: 'rules.v4', machine: 'm.yaml', top: 10 }));
 */
import { protocolName } from '../netfilter/names.js';
import type { Ruleset } from '../netfilter/rules/model.js';
import { siteCause, type ReplayResult } from '../replay.js';
import type { DropSamples, ReplayDetails } from './details.js';
import { jsonReport } from './json.js';
import { listRuleset } from './listing.js';
import type { ReportContext } from './text.js';

/** Most causes whose samples the page lists (those that dropped most); the others are counted. */
export const MAX_SAMPLED_CAUSES = 200;
/** Most bars of the drop chart; the rest are added up in one bar. */
export const MAX_BARS = 40;

/** Text for HTML: element content and quoted attribute values alike. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Thousands separated by thin spaces: 1 234 567 (the raw number is in the element's data-n). */
function num(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, '\u202f');
}

/** An element id from a cause (`filter:INPUT:3` -> `s-filter-INPUT-3`), unique per cause. */
function causeId(cause: string, ids: Map<string, string>): string {
  let id = ids.get(cause);
  if (!id) {
    id = `s-${cause.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
    const taken = new Set(ids.values());
    for (let i = 2; taken.has(id); i++) id = `${id.replace(/~\d+$/, '')}~${i}`;
    ids.set(cause, id);
  }
  return id;
}

/** The page's text for a cause: `ip6:filter:INPUT:#3`, `filter:FORWARD:policy`, `stack: IP_CSUM`. */
export function causeLabel(cause: string): string {
  if (cause.startsWith('stack:')) return `stack: ${cause.slice(6)}`;
  const parts = cause.split(':');
  const rule = parts.pop()!;
  return `${parts.join(':')}:${rule === '0' ? 'policy' : `#${rule}`}`;
}

function timeText(seconds: number): string {
  const d = new Date(Math.floor(seconds * 1000));
  if (Number.isNaN(d.getTime())) return String(seconds);
  const us = Math.round((seconds - Math.floor(seconds)) * 1e6);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${String(us).padStart(6, '0')}`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222;background:#fff}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}h3{font-size:1em;margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.3em 0}td,th{padding:.1em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,.mono,.listing td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.listing td.opts{white-space:pre-wrap;word-break:break-all}.chain{font-family:ui-monospace,monospace;font-weight:bold;margin:1em 0 .2em}
.dropping td{background:#fdecec!important}.partial{background:#fff3cd;padding:.5em 1em;border:1px solid #e0c36a}
.muted{color:#666}svg text{font:11px system-ui,sans-serif;fill:#333}.acc{fill:#2e7d32}.drp{fill:#c62828}
nav a{margin-right:1em}.key span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}
`;

/** The page. `ctx` names the inputs as the text report does. */
export function htmlReport(r: ReplayResult, ctx: ReportContext): string {
  const ids = new Map<string, string>();
  const d = r.details;
  const out: string[] = [];
  const title = `cofw replay of ${ctx.captures.join(', ')}`;
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    '<nav><a href="#totals">Totals</a><a href="#timeline">Timeline</a><a href="#drops">Drops by rule</a><a href="#top">Top dropped</a><a href="#rules">Rule sets</a><a href="#samples">Dropped frames</a></nav>',
  );
  out.push('<table class="inputs">');
  out.push(`<tr><th>captures</th><td class="mono">${ctx.captures.map(esc).join('<br>')}</td></tr>`);
  out.push(`<tr><th>rules</th><td class="mono">${esc(ctx.rulesFile)}</td></tr>`);
  if (ctx.rules6File) out.push(`<tr><th>rules6</th><td class="mono">${esc(ctx.rules6File)}</td></tr>`);
  out.push(`<tr><th>machine</th><td class="mono">${esc(ctx.machine)}</td></tr>`);
  out.push(`<tr><th>report version</th><td class="mono">${esc(String(jsonReport(r).version))}</td></tr></table>`);
  if (r.complete === false && r.interrupted)
    out.push(
      `<p class="partial" id="partial">PARTIAL: the replay was interrupted (${esc(r.interrupted.reason)}) after ${num(r.interrupted.framesRead)} frames; everything here covers only those.</p>`,
    );
  if (r.oops) out.push(`<p class="partial">GUEST OOPS at frame ${esc(r.oops.frameNo)} (${esc(r.oops.reason)}): ${esc(r.oops.message)}</p>`);
  for (const dmg of r.damage) out.push(`<p class="partial">Damaged input: ${esc(dmg.message)}</p>`);

  totals(r, out);
  timeline(d, out);
  const sampled = sampledCauses(r, d);
  dropChart(r, sampled, ids, out);
  tops(r, d, ctx.top, out);
  out.push('<h2 id="rules">Rule sets</h2>');
  out.push(
    '<p class="muted">As <code>iptables -L -v -n -x --line-numbers</code> lists them, with the counters after the replay; the last column gives the options as <code>iptables-save</code> writes them. Rules and policies that dropped are shaded and link to the frames they dropped.</p>',
  );
  rulesetListing(r.ruleset, false, r, sampled, ids, out);
  if (r.ruleset6) rulesetListing(r.ruleset6, true, r, sampled, ids, out);
  samples(r, d, sampled, ids, out);
  out.push(
    `<p class="muted">Written by cofw. Machine: ${num(r.stats.switches)} context switches, ${num(r.stats.bytesThroughPage)} bytes through the passage page.</p>`,
  );
  out.push('</body></html>');
  return out.join('\n') + '\n';
}

function totals(r: ReplayResult, out: string[]): void {
  const f = r.fates;
  const dropped = f.droppedByRule + f.droppedByPolicy + f.droppedByStack + f.failPolicy;
  const row = (label: string, key: string, n: number, indent = false): void => {
    const pct = r.framesIn ? ` <span class="muted">(${((100 * n) / r.framesIn).toFixed(1)}%)</span>` : '';
    out.push(
      `<tr><td>${indent ? '&nbsp;&nbsp;&nbsp;&nbsp;' : ''}${esc(label)}</td><td class="n" data-fate="${esc(key)}" data-n="${n}">${num(n)}</td><td>${pct}</td></tr>`,
    );
  };
  out.push('<h2 id="totals">Totals and fates</h2><table class="totals">');
  out.push(`<tr><th>frames in</th><th class="n" data-fate="framesIn" data-n="${r.framesIn}">${num(r.framesIn)}</th><th></th></tr>`);
  row('forwarded', 'forwarded', f.forwarded);
  row('delivered locally', 'delivered', f.delivered);
  row('sent by the firewall', 'sent', f.sent);
  row('bridged (not IP)', 'bridged', f.bridged);
  if (f.outbound) row('outbound copies (skipped)', 'outbound', f.outbound);
  row('dropped', 'dropped', dropped);
  row('by a rule', 'droppedByRule', f.droppedByRule, true);
  row('by a policy', 'droppedByPolicy', f.droppedByPolicy, true);
  row('by the stack', 'droppedByStack', f.droppedByStack, true);
  if (f.failPolicy) row('by the fail policy', 'failPolicy', f.failPolicy, true);
  out.push('</table>');
  if (r.generated)
    out.push(
      `<p>Generated by netfilter (REJECT replies, TEE copies): <span data-fate="generated" data-n="${f.generated}">${num(f.generated)}</span> sent, <span data-fate="generatedDropped" data-n="${f.generatedDropped}">${num(f.generatedDropped)}</span> dropped.</p>`,
    );
}

function timeline(d: ReplayDetails | undefined, out: string[]): void {
  out.push('<h2 id="timeline">Accepted and dropped frames over time</h2>');
  const t = d?.timeline;
  if (!t || !t.accepted.length) {
    out.push('<p class="muted">No frames.</p>');
    return;
  }
  const n = t.accepted.length;
  const W = 1000;
  const H = 220;
  const left = 60;
  const bottom = 30;
  const plotW = W - left - 10;
  const plotH = H - bottom - 10;
  let max = 1;
  for (let i = 0; i < n; i++) max = Math.max(max, t.accepted[i]!, t.dropped[i]!);
  const x = (i: number): number => left + (plotW * i) / n;
  const y = (v: number): number => 10 + plotH - (plotH * v) / max;
  // A bucket's two bars (accepted, dropped) share its width; at most 40 pixels for a short capture.
  const bw = Math.min(plotW / n, 40);
  const per = t.width === 1 ? 'second' : `${t.width} seconds`;
  out.push(
    `<p class="key">Frames per ${esc(per)} (buckets of <span id="bucket-width" data-width="${t.width}">${esc(t.width)}</span> s), from ${esc(timeText(t.start))} UTC:<span class="acc" style="background:#2e7d32"></span>accepted<span style="background:#c62828"></span>dropped</p>`,
  );
  out.push(`<svg id="timeline-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="accepted and dropped frames per ${esc(per)}">`);
  out.push(
    `<line x1="${left}" y1="${10 + plotH}" x2="${W - 10}" y2="${10 + plotH}" stroke="#999"/><line x1="${left}" y1="10" x2="${left}" y2="${10 + plotH}" stroke="#999"/>`,
  );
  out.push(`<text x="${left - 5}" y="14" text-anchor="end">${esc(num(max))}</text><text x="${left - 5}" y="${10 + plotH}" text-anchor="end">0</text>`);
  out.push(`<text x="${left}" y="${H - 8}">${esc(timeText(t.start).slice(0, 19))}</text>`);
  out.push(`<text x="${W - 10}" y="${H - 8}" text-anchor="end">+${esc(num(n * t.width))} s</text>`);
  // Two bars per bucket, side by side: accepted then dropped.
  for (let i = 0; i < n; i++) {
    const a = t.accepted[i]!;
    const dr = t.dropped[i]!;
    if (!a && !dr) continue;
    const tip = `${timeText(t.start + i * t.width).slice(0, 19)} +${t.width} s: ${a} accepted, ${dr} dropped`;
    out.push(`<g data-bucket="${i}" data-accepted="${a}" data-dropped="${dr}"><title>${esc(tip)}</title>`);
    if (a)
      out.push(`<rect class="acc" x="${x(i).toFixed(2)}" y="${y(a).toFixed(2)}" width="${(bw / 2).toFixed(2)}" height="${(10 + plotH - y(a)).toFixed(2)}"/>`);
    if (dr)
      out.push(
        `<rect class="drp" x="${(x(i) + bw / 2).toFixed(2)}" y="${y(dr).toFixed(2)}" width="${(bw / 2).toFixed(2)}" height="${(10 + plotH - y(dr)).toFixed(2)}"/>`,
      );
    out.push('</g>');
  }
  out.push('</svg>');
}

interface Cause {
  cause: string;
  count: number;
  bytes: number;
  text?: string;
}

/** Every cause of drops (sites and stack reasons), most first. */
function causes(r: ReplayResult): Cause[] {
  const list: Cause[] = r.drops.sites.map((s) => ({ cause: siteCause(s), count: s.count, bytes: s.bytes, ...(s.text ? { text: s.text } : {}) }));
  for (const x of r.drops.reasons) list.push({ cause: `stack:${x.reason}`, count: x.count, bytes: x.bytes });
  return list.sort((a, b) => b.count - a.count || (a.cause < b.cause ? -1 : a.cause > b.cause ? 1 : 0));
}

/** The causes whose samples the page lists: the MAX_SAMPLED_CAUSES that dropped most. */
function sampledCauses(r: ReplayResult, d: ReplayDetails | undefined): Map<string, DropSamples> {
  const by = new Map((d?.samples ?? []).map((s) => [s.cause, s]));
  const out = new Map<string, DropSamples>();
  for (const c of causes(r)) {
    if (out.size >= MAX_SAMPLED_CAUSES) break;
    const s = by.get(c.cause);
    if (s?.frames.length) out.set(c.cause, s);
  }
  return out;
}

function dropChart(r: ReplayResult, sampled: Map<string, DropSamples>, ids: Map<string, string>, out: string[]): void {
  out.push('<h2 id="drops">Drops by rule, policy and stack reason</h2>');
  const all = causes(r);
  if (!all.length) {
    out.push('<p>Nothing was dropped.</p>');
    return;
  }
  const bars = all.slice(0, MAX_BARS);
  const rest = all.slice(MAX_BARS);
  const max = Math.max(...all.map((c) => c.count), 1);
  const rowH = 22;
  const labelW = 260;
  const W = 1000;
  const H = rowH * (bars.length + (rest.length ? 1 : 0)) + 4;
  out.push(`<svg id="drops-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="drops by cause">`);
  const bar = (i: number, label: string, count: number, title: string, cause?: string): void => {
    const y0 = 2 + i * rowH;
    const w = ((W - labelW - 120) * count) / max;
    const target = cause && sampled.has(cause) ? `#${causeId(cause, ids)}` : undefined;
    out.push(`<g class="bar" data-cause="${esc(cause ?? 'others')}" data-count="${count}"><title>${esc(title)}</title>`);
    const text = `<text x="${labelW - 6}" y="${y0 + 15}" text-anchor="end">${esc(label.length > 40 ? `${label.slice(0, 39)}…` : label)}</text>`;
    out.push(target ? `<a href="${esc(target)}">${text}</a>` : text);
    out.push(`<rect class="drp" x="${labelW}" y="${y0 + 3}" width="${Math.max(w, 1).toFixed(2)}" height="${rowH - 6}"/>`);
    out.push(`<text class="value" x="${(labelW + Math.max(w, 1) + 6).toFixed(2)}" y="${y0 + 15}">${count}</text></g>`);
  };
  bars.forEach((c, i) =>
    bar(i, causeLabel(c.cause), c.count, `${causeLabel(c.cause)}: ${c.count} packets, ${c.bytes} bytes${c.text ? `\n${c.text}` : ''}`, c.cause),
  );
  if (rest.length) {
    const n = rest.reduce((s, c) => s + c.count, 0);
    bar(bars.length, `${rest.length} more causes`, n, `${rest.length} causes not drawn: ${n} packets`);
  }
  out.push('</svg>');
  out.push('<table class="causes"><tr><th class="n">packets</th><th class="n">bytes</th><th>where</th><th>rule</th></tr>');
  for (const c of all) {
    const where = sampled.has(c.cause) ? `<a href="#${esc(causeId(c.cause, ids))}">${esc(causeLabel(c.cause))}</a>` : esc(causeLabel(c.cause));
    out.push(
      `<tr data-cause="${esc(c.cause)}"><td class="n" data-n="${c.count}">${num(c.count)}</td><td class="n">${num(c.bytes)}</td><td class="mono">${where}</td><td class="mono">${esc(c.text ?? '')}</td></tr>`,
    );
  }
  out.push('</table>');
}

/** `tcp 192.0.2.1 -> 198.51.100.1:22` as the text report writes a dropped flow. */
function flowLine(fl: ReplayResult['flows'][number]): string {
  const icmp = fl.proto === 1 || fl.proto === 58;
  const dst = !icmp && fl.dport && fl.dst.includes(':') ? `[${fl.dst}]` : fl.dst;
  const port = icmp ? ` type ${fl.dport}` : fl.dport ? `:${fl.dport}` : '';
  return `${protocolName(fl.proto)} ${fl.src} -> ${dst}${port}`;
}

function tops(r: ReplayResult, d: ReplayDetails | undefined, top: number, out: string[]): void {
  const n = Math.max(top, 1);
  out.push('<h2 id="top">Most-dropped flows, sources and ports</h2>');
  const table = (id: string, head: string, rows: Array<[string, number]>): void => {
    out.push(`<h3>${esc(head)}</h3>`);
    if (!rows.length) {
      out.push('<p class="muted">None.</p>');
      return;
    }
    out.push(`<table id="${id}"><tr><th class="n">dropped</th><th>${esc(head.split(' ').pop()!)}</th></tr>`);
    for (const [what, c] of rows) out.push(`<tr><td class="n" data-n="${c}">${num(c)}</td><td class="mono">${esc(what)}</td></tr>`);
    out.push('</table>');
  };
  table(
    'top-flows',
    'Top dropped flows',
    r.flows.slice(0, n).map((f) => [flowLine(f), f.count]),
  );
  if (r.flowsForgotten) out.push(`<p class="muted">${num(r.flowsForgotten)} flows were forgotten when the flow table was full; counts are lower bounds.</p>`);
  table(
    'top-sources',
    'Top dropped sources',
    (d?.sources ?? []).slice(0, n).map((s) => [s.addr, s.count]),
  );
  table(
    'top-ports',
    'Top dropped ports',
    (d?.ports ?? []).slice(0, n).map((p) => [`${protocolName(p.proto)} ${p.proto === 1 || p.proto === 58 ? `type ${p.port}` : p.port}`, p.count]),
  );
  if (d?.forgotten) out.push(`<p class="muted">${num(d.forgotten)} sources and ports were forgotten when their tables were full; counts are lower bounds.</p>`);
}

function rulesetListing(rs: Ruleset, ipv6: boolean, r: ReplayResult, sampled: Map<string, DropSamples>, ids: Map<string, string>, out: string[]): void {
  const dropsAt = new Map(r.drops.sites.map((s) => [siteCause(s), s.count]));
  for (const t of listRuleset(rs)) {
    out.push(`<h3 data-family="${ipv6 ? 6 : 4}" data-table="${esc(t.table)}">${esc(t.command)} -t ${esc(t.table)}</h3>`);
    for (const c of t.chains) {
      const policyCause = `${ipv6 ? 'ip6:' : ''}${t.table}:${c.name}:0`;
      const policyLink = c.builtin && sampled.has(policyCause) ? ` <a href="#${esc(causeId(policyCause, ids))}">dropped frames</a>` : '';
      out.push(`<div class="chain" data-chain="${esc(c.name)}" data-packets="${c.packets}" data-bytes="${c.bytes}">${esc(c.header)}${policyLink}</div>`);
      out.push(
        '<table class="listing"><tr><th class="n">num</th><th class="n">pkts</th><th class="n">bytes</th><th>target</th><th>prot</th><th>opt</th><th>in</th><th>out</th><th>source</th><th>destination</th><th></th><th>dropped</th></tr>',
      );
      for (const x of c.rules) {
        const cause = `${ipv6 ? 'ip6:' : ''}${t.table}:${c.name}:${x.num}`;
        const dropped = dropsAt.get(cause);
        const link = dropped === undefined ? '' : sampled.has(cause) ? `<a href="#${esc(causeId(cause, ids))}">${num(dropped)}</a>` : num(dropped);
        out.push(
          `<tr class="rule${dropped ? ' dropping' : ''}" data-cause="${esc(cause)}" data-pkts="${x.pkts}" data-bytes="${x.bytes}"><td class="n">${x.num}</td><td class="n pkts">${x.pkts}</td><td class="n bytes">${x.bytes}</td><td>${esc(x.target)}</td><td>${esc(x.prot)}</td><td>${esc(x.opt)}</td><td>${esc(x.in)}</td><td>${esc(x.out)}</td><td>${esc(x.source)}</td><td>${esc(x.destination)}</td><td class="opts">${esc(x.options)}</td><td class="n"${dropped === undefined ? '' : ` data-dropped="${dropped}"`}>${link}</td></tr>`,
        );
      }
      out.push('</table>');
    }
  }
}

function samples(r: ReplayResult, d: ReplayDetails | undefined, sampled: Map<string, DropSamples>, ids: Map<string, string>, out: string[]): void {
  out.push('<h2 id="samples">Dropped frames by cause</h2>');
  if (!d) {
    out.push('<p class="muted">Not gathered.</p>');
    return;
  }
  const texts = new Map(r.drops.sites.map((s) => [siteCause(s), s.text]));
  if (!sampled.size) out.push('<p>Nothing was dropped.</p>');
  else
    out.push(
      `<p class="muted">The first ${d.sampleSize} frames each cause dropped${d.samples.length > sampled.size ? `, for the ${sampled.size} causes that dropped most (of ${d.samples.length})` : ''}. Frame numbers count from 1 across the captures, as the replay reads them (merged by timestamp); times are UTC.</p>`,
    );
  for (const [cause, s] of sampled) {
    const text = texts.get(cause);
    out.push(
      `<h3 id="${esc(causeId(cause, ids))}" data-cause="${esc(cause)}" data-count="${s.count}">${esc(causeLabel(cause))}: ${num(s.count)} dropped${s.count > s.frames.length ? `, first ${s.frames.length} shown` : ''}</h3>`,
    );
    if (text) out.push(`<p class="mono">${esc(text)}</p>`);
    out.push('<table class="sample"><tr><th class="n">frame</th><th>time</th><th>flow</th><th class="n">length</th></tr>');
    for (const f of s.frames)
      out.push(
        `<tr><td class="n">${f.frame}</td><td class="mono">${esc(timeText(f.time))}</td><td class="mono">${esc(f.flow)}</td><td class="n">${f.length}</td></tr>`,
      );
    out.push('</table>');
  }
}
