/**
 * The corpus of hostile inputs (test/fixtures/hostile/): one case for each
 * kind of input issue #13 names, each run as a user runs cofw, with the
 * exit code, the message (stdout, stderr) and the outputs it must give:
 * never a stack trace, never exit 70, never an input lost.
 *
 * The inputs are committed; `COFW_REGEN_HOSTILE=1 npx vitest run
 * test/hostile.test.ts` writes them again from `makeHostile` below (and
 * the test checks that the committed files are what it writes).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { expectValidReport } from './report-schema.js';
import { pcapHeader, pcapRecord } from '../src/capture/pcap-write.js';
import { pcapngInterface, pcapngPacket, pcapngSectionHeader } from '../src/capture/writer.js';
import { LINK_SAMPLES } from '../src/capture/link-fixture.js';
import { ethernet, ipv4, tcp, udp } from '../src/packet/build.js';

const root = join(import.meta.dirname, '..');
const FIXTURES = join(root, 'test/fixtures/hostile');
const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const LAN = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };

const pcap = (linkType: number, frames: Uint8Array[], step = 1_000_000n): Buffer =>
  Buffer.concat([pcapHeader(linkType), ...frames.map((d, i) => pcapRecord(T0 + BigInt(i) * step, d))]);
const MACHINE = `hostname: hostile
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
routes:
  - to: default
    via: 198.51.100.254
`;
const RULES = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p udp --dport 53 -j DROP\nCOMMIT\n';
const syn = (i: number): Uint8Array => ethernet(LAN, ipv4({ src: '192.0.2.10', dst: '203.0.113.80', id: i }, tcp({ sport: 40000 + i, dport: 80, flags: 'S' })));

/** The corpus's input files, by name. */
export function makeHostile(): Map<string, Uint8Array | string> {
  const f = new Map<string, Uint8Array | string>();
  f.set('machine.yaml', MACHINE);
  f.set('rules.v4', RULES);
  f.set('good.pcap', pcap(1, [syn(1), syn(2)]));
  // Captures that are not captures, or not ones cofw reads.
  f.set('one-byte.pcap', Uint8Array.of(0xd4));
  f.set('notes.pcap', 'tcpdump -i eth0 -w capture.pcap\n');
  f.set('frelay.pcap', pcap(107, [Uint8Array.of(1, 2, 3, 4)]));
  f.set(
    'usb-only.pcapng',
    Buffer.concat([pcapngSectionHeader(), pcapngInterface(220, { name: 'usbmon1', tsresol: 9 }), pcapngPacket(0, T0, new Uint8Array(64))]),
  );
  const good = pcap(1, [syn(1), syn(2), syn(3)]);
  f.set('cut.pcap', good.subarray(0, good.length - 20));
  // A gzip bomb: 24 MiB of zero-filled 256 KiB records in 25 KiB.
  const zero = new Uint8Array(262144);
  f.set('bomb.pcap.gz', gzipSync(Buffer.concat([pcapHeader(1), ...Array.from({ length: 96 }, () => pcapRecord(T0, zero))]), { level: 9 }));
  // Timestamps: one going back 100 s, then a jump of 40 years.
  f.set(
    'clock.pcap',
    Buffer.concat([pcapHeader(1), pcapRecord(T0 + 100n * S, syn(1)), pcapRecord(T0, syn(2)), pcapRecord(T0 + 40n * 365n * 86_400n * S, syn(3))]),
  );
  // Link types that carry IP, with frames that carry none.
  f.set(
    'ppp.pcap',
    pcap(
      9,
      LINK_SAMPLES.get(9)!.map((s) => s.data),
    ),
  );
  f.set(
    'wifi-radiotap.pcap',
    pcap(
      127,
      LINK_SAMPLES.get(127)!.map((s) => s.data),
    ),
  );
  f.set(
    'nflog.pcap',
    pcap(
      239,
      LINK_SAMPLES.get(239)!.map((s) => s.data),
    ),
  );
  f.set(
    'pppoe.pcap',
    pcap(
      1,
      LINK_SAMPLES.get(1)!.map((s) => s.data),
    ),
  );
  // A GRO super-packet (3000 bytes of TCP), and the machine that says the capture has them.
  f.set(
    'gro.pcap',
    pcap(1, [ethernet(WIRE, ipv4({ src: '198.51.100.9', dst: '192.0.2.10' }, tcp({ sport: 443, dport: 40000, flags: 'A', payload: new Uint8Array(2960) })))]),
  );
  f.set('gro.yaml', MACHINE.replace('    addresses: [198.51.100.1/24]\n', '    addresses: [198.51.100.1/24]\n    gro: true\n'));
  // A ping of death: fragments reassembling past 65,535 bytes.
  const pod: Uint8Array[] = [];
  for (let off = 0; off < 65536; off += 1480) {
    pod.push(
      ethernet(
        WIRE,
        ipv4(
          { src: '203.0.113.66', dst: '198.51.100.1', id: 7, df: false, mf: off + 1480 < 65536 + 1480, fragoff: off / 8, proto: 1 },
          { proto: 1, bytes: new Uint8Array(1480) },
        ),
      ),
    );
  }
  f.set('ping-of-death.pcap', pcap(1, pod));
  f.set('conntrack.v4', RULES.replace('-A FORWARD', '-A INPUT -m conntrack --ctstate INVALID -j DROP\n-A FORWARD'));
  // Rule files.
  f.set('control-chars.v4', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s evil\x1b[2J\x07host -j DROP\nCOMMIT\n');
  f.set('many-errors.v4', `*filter\n:INPUT ACCEPT [0:0]\n${'-A INPUT -p tcp --dport 99999 -j DROP\n'.repeat(1000)}COMMIT\n`);
  const chains = Array.from({ length: 17 }, (_, i) => `c${i}`);
  f.set(
    'jump-depth.v4',
    `*filter\n:INPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]`).join('\n')}\n-A INPUT -j c0\n${chains
      .slice(0, -1)
      .map((c, i) => `-A ${c} -j c${i + 1}`)
      .join('\n')}\nCOMMIT\n`,
  );
  f.set('long-param.v4', `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment ${'x'.repeat(1100)} -j ACCEPT\nCOMMIT\n`);
  f.set('bom.v4', `\ufeff${RULES}`);
  f.set('crlf.v4', RULES.replace(/\n/g, '\r\n'));
  // Machine files.
  f.set('deep.yaml', `interfaces: ${'['.repeat(3000)}${']'.repeat(3000)}\n`);
  f.set('gro-bad.yaml', MACHINE.replace('    addresses: [198.51.100.1/24]\n', '    addresses: [198.51.100.1/24]\n    gro: sometimes\n'));
  f.set('unknown-key.yaml', MACHINE.replace('hostname: hostile\n', 'hostname: hostile\nfirewall: yes\n'));
  // A rule set where every packet meets 500 rules: tracing 250 frames logs more than the console keeps.
  f.set('trace.v4', `*filter\n:INPUT ACCEPT [0:0]\n${'-A INPUT -m comment --comment seen\n'.repeat(500)}COMMIT\n`);
  f.set(
    'trace.pcap',
    pcap(
      1,
      Array.from({ length: 250 }, (_, i) => ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1', id: i }, udp({ sport: 1000 + i, dport: 53 })))),
    ),
  );
  // UDP to port 53 from the LAN (dropped by the rule) for output tests.
  f.set('dns.pcap', pcap(1, [ethernet(LAN, ipv4({ src: '192.0.2.10', dst: '203.0.113.53' }, udp({ sport: 5000, dport: 53 })))]));
  return f;
}

interface Case {
  name: string;
  /** What the issue said went wrong. */
  issue: string;
  args: string[];
  exit: number;
  stdout?: RegExp;
  stderr?: RegExp;
  /** Output files (in the case's folder) that must exist afterwards, or not. */
  made?: string[];
  notMade?: string[];
}

const R = ['-r', 'rules.v4', '-m', 'machine.yaml', '-q'];
const CASES: Case[] = [
  {
    name: 'one-byte capture',
    issue: 'a 1-byte capture is "a text file"',
    args: ['replay', 'one-byte.pcap', ...R],
    exit: 1,
    stderr: /one-byte\.pcap, byte 0: not a pcap or pcapng file: the file is only 1 byte long \(d4\): too short to be a capture/,
  },
  {
    name: 'text file',
    issue: 'a file that is not a capture',
    args: ['replay', 'notes.pcap', ...R],
    exit: 1,
    stderr: /notes\.pcap, byte 0: not a pcap or pcapng file: it looks like a text file/,
  },
  {
    name: 'unread link type, pcap',
    issue: 'any other link type refused with exit 1 and its name',
    args: ['replay', 'frelay.pcap', ...R],
    exit: 1,
    stderr: /frelay\.pcap, byte 20: FRELAY \(107\) is not a link type cofw reads/,
  },
  {
    name: 'unread link type, pcapng',
    issue: 'pcapng alike (was "damaged", exit 3)',
    args: ['replay', 'usb-only.pcapng', ...R],
    exit: 1,
    stderr: /usb-only\.pcapng, byte \d+: interface 0 \(usbmon1\) is USB_LINUX_MMAPPED \(usbmon\) \(220\), which is not a link type cofw reads/,
  },
  {
    name: 'capture cut short',
    issue: 'damage after good records: what came before replayed, exit 3',
    args: ['replay', 'cut.pcap', ...R],
    exit: 3,
    stdout: /Frames in\s+2[\s\S]*Damaged input[\s\S]*cut\.pcap.*record 3.*cut short/,
  },
  {
    name: 'gzip bomb',
    issue: 'a gzip bomb expanded to gigabytes without a word',
    args: ['replay', 'bomb.pcap.gz', ...R],
    exit: 3,
    stdout: /bomb\.pcap\.gz: record 64 at byte \d+: the gzip data expands more than 200 times .*a decompression bomb/,
  },
  {
    name: 'timestamps',
    issue: 'absurd or backwards timestamps wrap silently',
    args: ['replay', 'clock.pcap', ...R, '--json', 'clock.json'],
    exit: 0,
    stderr:
      /note: .*clock\.pcap record 2: its timestamp .* is 100\.000 s before .*the firewall's clock does not go back[\s\S]*note: .*clock\.pcap record 3: the clock jumps forward 14600\.0 days/,
  },
  {
    name: 'PPP',
    issue: 'PPP captures (9) read, LCP accounted for',
    args: ['replay', 'ppp.pcap', ...R],
    exit: 0,
    stdout: /bridged \(not IP\)\s+1[\s\S]*1 {2}PPP LCP \(0xc021\), not an IP packet/,
  },
  {
    name: '802.11 with radiotap',
    issue: 'protected frames cannot be read: a non-IP fate',
    args: ['replay', 'wifi-radiotap.pcap', ...R],
    exit: 0,
    stdout: /802\.11 frame that failed its FCS check[\s\S]*802\.11 protected data frame \(encrypted: its payload cannot be read\)/,
  },
  { name: 'NFLOG', issue: 'what tcpdump -i nflog writes', args: ['replay', 'nflog.pcap', ...R], exit: 0, stdout: /NFLOG record without a packet/ },
  {
    name: 'PPPoE in Ethernet',
    issue: 'PPPoE session and discovery frames inside Ethernet',
    args: ['replay', 'pppoe.pcap', ...R, '--json', 'pppoe.json'],
    exit: 0,
    stdout: /PPPoE discovery \(PADI\), not an IP packet/,
    made: ['pppoe.json'],
  },
  {
    name: 'GRO super-packet, gro: true',
    issue: 'frames larger than the MTU from a host with offloads',
    args: ['replay', 'gro.pcap', '-r', 'rules.v4', '-m', 'gro.yaml', '-q'],
    exit: 0,
    stdout: /forwarded\s+1 /,
  },
  { name: 'GRO super-packet without gro', issue: 'dropped as too big', args: ['replay', 'gro.pcap', ...R], exit: 0, stdout: /PKT_TOO_BIG/ },
  {
    name: 'ping of death',
    issue: 'fragments reassembling past 65,535 bytes are delivered',
    args: ['replay', 'ping-of-death.pcap', '-r', 'conntrack.v4', '-m', 'machine.yaml', '-q'],
    exit: 0,
    stdout: /delivered locally\s+0 [\s\S]*dropped\s+45 /,
  },
  {
    name: 'control characters',
    issue: 'control bytes from input files echoed to the terminal',
    args: ['check', 'control-chars.v4'],
    exit: 1,
    stderr: /evil\\x1b\[2J\\x07host/,
  },
  {
    name: 'a screenful of errors',
    issue: 'a rule file with 100,000 bad lines prints 100,000 errors',
    args: ['check', 'many-errors.v4'],
    exit: 1,
    stderr: /\.\.\. and 980 more errors in many-errors\.v4/,
  },
  { name: 'jump depth', issue: 'check accepts jump depth >= 16', args: ['check', 'jump-depth.v4'], exit: 1, stderr: /Too many links/ },
  { name: 'parameter length', issue: 'parameters over 1,023 bytes', args: ['check', 'long-param.v4'], exit: 1, stderr: /long-param\.v4:3:\d+: .*1023/ },
  { name: 'byte-order mark', issue: 'check accepts a UTF-8 byte-order mark', args: ['check', 'bom.v4'], exit: 1, stderr: /byte-order mark/ },
  { name: 'CRLF line endings', issue: 'check accepts CRLF endings', args: ['check', 'crlf.v4'], exit: 1, stderr: /crlf\.v4:\d+:\d+/ },
  {
    name: 'deep YAML',
    issue: 'a 3,000-level nested machine YAML overflows the stack',
    args: ['replay', 'good.pcap', '-r', 'rules.v4', '-m', 'deep.yaml', '-q'],
    exit: 1,
    stderr: /deep\.yaml:1:\d+: /,
  },
  {
    name: 'gro not a boolean',
    issue: 'machine-file errors print :0:0: with raw Node text',
    args: ['replay', 'good.pcap', '-r', 'rules.v4', '-m', 'gro-bad.yaml', '-q'],
    exit: 1,
    stderr: /gro-bad\.yaml:6:\d+: gro must be true or false/,
  },
  {
    name: 'unknown machine key',
    issue: 'positions in machine files',
    args: ['replay', 'good.pcap', '-r', 'rules.v4', '-m', 'unknown-key.yaml', '-q'],
    exit: 1,
    stderr: /unknown-key\.yaml:2:1: /,
  },
  {
    name: '--machine and --local',
    issue: '--machine silently overrides --local',
    args: ['replay', 'good.pcap', ...R, '--local', '192.0.2.1/24'],
    exit: 2,
    stderr: /--machine and --local both describe/,
  },
  {
    name: '--out-format pcap into .pcapng',
    issue: 'writes pcap into a.pcapng',
    args: ['replay', 'good.pcap', ...R, '--out-format', 'pcap', '-a', 'a.pcapng'],
    exit: 2,
    stderr: /--accepted a\.pcapng: the name says pcapng but --out-format is pcap/,
    notMade: ['a.pcapng'],
  },
  {
    name: 'output is the input',
    issue: 'replay big.pcap -a big.pcap truncates the capture',
    args: ['replay', 'good.pcap', ...R, '-a', 'good.pcap'],
    exit: 1,
    stderr: /--accepted good\.pcap: the same file as the capture/,
  },
  {
    name: 'output in a missing folder',
    issue: 'write errors are internal errors',
    args: ['replay', 'dns.pcap', ...R, '--save', 'no/such/dir/out.v4', '-d', 'd.pcap'],
    exit: 1,
    stderr: /--save no\/such\/dir\/out\.v4/,
    notMade: ['d.pcap'],
  },
  {
    name: 'trace cut by the console limit',
    issue: 'trace --frames 1-50000 stops silently at the console limit',
    args: ['trace', 'trace.pcap', '-r', 'trace.v4', '-m', 'machine.yaml', '--frames', '1-250', '--format', 'kernel'],
    exit: 0,
    stdout: /TRACE: filter:INPUT:rule:500 /,
    stderr:
      /the trace was cut: the guest's console keeps \d+ lines and \d+ more were not kept; the last frame traced in full is frame \d+; trace fewer frames at a time \(--frames \d+-\.\.\.\)/,
  },
  {
    name: 'without a machine file',
    issue: 'the address guesser',
    args: ['replay', 'good.pcap', '-r', 'rules.v4', '-q'],
    exit: 0,
    stderr: /no machine file: taking 192\.0\.2\.10 as the firewall's addresses/,
  },
];

/** Runs `cofw ...args` in-process in `cwd`. */
async function cofw(cwd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const grab =
    (add: (s: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
      return true;
    };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(grab((s) => (out += s)) as typeof process.stdout.write);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(grab((s) => (err += s)) as typeof process.stderr.write);
  const here = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(['node', 'cofw', ...args]);
    return { code, out, err };
  } finally {
    process.chdir(here);
    o.mockRestore();
    e.mockRestore();
  }
}

const made = makeHostile();
if (process.env.COFW_REGEN_HOSTILE) {
  mkdirSync(FIXTURES, { recursive: true });
  for (const [n, d] of made) writeFileSync(join(FIXTURES, n), d);
}

describe('the corpus of hostile inputs', () => {
  const work = mkdtempSync(join(tmpdir(), 'cofw-hostile-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is committed as makeHostile writes it', () => {
    const committed = readdirSync(FIXTURES)
      .filter((n) => n !== 'README.md')
      .sort();
    expect(committed).toEqual([...made.keys()].sort());
    for (const [n, d] of made) expect(Buffer.compare(readFileSync(join(FIXTURES, n)), Buffer.from(d)), n).toBe(0);
  });

  for (const c of CASES)
    it(`${c.name}: exit ${c.exit} (${c.issue})`, async () => {
      const dir = join(work, c.name.replace(/[^a-z0-9]+/gi, '-'));
      mkdirSync(dir);
      for (const n of made.keys()) copyFileSync(join(FIXTURES, n), join(dir, n));
      const r = await cofw(dir, c.args);
      if (process.env.COFW_SHOW) console.log(c.name, r);
      expect(r.code, r.err).toBe(c.exit);
      expect(r.err).not.toMatch(/\n\s+at |internal error/);
      if (c.stdout) expect(r.out).toMatch(c.stdout);
      if (c.stderr) expect(r.err).toMatch(c.stderr);
      // No raw control character reaches the terminal.
      expect([...r.err].filter((ch) => (ch < ' ' && ch !== '\n' && ch !== '\t') || ch === '\x7f')).toEqual([]);
      for (const n of c.made ?? []) expect(existsSync(join(dir, n)), n).toBe(true);
      // Every JSON report follows the schema.
      for (const n of readdirSync(dir).filter((x) => x.endsWith('.json'))) expectValidReport(readFileSync(join(dir, n), 'utf8'));
      for (const n of c.notMade ?? []) expect(existsSync(join(dir, n)), n).toBe(false);
      // Inputs are never changed.
      for (const n of made.keys()) expect(Buffer.compare(readFileSync(join(dir, n)), readFileSync(join(FIXTURES, n))), `${n} unchanged`).toBe(0);
      expect(readdirSync(dir).filter((n) => n.includes('cofw-tmp'))).toEqual([]);
    });
});
