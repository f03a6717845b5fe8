/**
 * Properties of the packet decoders on any bytes: the flow reader, Skb.load
 * and Skb.loadV6 with the IPv6 extension header walk, and the guest's
 * stack receiving frames through a small rule set of both families. None
 * throws, none reads past the bytes it was given (a read past a view gives
 * `undefined` in JavaScript, which bit operations turn into 0 silently:
 * the guard in guard.ts records it), and what they promise as numbers are
 * numbers. Every frame the stack receives ends in exactly one fate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flow, readFrameFlow } from '../../src/packet/flow.js';
import { ExtWalk, walkExtHeaders } from '../../src/net/ipv6/exthdr.js';
import { Skb } from '../../src/netfilter/types.js';
import { GuestStack } from '../../src/net/ipv4/stack.js';
import { parseMachineFile } from '../../src/machine/machine-file.js';
import { loadRuleset } from '../../src/netfilter/rules/restore.js';
import { Family } from '../../src/packet/inet-addr.js';
import { FateKind, type Fate } from '../../src/netfilter/fate.js';
import { guarded, type OobLog } from './guard.js';
import { ethFrame, ipv4Packet, ipv6Packet, mutated } from './packets-arb.js';
import { ethernet, icmp, icmp6, ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { params, timeout } from './config.js';

const anyBytes = fc.uint8Array({ maxLength: 128 });
const isInt = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

describe('the flow reader', () => {
  it('reads any frame within its bytes, into numbers in range', () => {
    const f = new Flow();
    fc.assert(
      fc.property(fc.oneof(anyBytes, mutated(ethFrame)), (frame) => {
        const log: OobLog = [];
        const ok = readFrameFlow(guarded(frame, log), f);
        expect(log).toEqual([]);
        if (ok) {
          expect([f.proto, f.sport, f.dport, f.icmpType, f.ipLen]).toSatisfy(
            ([p, s, d, t, l]: number[]) => isInt(p, 0, 255) && isInt(s, 0, 65535) && isInt(d, 0, 65535) && isInt(t, -1, 255) && isInt(l, 0, 65575),
          );
          expect([Family.V4, Family.V6]).toContain(f.family);
        }
      }),
      params(2000),
    );
  });
});

describe('the IPv6 extension header walk', () => {
  it('never reads at or past `len`, and gives a protocol, -1 or a fragment offset that are numbers', () => {
    const w = new ExtWalk();
    fc.assert(
      fc.property(fc.oneof(mutated(ipv6Packet), anyBytes), fc.nat(), (d, cut) => {
        const len = d.length ? cut % (d.length + 1) : 0;
        const log: OobLog = [];
        const proto = walkExtHeaders(guarded(d, log, len), len, w);
        expect(log).toEqual([]);
        expect(isInt(proto, -1, 255)).toBe(true);
        expect(proto).toBe(w.proto);
        if (proto >= 0) expect(isInt(w.thoff, 40, Number.MAX_SAFE_INTEGER)).toBe(true);
        expect(isInt(w.fragoff, 0, 0xfff8)).toBe(true);
        if (w.fragment) expect(isInt(w.fragHdr, 40, len - 8)).toBe(true);
      }),
      params(3000),
    );
  });
});

describe('Skb.load and Skb.loadV6', () => {
  it('load reads an IPv4 header of 20 bytes or more within them', () => {
    const skb = new Skb();
    fc.assert(
      fc.property(mutated(ipv4Packet), fc.uint8Array({ minLength: 20, maxLength: 20 }), (p, fill) => {
        const data = p.length >= 20 ? p : fill;
        const log: OobLog = [];
        skb.load(guarded(data, log));
        expect(log).toEqual([]);
        expect(isInt(skb.len, 0, data.length) && isInt(skb.totLen, 0, 65535) && isInt(skb.thoff, 0, 60) && isInt(skb.fragoff, 0, 0x1fff)).toBe(true);
        expect(isInt(skb.protocol, 0, 255) && isInt(skb.saddr, 0, 0xffffffff) && isInt(skb.daddr, 0, 0xffffffff)).toBe(true);
      }),
      params(2000),
    );
  });

  it('loadV6 reads an IPv6 packet of 40 bytes or more within its length', () => {
    const skb = new Skb();
    fc.assert(
      fc.property(mutated(ipv6Packet), fc.uint8Array({ minLength: 40, maxLength: 40 }), (p, fill) => {
        const data = p.length >= 40 ? p : fill;
        const log: OobLog = [];
        skb.loadV6(guarded(data, log));
        expect(log).toEqual([]);
        expect(isInt(skb.len, 0, data.length) && isInt(skb.totLen, 40, 65575)).toBe(true);
        expect(isInt(skb.protocol, -1, 255) && isInt(skb.fragoff, 0, 0x1fff) && isInt(skb.thoff, 0, Number.MAX_SAFE_INTEGER)).toBe(true);
      }),
      params(2000),
    );
  });
});

const MACHINE = parseMachineFile(
  `hostname: prop
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:1::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
    mtu: 1400
routes:
  - to: default
    via: 198.51.100.254
  - to: ::/0
    via: 2001:db8:1::fe
conntrack:
  max: 64
`,
  'prop.yaml',
);

const RULES4 = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp --dport 53 -j CT --notrack
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 192.0.2.10:80
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A PREROUTING -m length --length 0:100 -j MARK --set-mark 0x7
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:chk - [0:0]
-A INPUT -j LOG --log-prefix "in: " --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode
-A FORWARD -j LOG --log-prefix "fwd: " --log-tcp-options --log-ip-options
-A OUTPUT -j LOG --log-prefix "out: " --log-tcp-sequence --log-ip-options
-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -m limit --limit 5/sec -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443 -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -m string --algo bm --string "evil" -j LOG --log-prefix "evil: "
-A INPUT -p tcp -m tcp --tcp-option 8 -j REJECT --reject-with tcp-reset
-A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable
-A INPUT -m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x2" -j DROP
-A INPUT -f -j DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -o eth0 -j chk
-A FORWARD -p icmp -j REJECT --reject-with icmp-host-prohibited
-A chk -m recent --name seen --set
-A chk -m hashlimit --hashlimit-upto 10/sec --hashlimit-mode srcip --hashlimit-name h -j ACCEPT
-A chk -m connlimit --connlimit-above 3 -j DROP
-A chk -j ACCEPT
COMMIT
`;

const RULES6 = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j LOG --log-prefix "in6: " --log-tcp-sequence --log-tcp-options --log-ip-options --log-macdecode
-A FORWARD -j LOG --log-prefix "fwd6: " --log-ip-options
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p udp -j REJECT
-A FORWARD -i eth1 -j ACCEPT
-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN -j REJECT --reject-with tcp-reset
COMMIT
`;

describe('the guest stack', () => {
  const rs4 = loadRuleset(RULES4, 'prop.v4');
  const rs6 = loadRuleset(RULES6, 'prop.v6', { family: Family.V6 });

  it(
    'receives any frame without throwing or reading past it, and gives every frame exactly one fate',
    () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(
              fc.oneof({ weight: 8, arbitrary: mutated(ethFrame) }, { weight: 1, arbitrary: anyBytes }),
              fc.integer({ min: 0, max: 2 }),
              fc.boolean(),
              fc.nat(5_000),
            ),
            {
              minLength: 1,
              maxLength: 40,
            },
          ),
          (frames) => {
            const fates: Fate[] = [];
            const st = new GuestStack({ spec: MACHINE, printk: () => {}, fate: (f) => fates.push({ ...f }) }, rs4, rs6);
            const log: OobLog = [];
            let t = 1_700_000_000_000_000_000;
            frames.forEach(([frame, where, truncated, dtMs], i) => {
              t += dtMs * 1_000_000;
              st.setClock(t);
              const g = guarded(frame.slice(), log);
              if (where === 2) st.output(g, i + 1, truncated);
              else st.receive(where, g, i + 1, truncated);
            });
            st.finish();
            expect(log.where ?? '', `${log.length} reads out of bounds`).toBe('');
            const own = fates.filter((f) => f.kind !== FateKind.Generated && f.kind !== FateKind.GeneratedDropped);
            const perFrame = new Map<number, number>();
            for (const f of own) perFrame.set(f.frameNo, (perFrame.get(f.frameNo) ?? 0) + 1);
            expect([...perFrame.entries()].filter(([, n]) => n !== 1)).toEqual([]);
            expect(perFrame.size).toBe(frames.length);
            for (const f of fates) {
              expect(isInt(f.kind, 1, 11) && isInt(f.frameNo, 1, frames.length) && isInt(f.unit, -1, 15)).toBe(true);
              if (f.reason !== undefined) expect(typeof f.reason).toBe('string');
            }
          },
        ),
        params(300),
      );
    },
    timeout(40_000),
  );
});

/**
 * Conversations: packets of a few flows in both directions (TCP with any
 * flags, UDP, ICMP echo and errors quoting them, of both families), some
 * IPv4 ones cut into fragments, some damaged: what reaches conntrack's
 * state machines, NAT and reassembly, which random bytes rarely do.
 */
