/**
 * The H.323 NAT helper where the golden scenario cannot reach: a message
 * the capture cut short (snaplen) cannot be rewritten, and the helper
 * drops it with both lines the kernel logs; a message whose addresses need
 * no rewriting passes even when cut short.
 */
import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcapHeader, pcapRecord } from '../src/capture/pcap-write.js';
import { l4Checksum } from '../src/packet/checksum.js';
import { parseMachineFile } from '../src/machine/machine-file.js';
import { ethernet, ipv4, tcp } from '../src/packet/build.js';
import { replay } from '../src/replay.js';
import { rules } from './golden/gen/ct-h323-nat.js';
import { q931, taddr, tpkt } from './golden/gen/h323-per.js';

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
const EP = '192.0.2.10';
const RE = '203.0.113.20';

interface Frame {
  data: Uint8Array;
  origLen: number;
}

/** A call from the endpoint through MASQUERADE whose Setup (with `h245` as its h245Address) is cut `cut` bytes short. */
function call(h245: string, cut: number): Frame[] {
  const out: Frame[] = [];
  const add = (fromEp: boolean, flags: string, seq: number, ack: number, payload?: Uint8Array, cutBy = 0): void => {
    const ip = fromEp
      ? ipv4({ src: EP, dst: RE }, tcp({ sport: 40001, dport: 1720, flags, seq, ack, payload }))
      : ipv4({ src: RE, dst: '198.51.100.1' }, tcp({ sport: 1720, dport: 40001, flags, seq, ack, payload }));
    const kept = ip.slice(0, ip.length - cutBy);
    if (cutBy) {
      // The checksum of what the capture kept (the only one cofw can check): the message itself reaches the helper.
      kept[36] = kept[37] = 0;
      const sum = l4Checksum(kept, 20, kept.length - 20, 6);
      kept[36] = sum >> 8;
      kept[37] = sum & 0xff;
    }
    out.push({ data: ethernet(fromEp ? LAN : WIRE, kept), origLen: ip.length + 14 });
  };
  add(true, 'S', 100, 0);
  add(false, 'SA', 900, 101);
  add(true, 'A', 101, 901);
  // The Setup, then trailing bytes the capture cut off.
  const setup = tpkt(
    q931(5, 7, { h323UuPdu: { h323MessageBody: { setup: { h245Address: taddr(h245, 1800), conferenceID: 16, sourceInfo: {} } }, h245Tunneling: false } }),
  );
  const payload = new Uint8Array(setup.length + 16);
  payload.set(setup);
  add(true, 'PA', 101, 901, payload, cut);
  return out;
}

async function run(frames: Frame[]): Promise<{ forwarded: number; reasons: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'cofw-h323nat-'));
  const cap = join(dir, 'in.pcap');
  const fd = openSync(cap, 'w');
  writeSync(fd, pcapHeader());
  frames.forEach((f, i) => writeSync(fd, pcapRecord(T0 + BigInt(i) * 1_000_000n, f.data, f.origLen)));
  closeSync(fd);
  const r = await replay({ rulesFile: 'rules.v4', rulesText: rules, machine: MACHINE, captures: [cap] });
  return { forwarded: r.fates.forwarded, reasons: r.drops.reasons.map((x) => x.reason) };
}

describe('nf_nat_h323 on a message the capture cut short', () => {
  it('drops a Setup whose h245Address must be rewritten, with the NAT notice and the helper line', async () => {
    const r = await run(call(EP, 8));
    expect(r.forwarded).toBe(3);
    expect(r.reasons).toEqual(['nf_nat_h323: nf_nat_mangle_tcp_packet error; nf_ct_Q.931: dropping packet: cannot process Q.931 message']);
  });

  it('lets through one naming another host (nothing to rewrite), and a whole one', async () => {
    expect((await run(call('203.0.113.99', 8))).forwarded).toBe(4);
    expect((await run(call(EP, 0))).forwarded).toBe(4);
  });
});
