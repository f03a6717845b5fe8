/**
 * `cofw replay --expect` and `--junit` on golden scenarios, with the
 * kernel's counters (kernel.save, kernel.save6) as the ground truth of what
 * must pass and what must fail; `--unused`; the JUnit XML read back against
 * a JUnit schema (with xmllint, when installed).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cofw, HAVE_XMLLINT, xmlSchemaErrors } from './cli-run.js';
import { expectValidReport } from './report-schema.js';

const golden = join(import.meta.dirname, 'golden');
const JUNIT_XSD = join(import.meta.dirname, 'fixtures/junit/junit.xsd');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-expect-'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The counters of an iptables-save -c text: `[ip6:]table:CHAIN:N` (policies as `table:CHAIN`) with the kernel's packet count. */
function kernelCounters(text: string, ipv6: boolean): Array<{ ref: string; policy: boolean; packets: number }> {
  const out: Array<{ ref: string; policy: boolean; packets: number }> = [];
  let table = '';
  const n = new Map<string, number>();
  const p = ipv6 ? 'ip6:' : '';
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^\*(\S+)/.exec(line))) table = m[1]!;
    else if ((m = /^:(\S+) (ACCEPT|DROP) \[(\d+):\d+\]/.exec(line))) out.push({ ref: `${p}${table}:${m[1]}`, policy: true, packets: Number(m[3]) });
    else if ((m = /^\[(\d+):\d+\] -A (\S+)/.exec(line))) {
      const k = `${table}:${m[2]}`;
      n.set(k, (n.get(k) ?? 0) + 1);
      out.push({ ref: `${p}${k}:${n.get(k)}`, policy: false, packets: Number(m[1]) });
    }
  }
  return out;
}

/** Every counter of a scenario as a hits expectation, one of them off by `skew` (when given). */
function counterExpectations(name: string, skew?: { index: number; by: number }): { yaml: string; count: number; skewed?: string } {
  const d = join(golden, name);
  const all = [
    ...kernelCounters(readFileSync(join(d, 'kernel.save'), 'utf8'), false),
    ...(existsSync(join(d, 'kernel.save6')) ? kernelCounters(readFileSync(join(d, 'kernel.save6'), 'utf8'), true) : []),
  ];
  let skewed: string | undefined;
  const yaml = all
    .map((c, i) => {
      const hits = skew && i === skew.index ? c.packets + skew.by : c.packets;
      if (skew && i === skew.index) skewed = c.ref;
      return `- ${c.policy ? 'policy' : 'rule'}: ${c.ref}\n  hits: ${hits}\n`;
    })
    .join('');
  return { yaml, count: all.length, ...(skewed ? { skewed } : {}) };
}

function scenarioArgs(name: string): string[] {
  const d = join(golden, name);
  const machine = existsSync(join(d, 'machine.yaml')) ? join(d, 'machine.yaml') : join(golden, 'machine.yaml');
  return [
    join(d, 'capture.pcap'),
    '--rules',
    join(d, 'rules.v4'),
    ...(existsSync(join(d, 'rules.v6')) ? ['--rules6', join(d, 'rules.v6')] : []),
    '--machine',
    machine,
    '-q',
  ];
}