const ENDS4 = [
  ['198.51.100.77', 0, '02:00:00:00:00:01'],
  ['192.0.2.10', 1, '02:00:00:00:01:01'],
  ['198.51.100.1', 2, ''],
] as const;
const ENDS6 = [
  ['2001:db8:1::77', 0, '02:00:00:00:00:01'],
  ['2001:db8:2::10', 1, '02:00:00:00:01:01'],
  ['2001:db8:1::1', 2, ''],
] as const;
const conversationPacket = fc
  .record({
    v6: fc.boolean(),
    a: fc.nat(2),
    b: fc.nat(2),
    kind: fc.constantFrom('tcp', 'tcp', 'tcp', 'udp', 'icmp', 'error'),
    sport: fc.constantFrom(40000, 40001, 22, 8080),
    dport: fc.constantFrom(22, 80, 8080, 53, 40000),
    flags: fc.constantFrom('S', 'SA', 'A', 'PA', 'FA', 'R', 'RA', 'F', 'SF', '', 'SAFRPU'),
    seq: fc.constantFrom(0, 1000, 1001, 5000, 5001, 0xffffffff, 0x7fffffff),
    ack: fc.constantFrom(0, 1001, 5001, 1000),
    len: fc.constantFrom(0, 0, 10, 1400, 3000),
    frags: fc.constantFrom(0, 0, 0, 2, 3),
    reverse: fc.boolean(),
  })
  .map((p): Array<[Uint8Array, number]> => {
    const ends = p.v6 ? ENDS6 : ENDS4;
    const [a, unit, mac] = ends[p.a]!;
    const [b] = ends[p.b === p.a ? (p.b + 1) % 3 : p.b]!;
    const [sa, da] = p.reverse ? [b, a] : [a, b];
    const payload = new Uint8Array(p.len).fill(0x61);
    const inner = () =>
      p.v6
        ? ipv6({ src: da, dst: sa }, udp({ sport: p.dport, dport: p.sport, payload: new Uint8Array(8) }))
        : ipv4({ src: da, dst: sa }, udp({ sport: p.dport, dport: p.sport, payload: new Uint8Array(8) }));
    const l4 =
      p.kind === 'tcp'
        ? tcp({ sport: p.sport, dport: p.dport, flags: p.flags, seq: p.seq, ack: p.ack, payload })
        : p.kind === 'udp'
          ? udp({ sport: p.sport, dport: p.dport, payload })
          : p.kind === 'icmp'
            ? (p.v6 ? icmp6 : icmp)({ type: p.v6 ? 128 + (p.reverse ? 1 : 0) : p.reverse ? 0 : 8, id: p.sport, seq: 1, payload })
            : (p.v6 ? icmp6 : icmp)({ type: p.v6 ? 1 : 3, code: 3, payload: inner() });
    const ethertype = p.v6 ? 0x86dd : 0x0800;
    const out = (ip: Uint8Array): [Uint8Array, number] => [
      mac ? ethernet({ src: '02:00:00:00:09:09', dst: mac, ethertype }, ip) : ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:09:09', ethertype }, ip),
      unit,
    ];
    if (p.v6) return [out(ipv6({ src: sa, dst: da }, l4))];
    const whole = ipv4({ src: sa, dst: da, id: p.sport }, l4);
    if (!p.frags || whole.length < 60) return [out(whole)];
    // Fragments of the datagram's payload, 8-byte aligned.
    const data = whole.subarray(20);
    const step = Math.max(8, ((data.length / p.frags) | 0) & ~7);
    const res: Array<[Uint8Array, number]> = [];
    for (let o = 0; o < data.length; o += step) {
      const part = data.subarray(o, Math.min(o + step, data.length));
      const mf = o + step < data.length;
      res.push(out(ipv4({ src: sa, dst: da, id: p.sport, fragoff: o >> 3, mf, proto: whole[9]! }, { proto: whole[9]!, bytes: part })));
    }
    return p.reverse ? res.reverse() : res;
  });

