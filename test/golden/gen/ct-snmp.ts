/**
 * ct-snmp: the snmp and snmp_trap conntrack helpers (IPv4; the kernel has
 * neither for IPv6).
 *
 * - `snmp` in raw OUTPUT: the firewall's own SNMP request broadcast to the
 *   inside subnet; the agents' answers from port 161 of that subnet are
 *   RELATED (INPUT accepts only ESTABLISHED and RELATED), one from port 162,
 *   one from another subnet and one 33 seconds late (the expectation
 *   lives 30 seconds) are not.
 * - `snmp_trap` on traps from the inside agents to the outside manager,
 *   MASQUERADEd: an SNMPv2c trap's IpAddress values equal to the agent's
 *   address are rewritten into the translated address (others kept), the
 *   UDP checksum fixed (at an even and an odd offset, and left 0 when it
 *   was 0); an SNMPv1 trap, an SNMPv3 message, an IpAddress of five bytes,
 *   a length beyond the message and a UDP length shorter than the packet
 *   are dropped by the helper. A trap from outside to an inside manager
 *   without NAT, and one DNATed from the firewall's address to the inside
 *   manager (the source unchanged), pass malformed as they are.
 * - `snmp` in raw PREROUTING on an inside manager's requests to an outside
 *   agent, MASQUERADEd: the request's and the response's IpAddress values
 *   equal to the manager's address become the translated address, a
 *   malformed request and a malformed response are dropped.
 *
 * Sent packets recorded, to compare the rewritten bytes.
 */
import { ipv4, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

export const rules = `# cofw golden: ct-snmp (the snmp and snmp_trap helpers)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -s 192.0.2.0/24 -p udp -m udp --dport 162 -j CT --helper snmp_trap
-A PREROUTING -s 203.0.113.0/24 -p udp -m udp --dport 162 -j CT --helper snmp_trap
-A PREROUTING -s 192.0.2.40/32 -p udp -m udp --dport 161 -j CT --helper snmp
-A OUTPUT -p udp -m udp --dport 161 -j CT --helper snmp
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -p udp -m udp --dport 162 -j DNAT --to-destination 192.0.2.30
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m helper --helper snmp
-A INPUT -m conntrack --ctstate RELATED
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p udp -m udp --sport 161
-A FORWARD -m helper --helper snmp_trap
-A FORWARD -m helper --helper snmp
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p udp -m udp --dport 161 -j ACCEPT
-A FORWARD -p udp -m udp --dport 162 -j ACCEPT
COMMIT
`;

const enc = new TextEncoder();

/** A BER TLV (definite length, short or two-byte long form). */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    body.set(p, o);
    o += p.length;
  }
  const n = body.length;
  const head = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  return new Uint8Array([...head, ...body]);
}
const int = (v: number): Uint8Array => tlv(0x02, new Uint8Array(v < 0x80 ? [v] : [v >> 8, v & 0xff]));
const str = (s: string): Uint8Array => tlv(0x04, enc.encode(s));
const oid = (...xs: number[]): Uint8Array => tlv(0x06, new Uint8Array([40 * xs[0]! + xs[1]!, ...xs.slice(2)]));
const ipAddr = (a: string, extra: number[] = []): Uint8Array => tlv(0x40, new Uint8Array([...a.split('.').map(Number), ...extra]));
const ticks = (v: number): Uint8Array => tlv(0x43, new Uint8Array([v >> 8, v & 0xff]));
const varBind = (name: Uint8Array, value: Uint8Array): Uint8Array => tlv(0x30, name, value);

/** An SNMP message: version, community, then a PDU of type `pduTag` with these variable bindings. */
function message(version: number, community: string, pduTag: number, reqId: number, binds: Uint8Array[]): Uint8Array {
  return tlv(0x30, int(version), str(community), tlv(pduTag, int(reqId), int(0), int(0), tlv(0x30, ...binds)));
}

/** A v2c trap whose bindings carry the agent's address and another one. */
function trapV2(community: string, agent: string, other: string): Uint8Array {
  return message(1, community, 0xa7, 17, [
    varBind(oid(1, 3, 6, 1, 2, 1, 1, 3, 0), ticks(1234)),
    varBind(oid(1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), oid(1, 3, 6, 1, 6, 3, 1, 1, 5, 3)),
    varBind(oid(1, 3, 6, 1, 4, 1, 99, 1), ipAddr(agent)),
    varBind(oid(1, 3, 6, 1, 4, 1, 99, 2), ipAddr(other)),
  ]);
}

/** An SNMPv1 Trap-PDU ([4]): enterprise, agent-addr, generic and specific trap, time stamp, bindings. */
function trapV1(agent: string): Uint8Array {
  return tlv(
    0x30,
    int(0),
    str('public'),
    tlv(0xa4, oid(1, 3, 6, 1, 4, 1, 99), ipAddr(agent), int(3), int(0), ticks(77), tlv(0x30, varBind(oid(1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 2), int(2)))),
  );
}

/** Clears the UDP checksum of an IPv4 packet (no checksum). */
function noChecksum(ip: Uint8Array): Uint8Array {
  ip[26] = 0;
  ip[27] = 0;
  return ip;
}

