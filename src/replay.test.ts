import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePcapFile } from './capture/pcap-write.js';
import { openCaptures } from './capture/index.js';
import { arp, ethernet, ipv4, tcp, udp } from './packet/build.js';
import { parseMachineFile } from './machine/machine-file.js';
import { RuleFileError } from './netfilter/rules/api.js';
import type { GuestDeps } from './machine/guest.js';
import { FateKind } from './netfilter/fate.js';
import { replay, linuxGuest } from './replay.js';
import { formatReport } from './report/text.js';

const MACHINE = parseMachineFile(
  `hostname: t
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
fail: closed
`,
  'm.yaml',
);
const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const LAN = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };
const T0 = 1_700_000_000_000_000_000n;

const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A FORWARD -p udp --dport 53 -j DROP
COMMIT
`;

function frames(): Array<{ tsNs: bigint; data: Uint8Array }> {
  const out: Array<{ tsNs: bigint; data: Uint8Array }> = [];
  const add = (d: Uint8Array): void => void out.push({ tsNs: T0 + BigInt(out.length) * 1_000_000n, data: d });
  add(ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 22, flags: 'S' })))); // delivered
  add(ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 23, flags: 'S' })))); // INPUT policy
  add(ethernet(LAN, ipv4({ src: '192.0.2.10', dst: '203.0.113.53' }, udp({ sport: 5000, dport: 53 })))); // FORWARD rule 1
  add(ethernet(LAN, ipv4({ src: '192.0.2.10', dst: '203.0.113.80' }, tcp({ sport: 5000, dport: 80, flags: 'S' })))); // forwarded
  add(ethernet({ ...LAN, dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806 }, arp(1, '02:00:00:00:01:02', '192.0.2.10', '00:00:00:00:00:00', '192.0.2.1'))); // bridged
  add(
    ethernet(
      { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
      ipv4({ src: '198.51.100.1', dst: '203.0.113.9' }, tcp({ sport: 22, dport: 1000, flags: 'SA' })),
    ),
  ); // sent
  return out;
}

function setup(): { dir: string; cap: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cofw-replay-'));
  const cap = join(dir, 'in.pcap');
  writePcapFile(cap, frames());
  return { dir, cap };
}

describe('replay', () => {
  it('replays a capture through the machine and accounts for every frame', async () => {
    const { dir, cap } = setup();
    const progress: number[] = [];
    const r = await replay({
      rulesFile: 'rules.v4',
      rulesText: RULES,
      machine: MACHINE,
      captures: [cap],
      accepted: join(dir, 'acc.pcapng'),
      dropped: join(dir, 'drop.pcapng'),
      onProgress: (n) => progress.push(n),
    });
    expect(r.framesIn).toBe(6);
    expect(r.fates).toMatchObject({ delivered: 1, droppedByPolicy: 1, droppedByRule: 1, forwarded: 1, bridged: 1, sent: 1 });
    expect(r.drops.sites).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: 'filter', chain: 'FORWARD', rule: 1, count: 1, text: '-A FORWARD -p udp -m udp --dport 53 -j DROP' }),
        expect.objectContaining({ table: 'filter', chain: 'INPUT', rule: 0, count: 1, bytes: 40 }),
      ]),
    );
    expect(r.flows).toEqual(expect.arrayContaining([{ src: '192.0.2.10', dst: '203.0.113.53', proto: 17, dport: 53, count: 1 }]));
    expect(r.save).toContain('[1:40] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT');
    expect(r.ruleset.tables.get('filter')!.chains.get('INPUT')!.rules[0]!.packets).toBe(1);
    expect(r.console.some((l) => /^\[\s+0\.000000\] Linux version .*cofw/.test(l))).toBe(true);
    expect(r.console).toContain('[    0.000000] conet: eth0 02:00:00:00:00:01');
    expect(r.console.some((l) => l.endsWith(`cobd0: ${RULES.length} bytes`))).toBe(true);
    expect(r.console.some((l) => l.endsWith('iptables-restore: loaded 2 rules in 1 tables'))).toBe(true);
    expect(r.stats.switches).toBeGreaterThan(0);
    expect(r.stats.messagesToGuest).toBeGreaterThanOrEqual(7);
    expect(r.stats.messagesToHost).toBeGreaterThanOrEqual(6);
    expect(r.oops).toBeUndefined();
    expect(progress.at(-1)).toBe(6);

    const acc: number[] = [];
    for await (const f of openCaptures([join(dir, 'acc.pcapng')]).frames) acc.push(f.data.length);
    expect(acc.length).toBe(3); // delivered, forwarded, sent
    const dropText = readFileSync(join(dir, 'drop.pcapng'), 'latin1');
    expect(dropText).toContain('filter/FORWARD rule 1: -A FORWARD -p udp -m udp --dport 53 -j DROP');
    expect(dropText).toContain('filter/INPUT policy');
  });

  it('raises a rule file error from the guest init with its position, and replays nothing', async () => {
    const { cap } = setup();
    const bad = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n';
    const err = await replay({ rulesFile: 'bad.v4', rulesText: bad, machine: MACHINE, captures: [cap] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuleFileError);
    expect((err as RuleFileError).file).toBe('bad.v4');
    expect((err as RuleFileError).line).toBe(3);
    expect((err as RuleFileError).column).toBeGreaterThan(0);
  });

  it('applies the fail policy after a guest oops: closed drops and marks the rest', async () => {
    const { dir, cap } = setup();
    const crashy: GuestDeps = {
      ...linuxGuest,
      createStack: (o, rs) => {
        const real = linuxGuest.createStack(o, rs);
        let n = 0;
        return {
          setClock: (t) => real.setClock(t),
          receive: (u, f, no) => {
            if (++n === 3) throw new Error('boom in the fake stack');
            real.receive(u, f, no);
          },
          output: (f, no) => real.output(f, no),
        };
      },
    };
    const r = await replay({ rulesFile: 'rules.v4', rulesText: RULES, machine: MACHINE, captures: [cap], guest: crashy, dropped: join(dir, 'd.pcap') });
    expect(r.oops).toMatchObject({ frameNo: 3, reason: 'PANIC' });
    expect(r.oops!.message).toContain('boom in the fake stack');
    expect(r.fates.failPolicy).toBe(4);
    expect(r.fates.delivered + r.fates.droppedByPolicy).toBe(2);
    expect(r.drops.reasons).toEqual([{ reason: 'fail policy (closed): guest-oops', count: 4, bytes: expect.any(Number) }]);
    expect(r.console.some((l) => l.includes('Oops: Error: boom in the fake stack'))).toBe(true);
    expect(r.console.some((l) => l.includes('Handling: frame 3 on eth1'))).toBe(true);
    expect(r.console.some((l) => l.includes('Kernel panic - not syncing'))).toBe(true);
  });

  it('without an accepted capture the leaving frames stay in the guest, and nothing else changes', async () => {
    const { dir, cap } = setup();
    const base = { rulesFile: 'rules.v4', rulesText: RULES, machine: MACHINE, captures: [cap] };
    const withFrames = await replay({ ...base, accepted: join(dir, 'acc.pcap'), dropped: join(dir, 'd1.pcap') });
    const without = await replay({ ...base, dropped: join(dir, 'd2.pcap') });
    const strip = (r: typeof without) => ({ ...r, stats: { ...r.stats, bytesThroughPage: 0 }, console: r.console.filter((l) => !l.includes('cobd')) });
    expect(strip(without)).toEqual(strip(withFrames));
    expect(readFileSync(join(dir, 'd2.pcap'))).toEqual(readFileSync(join(dir, 'd1.pcap')));
    // The forwarded and the sent frame (14 + 40 bytes each, and their fate headers) did not cross back.
    expect(withFrames.stats.bytesThroughPage - without.stats.bytesThroughPage).toBe(2 * 54);
  });

  it('fail open passes the rest and marks it', async () => {
    const { dir, cap } = setup();
    const crashy: GuestDeps = {
      ...linuxGuest,
      createStack: () => ({
        setClock() {},
        receive() {
          throw new TypeError('x is undefined');
        },
        output() {},
      }),
    };
    const r = await replay({
      rulesFile: 'rules.v4',
      rulesText: RULES,
      machine: { ...MACHINE, failPolicy: 'open' },
      captures: [cap],
      guest: crashy,
      accepted: join(dir, 'a.pcap'),
    });
    expect(r.oops).toMatchObject({ frameNo: 1, reason: 'BUG' });
    expect(r.fates.failPolicy).toBe(6);
    expect(r.drops.reasons).toEqual([]);
    let n = 0;
    for await (const _ of openCaptures([join(dir, 'a.pcap')]).frames) n++;
    expect(n).toBe(6);
    expect(FateKind.FailPolicy).toBe(10);
  });
});

describe('replay: the CPU a packet is processed on', () => {
  it("is the receiving interface's cpu all the way through, the machine's for its own packets and its REJECT replies follow what they answer", async () => {
    const machine = parseMachineFile(
      `hostname: t
interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24], cpu: 2}
  - {name: eth1, mac: "02:00:00:00:01:01", addresses: [192.0.2.1/24]}
routes:
  - {to: default, via: 198.51.100.254}
cpu: 5
`,
      'm.yaml',
    );
    const rules = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -m cpu --cpu 2
-A PREROUTING -m cpu --cpu 5
-A POSTROUTING -m cpu --cpu 2
-A POSTROUTING -m cpu --cpu 5
-A OUTPUT -m cpu --cpu 2
-A OUTPUT -m cpu --cpu 5
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset
-A FORWARD -p udp --dport 7000 -j NFQUEUE --queue-balance 10:13 --queue-cpu-fanout
-A FORWARD -p udp --dport 7001 -j NFQUEUE --queue-balance 9:12 --queue-cpu-fanout
COMMIT
`;
    const dir = mkdtempSync(join(tmpdir(), 'cofw-cpu-'));
    const cap = join(dir, 'in.pcap');
    const f: Array<{ tsNs: bigint; data: Uint8Array }> = [];
    const add = (d: Uint8Array): void => void f.push({ tsNs: T0 + BigInt(f.length) * 1_000_000n, data: d });
    add(ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '192.0.2.10' }, udp({ sport: 1000, dport: 7000 })))); // eth0: CPU 2, queue 10 + 2 % 4
    add(ethernet(LAN, ipv4({ src: '192.0.2.10', dst: '203.0.113.9' }, udp({ sport: 1000, dport: 7001 })))); // eth1: the machine's 5, queue 9 + 5 % 4
    add(ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 23, flags: 'S' })))); // reset sent on CPU 2
    add(ethernet({ src: '02:00:00:00:01:01', dst: LAN.src }, ipv4({ src: '192.0.2.1', dst: '192.0.2.10' }, udp({ sport: 53, dport: 1000 })))); // own: 5
    writePcapFile(cap, f);
    const r = await replay({
      rulesFile: 'rules.v4',
      rulesText: rules,
      machine: {
        ...machine,
        queues: [
          { num: 12, verdict: 'accept' },
          { num: 10, verdict: 'drop' },
        ],
      },
      captures: [cap],
    });
    expect(r.save).toMatch(/\[2:\d+\] -A PREROUTING -m cpu --cpu 2\n\[1:\d+\] -A PREROUTING -m cpu --cpu 5\n/);
    expect(r.save).toMatch(/\[2:\d+\] -A POSTROUTING -m cpu --cpu 2\n\[1:\d+\] -A POSTROUTING -m cpu --cpu 5\n/);
    expect(r.save).toMatch(/\[1:\d+\] -A OUTPUT -m cpu --cpu 2\n\[1:\d+\] -A OUTPUT -m cpu --cpu 5\n/);
    // Queue 12 accepts the first (forwarded), queue 10 drops the second.
    // (and REJECT's reset, generated, drops what it answers).
    expect(r.fates).toMatchObject({ forwarded: 1, droppedByRule: 2, generated: 1, sent: 1 });
  });

  it("counts into the machine file's accounting objects in the guest and lists them after the replay (nfacct list)", async () => {
    const { cap } = setup();
    const machine = {
      ...MACHINE,
      nfacct: [
        { name: 'fwd', packets: 1n, bytes: 10n },
        { name: 'capped', quota: { mode: 'packets' as const, value: 1n } },
      ],
    };
    const rules = RULES.replace(
      ':OUTPUT ACCEPT [0:0]\n',
      ':OUTPUT ACCEPT [0:0]\n-A FORWARD -m nfacct --nfacct-name fwd\n-A INPUT -m nfacct --nfacct-name capped -j DROP\n',
    );
    const r = await replay({ rulesFile: 'rules.v4', rulesText: rules, machine, captures: [cap] });
    // Forwarded: the DNS query (28 bytes) and the SYN (40); to the firewall: two SYNs of 40, the second over the quota of 1 packet.
    expect(r.nfacct).toBe(
      '{ pkts = 00000000000000000003, bytes = 00000000000000000078 } = fwd;\n' +
        '{ pkts = 00000000000000000002, bytes = 00000000000000000080, quota = 00000000000000000001, mode = packet, overquota = yes } = capped;\n',
    );
    expect(r.fates).toMatchObject({ delivered: 1, droppedByRule: 2 });
    expect(formatReport(r, { captures: [cap], rulesFile: 'rules.v4', machine: 'm.yaml', top: 5 })).toContain(
      'Accounting objects (nfacct list)\n          3          78  fwd\n          2          80  capped  quota 1 packets, over\n',
    );
  });
});