describe('cofw replay --expect: the kernel counters as expectations', () => {
  it.each(['filter-basic', 'ufw6'])('%s: every rule and policy has the hits the kernel counted (exit 0)', async (name) => {
    const { yaml, count } = counterExpectations(name);
    const file = join(dir, `${name}-hits.yaml`);
    writeFileSync(file, yaml);
    const r = await cofw('replay', ...scenarioArgs(name), '--expect', file);
    expect(r.err).toBe('');
    expect(r.out).toContain(`Expectations (${file}): ${count} passed, 0 failed`);
    expect(r.out).not.toMatch(/^ {2}FAIL/m);
    expect(r.code).toBe(0);
  });

  it('ufw6: one count off by one fails that expectation alone (exit 4), also in the JUnit XML', async () => {
    const { yaml, count, skewed } = counterExpectations('ufw6', { index: 80, by: 1 });
    const file = join(dir, 'ufw6-skewed.yaml');
    const junit = join(dir, 'ufw6-skewed.xml');
    writeFileSync(file, yaml);
    const r = await cofw('replay', ...scenarioArgs('ufw6'), '--expect', file, '--junit', junit);
    expect(r.code).toBe(4);
    expect(r.out).toContain(`Expectations (${file}): ${count - 1} passed, 1 failed`);
    const fails = r.out.split('\n').filter((l) => l.startsWith('  FAIL'));
    expect(fails).toHaveLength(1);
    expect(fails[0]).toContain(skewed!.startsWith('ip6:') ? skewed! : skewed!);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`tests="${count}" failures="1" errors="0"`);
    expect((xml.match(/<failure /g) ?? []).length).toBe(1);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(count);
  });

  it('filter-basic: traffic expectations agree with the kernel counters of the rules that decide them', async () => {
    // kernel.save: rule 6 (-i eth1 ssh SYN ACCEPT) 6 packets, rule 7 (! -i eth1 ssh DROP) 6, rule 3 (-s 192.0.2.66 DROP) 6,
    // the INPUT policy (DROP) 27, rule 12 (--sport 0:1023 DROP) 3; rule 2 (-f) none.
    const file = join(dir, 'filter-basic-traffic.yaml');
    writeFileSync(
      file,
      `- name: ssh SYNs from the inside are accepted by rule 6
  in: eth1
  fate: accepted
  rule: filter:INPUT:6
  count: 6
- name: ssh from the outside is dropped by rule 7, never accepted
  in: "!eth1"
  to: 198.51.100.1
  proto: tcp
  dport: 22
  fate: dropped
- name: rule 7 decides exactly its counter's packets
  fate: any
  rule: filter:INPUT:7
  count: 6
- name: the banned host, in INPUT
  from: 192.0.2.66
  fate: dropped
  table: filter
  chain: INPUT
  rule: 3
  count: 6
- name: the INPUT policy drops 27
  fate: dropped
  chain: INPUT
  rule: policy
  count: 27
- name: privileged source ports
  proto: tcp
  sport: "0:1023"
  to: 198.51.100.1
  fate: dropped
  count: ">=3"
- name: no fragment reaches rule 2
  fate: any
  rule: filter:INPUT:2
  count: 0
`,
    );
    const r = await cofw('replay', ...scenarioArgs('filter-basic'), '--expect', file);
    expect(r.out).toContain('7 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('a failing traffic expectation shows up to five counter-examples: frame, flow, fate, the deciding rule and its text', async () => {
    const file = join(dir, 'filter-basic-fail.yaml');
    writeFileSync(file, `- name: everything from 203.0.113.0/24 gets in\n  from: 203.0.113.0/24\n  fate: accepted\n`);
    const json = join(dir, 'fail.json');
    const r = await cofw('replay', ...scenarioArgs('filter-basic'), '--expect', file, '--json', json);
    expect(r.code).toBe(4);
    const lines = r.out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('  FAIL  everything from 203.0.113.0/24 gets in (line 1): '));
    expect(at).toBeGreaterThan(0);
    const examples = lines.slice(at + 1, at + 6);
    for (const l of examples) expect(l).toMatch(/^ {10}frame \d+ {2}\S+ 203\.0\.113\.\d+\S* -> \S+.* {2}(dropped|rejected) {2}\S+/);
    expect(lines[at + 6] ?? '').not.toMatch(/^ {10}frame/);
    expect(r.out).toMatch(
      /frame \d+ {2}tcp 203\.0\.113\.\d+:\d+ -> 198\.51\.100\.1:22 {2}dropped {2}filter:INPUT:7 {2}-A INPUT ! -i eth1 -p tcp -m tcp --dport 22 -j DROP/,
    );
    expectValidReport(readFileSync(json, 'utf8'));
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.expectations.failed).toBe(1);
    expect(report.expectations.results[0].examples).toHaveLength(5);
    expect(report.expectations.results[0].selected).toBeGreaterThan(report.expectations.results[0].matching);
  });

  it('IPv6 traffic and ip6tables rules (ufw6): the kernel counter of ufw6-user-input rules', async () => {
    const counters = kernelCounters(readFileSync(join(golden, 'ufw6/kernel.save6'), 'utf8'), true);
    const hit = counters.find((c) => !c.policy && c.packets > 0 && c.ref.includes('ufw6-user-input'))!;
    const file = join(dir, 'ufw6-traffic.yaml');
    writeFileSync(
      file,
      `- name: decided by ${hit.ref}\n  family: ipv6\n  fate: any\n  rule: ${hit.ref}\n  count: ${hit.packets}\n- name: ssh to the firewall over IPv6\n  to: 2001:db8:100::1\n  proto: tcp\n  dport: 22\n  fate: delivered\n  chain: ufw6-user-input\n  count: ${hit.packets}\n`,
    );
    const r = await cofw('replay', ...scenarioArgs('ufw6'), '--expect', file);
    expect(r.out).toContain('2 passed, 0 failed');
    expect(r.code).toBe(0);
  });
});

