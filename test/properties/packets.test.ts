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
            let t = 1_700_000_000_000_000_000n;
            frames.forEach(([frame, where, truncated, dtMs], i) => {
              t += BigInt(dtMs) * 1_000_000n;
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
