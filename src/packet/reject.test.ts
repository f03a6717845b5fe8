import { describe, expect, it } from 'vitest';
import { KERNEL_CASES } from '../netfilter/targets/kernel-fixtures.js';
import { parseIPv4 } from './addr.js';
import { ipv4, tcp, udp, icmp } from './build.js';
import { buildIcmpError, buildTcpReset } from './reject.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : '');
const FW = parseIPv4('198.51.100.7')!;

/** The REJECT rule each fixture packet met in the recorded rule set, as [kind, ICMP code]. */
function ruleFor(orig: Uint8Array): ['rst' | 'icmp', number] | null {
  const ihl = (orig[0]! & 15) * 4;
  const dport = (orig[ihl + 2]! << 8) | orig[ihl + 3]!;
  switch (orig[9]) {
    case 6:
      return dport === 23 ? ['icmp', 3] : ['rst', 0];
    case 17:
      return dport === 53 ? ['icmp', 10] : null;
    case 1:
      return ['icmp', 13];
    case 47:
      return ['icmp', 0];
    case 99:
      return ['icmp', 2];
  }
  return null;
}

describe("REJECT replies are the kernel's, byte for byte (captured from Linux 6.18)", () => {
  const rows = KERNEL_CASES.filter((c) => c.name !== 'bcast53' && c.name !== 'fragnf');
  it.each(rows.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const orig = hex(c.orig);
    const rule = ruleFor(orig)!;
    let got: Uint8Array | null;
    if (rule[0] === 'rst') got = buildTcpReset(orig, { verifyChecksum: true });
    else {
      // The kernel's ICMP ID is unpredictable: take it from the capture.
      const id = c.reply ? (hex(c.reply)[4]! << 8) | hex(c.reply)[5]! : 0;
      got = buildIcmpError(orig, 3, rule[1], FW, { id, verifyChecksum: true });
    }
    expect(toHex(got)).toBe(c.reply);
  });
  it('sends nothing for a non-first fragment (fixture fragnf)', () => {
    const f = hex(KERNEL_CASES.find((c) => c.name === 'fragnf')!.orig);
    expect(buildIcmpError(f, 3, 10, FW, { id: 1 })).toBeNull();
    expect(buildTcpReset(f)).toBeNull();
  });
});

describe('TCP reset rules (nf_send_reset)', () => {
  const S = { src: '192.0.2.10', dst: '198.51.100.7' };
  it('sends nothing for a non-TCP packet or a header cut short', () => {
    expect(buildTcpReset(ipv4(S, udp({ sport: 1, dport: 2 })))).toBeNull();
    const t = ipv4(S, tcp({ sport: 1, dport: 2 }));
    const cut = t.slice(0, 39);
    cut[3] = 39;
    expect(buildTcpReset(cut, { verifyChecksum: false })).toBeNull();
  });
  it('does not check the checksum in OUTPUT', () => {
    const t = ipv4(S, tcp({ sport: 1, dport: 2, flags: 'S' }));
    t[37] = t[37]! ^ 1;
    expect(buildTcpReset(t)).toBeNull();
    expect(buildTcpReset(t, { verifyChecksum: false })).not.toBeNull();
  });
  it('acknowledges payload, SYN and FIN, wrapping at 2^32', () => {
    const t = ipv4(S, tcp({ sport: 1, dport: 2, flags: 'SF', seq: 0xffffffff, payload: new Uint8Array(3) }));
    const r = buildTcpReset(t)!;
    expect(new DataView(r.buffer).getUint32(28)).toBe(4);
    expect(r[33]).toBe(0x14);
  });
  it('ignores Ethernet padding past the IP total length', () => {
    const t = ipv4(S, tcp({ sport: 1, dport: 2, flags: 'S', seq: 10 }));
    const padded = new Uint8Array(60);
    padded.set(t);
    expect(toHex(buildTcpReset(padded))).toBe(toHex(buildTcpReset(t)));
  });
});

describe('ICMP error rules (nf_send_unreach, icmp_send)', () => {
  const S = { src: '192.0.2.10', dst: '198.51.100.7' };
  it('answers ICMP queries but never ICMP errors, nor unknown ICMP types', () => {
    expect(buildIcmpError(ipv4(S, icmp({ type: 13, payload: new Uint8Array(12) })), 3, 3, FW, { id: 1 })).not.toBeNull();
    expect(buildIcmpError(ipv4(S, icmp({ type: 11, payload: new Uint8Array(28) })), 3, 3, FW, { id: 1 })).toBeNull();
    expect(buildIcmpError(ipv4(S, icmp({ type: 40 })), 3, 3, FW, { id: 1 })).toBeNull();
  });
  it('does not check checksums of GRE, ESP, AH, SCTP, UDP-Lite, or in OUTPUT', () => {
    for (const p of [47, 50, 51, 132, 136]) {
      expect(buildIcmpError(ipv4({ ...S, proto: p }, { proto: p, bytes: Uint8Array.of(1, 2, 3) }), 3, 0, FW, { id: 1 })).not.toBeNull();
    }
    const bad = ipv4(S, udp({ sport: 1, dport: 2, payload: Uint8Array.of(1) }));
    bad[27] = bad[27]! ^ 1;
    expect(buildIcmpError(bad, 3, 3, FW, { id: 1 })).toBeNull();
    expect(buildIcmpError(bad, 3, 3, FW, { id: 1, verifyChecksum: false })).not.toBeNull();
  });
  it('quotes at most 548 bytes, less on a small-MTU route, nothing below an IP header of room', () => {
    const big = ipv4(S, udp({ sport: 1, dport: 2, payload: new Uint8Array(1000) }));
    expect(buildIcmpError(big, 3, 3, FW, { id: 1 })!.length).toBe(576);
    expect(buildIcmpError(big, 3, 3, FW, { id: 1, mtu: 300 })!.length).toBe(300);
    expect(buildIcmpError(big, 3, 3, FW, { id: 1, mtu: 48 })).toBeNull();
  });
});