describe('cofw replay --expect: mistakes in the file, with their line and column (exit 1)', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a chain that does not exist', '- name: x\n  fate: accepted\n  chain: INPUTT\n  rule: 1\n', /:4:9: table filter of .* has no chain INPUTT/],
    ['a rule beyond the chain', '- rule: filter:INPUT:99\n  hits: 0\n', /:1:9: rule filter:INPUT:99: chain INPUT of table filter in \S+ has \d+ rules, not 99/],
    ['an interface the machine lacks', '- fate: dropped\n  in: wlan0\n', /:2:7: in: the machine has no interface wlan0 \(it has lo, eth0, eth1\)/],
    ['an unknown key', '- fate: dropped\n  port: 22\n', /:2:3: unknown key `port'/],
    ['an unknown fate', '- fate: lost\n', /:1:9: fate: unknown fate `lost'/],
    ['bad bounds', '- rule: filter:INPUT:1\n  hits: lots\n', /:2:9: hits: expected a count or bounds/],
    ['a bad address', '- from: 300.1.2.3\n  fate: any\n', /:1:9: from: `300.1.2.3' is not an address/],
    ['an ip6tables rule without --rules6', '- rule: ip6:filter:INPUT:1\n  hits: 0\n', /:1:9: .*there is no ip6tables rule file/],
    ['not a list', 'fate: accepted\n', /:1:1: an expectation file is a list/],
  ];
  it.each(cases)('%s', async (_what, yaml, message) => {
    const file = join(dir, `bad-${_what.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, yaml);
    const r = await cofw('replay', ...scenarioArgs('filter-basic'), '--expect', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cofw: ${file}:`);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('--junit without --expect is a usage error (exit 2)', async () => {
    const r = await cofw('replay', ...scenarioArgs('filter-basic'), '--junit', join(dir, 'x.xml'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--junit needs --expect');
  });
});

describe('JUnit XML', () => {
  it.skipIf(!HAVE_XMLLINT)('validates against a JUnit schema (xmllint), passing and failing cases, names with markup', async () => {
    const file = join(dir, 'junit-both.yaml');
    const junit = join(dir, 'junit-both.xml');
    writeFileSync(
      file,
      `- name: "quotes \\" & <angles> pass"\n  rule: filter:INPUT:1\n  hits: ">0"\n- name: fails & says why\n  from: 203.0.113.0/24\n  fate: accepted\n`,
    );
    const r = await cofw('replay', ...scenarioArgs('filter-basic'), '--expect', file, '--junit', junit);
    expect(r.code).toBe(4);
    expect(xmlSchemaErrors(junit, JUNIT_XSD)).toBe('');
    // Jenkins' own junit-10.xsd, when the tests are given its path.
    const jenkins = process.env.COFW_JUNIT_XSD;
    if (jenkins) expect(xmlSchemaErrors(junit, jenkins)).toBe('');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('name="quotes &quot; &amp; &lt;angles&gt; pass"');
    expect(xml).toMatch(/<failure type="expectation" message="\d+ of \d+ packets not accepted">/);
  });
  it.skipIf(HAVE_XMLLINT)('skipped: xmllint is not installed (Debian: apt-get install libxml2-utils)', () => {});
});

describe('cofw replay --unused', () => {
  it('lists the rules the kernel counted no packet for, with their files and lines', async () => {
    const json = join(dir, 'unused.json');
    const r = await cofw('replay', ...scenarioArgs('ufw6'), '--unused', '--json', json);
    expect(r.code).toBe(0);
    const zero = [
      ...kernelCounters(readFileSync(join(golden, 'ufw6/kernel.save'), 'utf8'), false),
      ...kernelCounters(readFileSync(join(golden, 'ufw6/kernel.save6'), 'utf8'), true),
    ].filter((c) => !c.policy && c.packets === 0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(
      report.unused.map((u: { ipv6?: boolean; table: string; chain: string; rule: number }) => `${u.ipv6 ? 'ip6:' : ''}${u.table}:${u.chain}:${u.rule}`),
    ).toEqual(zero.map((c) => c.ref));
    const rules6 = readFileSync(join(golden, 'ufw6/rules.v6'), 'utf8').split('\n');
    const u6 = report.unused.find((u: { ipv6?: boolean }) => u.ipv6);
    expect(u6.file).toContain('rules.v6');
    // The line the rule was written on holds its chain name.
    expect(rules6[u6.line - 1]).toContain(u6.chain);
    expect(r.out).toContain(`Unused rules (no packet hit them): ${zero.length} of `);
  });
});