export function build(): Scenario {
  const c = new Capture(5_000_000n);
  const FW1 = '192.0.2.1';
  const MGR = '203.0.113.70';
  const AGENT = '192.0.2.20';
  const fromInside = (src: string, dst: string, sport: number, dport: number, p: Uint8Array, patch = (x: Uint8Array) => x): void =>
    c.host(patch(ipv4({ src, dst }, udp({ sport, dport, payload: p }))));
  const fromOutside = (src: string, dst: string, sport: number, dport: number, p: Uint8Array, patch = (x: Uint8Array) => x): void =>
    c.wire(patch(ipv4({ src, dst }, udp({ sport, dport, payload: p }))));

  const get = message(1, 'public', 0xa0, 1, [varBind(oid(1, 3, 6, 1, 2, 1, 1, 5, 0), tlv(0x05))]);
  const resp = (name: string): Uint8Array => message(1, 'public', 0xa2, 1, [varBind(oid(1, 3, 6, 1, 2, 1, 1, 5, 0), str(name))]);
  // An answer 33 seconds after its broadcast: the expectation lived 30 seconds (the kernel's timer wheel may fire it up to 2 s late).
  c.local(ipv4({ src: FW1, dst: '192.0.2.255' }, udp({ sport: 40102, dport: 161, payload: get })));
  fromInside('192.0.2.20', FW1, 161, 40102, resp('agent20'));
  c.pause(33_000);
  fromInside('192.0.2.21', FW1, 161, 40102, resp('agent21'));
  // The firewall's own broadcast request and its answers.
  c.local(ipv4({ src: FW1, dst: '192.0.2.255' }, udp({ sport: 40100, dport: 161, payload: get })));
  fromInside('192.0.2.20', FW1, 161, 40100, resp('agent20'));
  fromInside('192.0.2.21', FW1, 161, 40100, resp('agent21'));
  fromInside('192.0.2.22', FW1, 162, 40100, resp('agent22'));
  fromOutside('198.51.100.9', '198.51.100.1', 161, 40100, resp('outside'));

  // Traps from the inside agent to the outside manager, MASQUERADEd: each from its own port.
  fromInside(AGENT, MGR, 50001, 162, trapV2('public', AGENT, '192.0.2.99'));
  fromInside(AGENT, MGR, 50002, 162, trapV2('public1', AGENT, AGENT));
  fromInside(AGENT, MGR, 50003, 162, trapV2('public', AGENT, '192.0.2.99'), noChecksum);
  // The same entry again: every trap of it is read.
  fromInside(AGENT, MGR, 50001, 162, trapV2('pub', '192.0.2.98', AGENT));
  fromInside(AGENT, MGR, 50004, 162, trapV1(AGENT));
  fromInside(AGENT, MGR, 50005, 162, message(3, 'public', 0xa7, 18, [varBind(oid(1, 3, 6, 1, 4, 1, 99, 1), ipAddr(AGENT))]));
  fromInside(AGENT, MGR, 50006, 162, message(1, 'public', 0xa7, 19, [varBind(oid(1, 3, 6, 1, 4, 1, 99, 1), ipAddr(AGENT, [0]))]));
  const long = trapV2('public', AGENT, '192.0.2.99');
  long[1] = long[1]! + 4;
  fromInside(AGENT, MGR, 50007, 162, long);
  // A UDP length two bytes short of the packet's (no checksum, so conntrack lets it be).
  fromInside(AGENT, MGR, 50008, 162, new Uint8Array([...trapV2('public', AGENT, '192.0.2.99'), 0, 0]), (ip) => {
    noChecksum(ip);
    const l = (ip[24]! << 8) | ip[25]!;
    ip[24] = (l - 2) >> 8;
    ip[25] = (l - 2) & 0xff;
    return ip;
  });
  // A malformed trap from outside to the inside manager, without NAT, and one DNATed to it: not read.
  const bad = trapV1('203.0.113.71');
  fromOutside('203.0.113.71', '192.0.2.30', 50010, 162, bad);
  fromOutside('203.0.113.71', '198.51.100.1', 50011, 162, bad);

  // The inside manager's requests to an outside agent, MASQUERADEd, and the agent's responses.
  const MGR_IN = '192.0.2.40';
  const AGENT_OUT = '203.0.113.80';
  const set = message(1, 'private', 0xa3, 5, [
    varBind(oid(1, 3, 6, 1, 4, 1, 99, 3), ipAddr(MGR_IN)),
    varBind(oid(1, 3, 6, 1, 4, 1, 99, 4), ipAddr('192.0.2.41')),
  ]);
  fromInside(MGR_IN, AGENT_OUT, 40200, 161, set);
  const reply = message(1, 'private', 0xa2, 5, [
    varBind(oid(1, 3, 6, 1, 4, 1, 99, 3), ipAddr(MGR_IN)),
    varBind(oid(1, 3, 6, 1, 4, 1, 99, 4), ipAddr('198.51.100.1')),
  ]);
  fromOutside(AGENT_OUT, '198.51.100.1', 161, 40200, reply);
  const badGet = get.slice();
  badGet[badGet.length - 1] = 0x05;
  badGet[badGet.length - 2] = 0x05;
  fromInside(MGR_IN, AGENT_OUT, 40201, 161, badGet);
  fromInside(MGR_IN, AGENT_OUT, 40202, 161, get);
  fromOutside(AGENT_OUT, '198.51.100.1', 161, 40202, trapV1(AGENT_OUT));
  // A last broadcast request: its expectation is pending at the end.
  c.local(ipv4({ src: FW1, dst: '192.0.2.255' }, udp({ sport: 40101, dport: 161, payload: get })));
  return { rules, capture: c };
}
