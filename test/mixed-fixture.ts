/**
 * The mixed capture and rule sets the multi-guest tests replay
 * (test/workers.test.ts on worker threads, test/shards.test.ts as shard
 * runs and a merge): TCP handshakes and data both ways, UDP, pings,
 * REJECTed and LOGged packets with their generated replies, ICMP errors
 * about a connection, IPv6, ARP, fragments of one pair, a timestamp going
 * back.
 */
import { arp, ethernet, fragHeader, icmp, icmp6, ipv4, ipv6, raw, tcp, udp } from '../src/packet/build.js';

export const MACHINE = `hostname: fw
interfaces:
  - { name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24, "2001:db8:1::1/64"] }
  - { name: eth1, mac: "02:00:00:00:01:01", addresses: [192.0.2.1/24, "2001:db8:2::1/64"] }
routes:
  - { to: default, via: 198.51.100.254, dev: eth0 }
  - { to: "::/0", via: "2001:db8:1::fe", dev: eth0 }
`;

export const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:logdrop - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -j ACCEPT
-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p udp --dport 161 -j REJECT
-A INPUT -j logdrop
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -o eth0 -p tcp --dport 443 -j ACCEPT
-A FORWARD -j logdrop
-A logdrop -p tcp --dport 25 -j LOG --log-prefix "DROP25 "
-A logdrop -j DROP
COMMIT
`;

export const RULES6 = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -o eth0 -j ACCEPT
COMMIT
`;

export const EXPECT = `- name: ssh gets in
  proto: tcp
  dport: 22
  fate: accepted
- name: smtp is logged and dropped
  proto: tcp
  dport: 25
  fate: dropped
- rule: filter:INPUT:7
  hits: ">0"
`;

const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const LOCAL = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const INSIDE = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };
const WIRE6 = { ...WIRE, ethertype: 0x86dd };
const INSIDE6 = { ...INSIDE, ethertype: 0x86dd };
const FW = 0xc6336401;
const FW_IN = 0xc0000201;

/** The mixed capture: `rounds` rounds of 24 frames, 10 µs apart, over many address pairs. */
export function mixedFrames(rounds: number): Array<{ tsNs: bigint; data: Uint8Array }> {
  const out: Array<{ tsNs: bigint; data: Uint8Array }> = [];
  let t = 1_700_000_000_000_000_000n;
  const push = (data: Uint8Array, back = false): void => {
    t += 10_000n;
    out.push({ tsNs: back ? t - 50_000n : t, data });
  };
  for (let k = 0; k < rounds; k++) {
    const client = (0x64400000 | (((k * 2654435761) >>> 0) % 4099)) >>> 0;
    const sport = 1024 + (k % 50000);
    const iss = (k * 7919) >>> 0;
    const fss = (k * 104729) >>> 0;
    const c2s = (flags: string, seq: number, ack: number, n = 0): Uint8Array =>
      ethernet(WIRE, ipv4({ src: client, dst: FW }, tcp({ sport, dport: 22, flags, seq, ack, window: 502, payload: new Uint8Array(n).fill(0x61) })));
    const s2c = (flags: string, seq: number, ack: number, n = 0): Uint8Array =>
      ethernet(LOCAL, ipv4({ src: FW, dst: client }, tcp({ sport: 22, dport: sport, flags, seq, ack, window: 509, payload: new Uint8Array(n).fill(0x62) })));
    push(c2s('S', iss, 0));
    push(s2c('SA', fss, iss + 1));
    push(c2s('A', iss + 1, fss + 1));
    push(c2s('PA', iss + 1, fss + 1, 40));
    push(s2c('PA', fss + 1, iss + 41, 120), k % 97 === 5);
    push(c2s('FA', iss + 41, fss + 121));
    push(s2c('FA', fss + 121, iss + 42));
    push(c2s('A', iss + 42, fss + 122));
    const h = (0xc0000200 | (2 + (k % 250))) >>> 0;
    push(ethernet(INSIDE, ipv4({ src: h, dst: FW_IN }, udp({ sport: 30000 + (k % 1000), dport: 53, payload: new Uint8Array(30).fill(1) }))));
    push(ethernet(LOCAL, ipv4({ src: FW_IN, dst: h }, udp({ sport: 53, dport: 30000 + (k % 1000), payload: new Uint8Array(60).fill(2) }))));
    push(ethernet(WIRE, ipv4({ src: client, dst: FW }, icmp({ type: 8, code: 0, id: k & 0xffff, seq: 1, payload: new Uint8Array(16) }))));
    push(ethernet(WIRE, ipv4({ src: client, dst: FW }, tcp({ sport: sport + 1, dport: 23, flags: 'S', seq: iss }))));
    push(ethernet(WIRE, ipv4({ src: client, dst: FW }, udp({ sport: sport + 2, dport: 161, payload: new Uint8Array(8) }))));
    push(ethernet(WIRE, ipv4({ src: client, dst: FW }, tcp({ sport: sport + 3, dport: 25, flags: 'S', seq: iss }))));
    // Forwarded from the inside, and an ICMP error about it coming back from a router on the way.
    const web = (0xcb007100 | (k % 200)) >>> 0;
    const syn = ipv4({ src: h, dst: web }, tcp({ sport: 40000 + (k % 20000), dport: 443, flags: 'S', seq: iss }));
    push(ethernet(INSIDE, syn));
    if (k % 5 === 0) push(ethernet(WIRE, ipv4({ src: 0xc63364fe, dst: h, ttl: 63 }, icmp({ type: 3, code: 1, payload: syn.subarray(0, 28) }))));
    else push(ethernet(WIRE, ipv4({ src: web, dst: h }, tcp({ sport: 443, dport: 40000 + (k % 20000), flags: 'SA', seq: fss, ack: iss + 1 }))));
    // IPv6: a ping to the firewall, ssh, and forwarded traffic.
    const c6 = `2001:db8:1::${(k % 300).toString(16)}:1`;
    push(ethernet(WIRE6, ipv6({ src: c6, dst: '2001:db8:1::1' }, icmp6({ type: 128, code: 0, id: k & 0xffff, seq: 1, payload: new Uint8Array(8) }))));
    push(ethernet(WIRE6, ipv6({ src: c6, dst: '2001:db8:1::1' }, tcp({ sport, dport: 22, flags: 'S', seq: iss }))));
    push(ethernet(INSIDE6, ipv6({ src: `2001:db8:2::${(k % 50).toString(16)}`, dst: c6 }, udp({ sport: 5000, dport: 6000, payload: new Uint8Array(20) }))));
    if (k % 10 === 0) push(arp(1, '02:00:00:00:00:02', '198.51.100.2', '00:00:00:00:00:00', '198.51.100.1'));
    // Fragments of one pair, in and out of order; one datagram never completes.
    if (k % 50 === 7) {
      const id = k & 0xffff;
      const whole = udp({ sport: 7000, dport: 53, payload: new Uint8Array(64).fill(3) });
      push(ethernet(WIRE, ipv4({ src: 0x64400001, dst: FW, id, df: false, mf: true }, raw(17, whole.bytes.subarray(0, 40)))));
      if (k % 100 !== 7) push(ethernet(WIRE, ipv4({ src: 0x64400001, dst: FW, id, df: false, fragoff: 5 }, raw(17, whole.bytes.subarray(40)))));
    }
    if (k % 120 === 11) {
      const frag = fragHeader(0, true, k);
      push(ethernet(WIRE6, ipv6({ src: '2001:db8:1::99', dst: '2001:db8:1::1', ext: [frag] }, udp({ sport: 1, dport: 2, payload: new Uint8Array(16) }))));
    }
  }
  return out;
}