describe('the guest stack in conversations', () => {
  const rs4 = loadRuleset(RULES4, 'prop.v4');
  const rs6 = loadRuleset(RULES6, 'prop.v6', { family: Family.V6 });

  it(
    'gives every frame of any conversation exactly one fate, within its bytes, and keeps conntrack within its maximum',
    () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(conversationPacket, fc.nat(2_000), fc.boolean()), { minLength: 1, maxLength: 40 }), (packets) => {
          const frames = packets.flatMap(([ps, dt, damage]) =>
            ps.map(([f, unit], k): [Uint8Array, number, number] => {
              const g = f.slice();
              if (damage && k === 0 && g.length > 30) g[14 + ((dt * 7) % (g.length - 14))]! ^= 0x5a;
              return [g, unit, k ? 0 : dt];
            }),
          );
          const fates: Fate[] = [];
          const lines: string[] = [];
          const st = new GuestStack({ spec: MACHINE, printk: (_l, t) => lines.push(t), fate: (f) => fates.push({ ...f }) }, rs4, rs6);
          const ct = (st as unknown as { ct: { size: number; max: number } }).ct;
          const log: OobLog = [];
          let t = 1_700_000_000_000_000_000;
          frames.forEach(([f, unit, dtMs], i) => {
            t += dtMs * 1_000_000;
            st.setClock(t);
            const g = guarded(f, log);
            if (unit === 2) st.output(g, i + 1);
            else st.receive(unit, g, i + 1);
            expect(ct.size).toBeLessThanOrEqual(ct.max);
          });
          st.finish();
          expect(log.where ?? '', `${log.length} reads out of bounds`).toBe('');
          const perFrame = new Map<number, number>();
          for (const f of fates)
            if (f.kind !== FateKind.Generated && f.kind !== FateKind.GeneratedDropped) perFrame.set(f.frameNo, (perFrame.get(f.frameNo) ?? 0) + 1);
          expect([...perFrame.entries()].filter(([, n]) => n !== 1)).toEqual([]);
          expect(perFrame.size).toBe(frames.length);
          for (const f of fates) if (f.reason !== undefined) expect(f.reason).not.toMatch(/undefined|NaN|\[object/);
          for (const l of lines) expect(l).not.toMatch(/undefined|NaN|\[object/);
        }),
        params(200),
      );
    },
    timeout(40_000),
  );
});
