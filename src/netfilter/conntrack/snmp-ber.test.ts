import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { l4Checksum } from '../../packet/checksum.js';
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { helperIndex, lookupHelper } from './helper-registry.js';
import { Conntrack, ZONE_DIR_BOTH, zoneTemplate } from './index.js';
import { NatCore } from '../nat/core.js';
import { Manip, NF_NAT_RANGE_MAP_IPS } from '../nat/range.js';
import { ACT_IPADDRESS, ACT_VERSION, decodeSnmp, EBADMSG } from './snmp-ber.js';

const enc = new TextEncoder();
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(parts.flatMap((p) => [...p]));
  return new Uint8Array([tag, ...(body.length < 0x80 ? [body.length] : [0x81, body.length]), ...body]);
}
const int = (v: number): Uint8Array => tlv(0x02, new Uint8Array([v]));
const oid = (...xs: number[]): Uint8Array => tlv(0x06, new Uint8Array(xs));
const ip = (...xs: number[]): Uint8Array => tlv(0x40, new Uint8Array(xs));
const vb = (value: Uint8Array): Uint8Array => tlv(0x30, oid(43, 6, 1), value);
const msg = (version: number, pdu: number, ...binds: Uint8Array[]): Uint8Array =>
  tlv(0x30, int(version), tlv(0x04, enc.encode('public')), tlv(pdu, int(1), int(0), int(0), tlv(0x30, ...binds)));

/** Decodes `m`: its result and the actions it called. */
function decode(m: Uint8Array): { ret: number; acts: string[] } {
  const acts: string[] = [];
  const ret = decodeSnmp(m, 0, m.length, (act, data, value, vlen) => {
    acts.push(`${act === ACT_VERSION ? 'version' : 'ip'}@${value}/${vlen}`);
    return act === ACT_IPADDRESS && vlen !== 4 ? -22 : 1;
  });
  return { ret, acts };
}

describe('SNMP message decoder (the kernel machine of nf_nat_snmp_basic.asn1)', () => {
  it('reads SNMPv1/v2c PDUs [0]-[3] and [5]-[8] and calls the actions on the version and every IpAddress', () => {
    for (const pdu of [0xa0, 0xa1, 0xa2, 0xa3, 0xa5, 0xa6, 0xa7, 0xa8]) {
      const { ret, acts } = decode(msg(1, pdu, vb(int(5)), vb(ip(192, 0, 2, 1)), vb(tlv(0x05)), vb(tlv(0x43, new Uint8Array([1, 2])))));
      expect(ret).toBe(0);
      expect(acts).toEqual(['version@4/1', 'ip@45/4']);
    }
  });

  it('refuses the SNMPv1 Trap-PDU ([4]), which the kernel grammar lacks', () => {
    const trap = tlv(
      0x30,
      int(0),
      tlv(0x04, enc.encode('public')),
      tlv(0xa4, oid(43, 6), ip(192, 0, 2, 1), int(3), int(0), tlv(0x43, new Uint8Array([1])), tlv(0x30)),
    );
    expect(decode(trap).ret).toBe(EBADMSG);
  });

  it('refuses overruns, long tags, lengths of three bytes, a wrong end and an unknown value', () => {
    const good = msg(1, 0xa2, vb(int(5)));
    expect(decode(good).ret).toBe(0);
    const over = good.slice();
    over[1]! += 1;
    expect(decode(over).ret).toBe(EBADMSG);
    expect(decode(msg(1, 0xa2, vb(tlv(0x1f, new Uint8Array([1]))))).ret).toBe(EBADMSG);
    expect(decode(new Uint8Array([0x30, 0x83, 0, 0, 3, 2, 1, 0])).ret).toBe(EBADMSG);
    expect(decode(new Uint8Array([...good, 0])).ret).toBe(0); // bytes after the message are not read
    expect(decode(msg(1, 0xa2, vb(tlv(0x09, new Uint8Array([1]))))).ret).toBe(EBADMSG);
    // A varbind with only its name passes (every value alternative is optional at the end of the sequence).
    expect(decode(msg(1, 0xa2, tlv(0x30, oid(43, 6, 1)))).ret).toBe(0);
  });

  it('reads indefinite lengths on constructed elements, and refuses them on primitive ones', () => {
    const pdu = new Uint8Array([0xa2, 0x80, ...int(1), ...int(0), ...int(0), 0x30, 0x80, ...vb(ip(1, 2, 3, 4)), 0, 0, 0, 0]);
    expect(decode(tlv(0x30, int(1), tlv(0x04, enc.encode('x')), pdu))).toEqual({ ret: 0, acts: ['version@4/1', 'ip@30/4'] });
    expect(decode(msg(1, 0xa2, vb(new Uint8Array([0x02, 0x80, 1, 0, 0])))).ret).toBe(EBADMSG);
    // A message of indefinite length fails: the PDU alternatives after the one that matched read its end-of-contents
    // octets as a tag, and the last mismatch leaves nothing matched.
    expect(decode(new Uint8Array([0x30, 0x80, ...int(1), ...tlv(0x04, enc.encode('x')), ...pdu, 0, 0])).ret).toBe(EBADMSG);
  });

  it("passes an action's refusal through", () => {
    expect(decode(msg(1, 0xa7, vb(ip(192, 0, 2, 1, 0)))).ret).toBe(-22);
  });
});

/** A UDP flow through a Conntrack whose entry has `helper`, its source translated to 198.51.100.1 by the NAT core when `nat`. */
function flow(
  helper: string,
  sport: number,
  dport: number,
  nat: boolean,
): { ct: Conntrack; pass: (p: Uint8Array, reply?: boolean) => { ok: boolean; out: Uint8Array } } {
  const ct = new Conntrack();
  const core = new NatCore(ct, 1);
  let now = 1_000_000_000;
  let first = true;
  const pass = (payload: Uint8Array, reply = false): { ok: boolean; out: Uint8Array } => {
    const out = reply
      ? ipv4({ src: '203.0.113.70', dst: nat ? '198.51.100.1' : '192.0.2.20' }, udp({ sport: dport, dport: sport, payload }))
      : ipv4({ src: '192.0.2.20', dst: '203.0.113.70' }, udp({ sport, dport, payload }));
    const skb = new Skb().load(out);
    skb.ctZone = first ? zoneTemplate(0, ZONE_DIR_BOTH, false, helperIndex(helper)) : -1;
    first = false;
    now += 1_000_000;
    core.setClock(now);
    expect(ct.in(skb, Hook.PreRouting, now)).toBe(NF_ACCEPT);
    const conn = skb.ct!;
    if (nat) {
      const to = InetAddr.v4(0xc6336401);
      if (!conn.confirmed) core.setup(conn, { flags: NF_NAT_RANGE_MAP_IPS, minAddr: to, maxAddr: to, minProto: 0, maxProto: 0, baseProto: 0 }, Manip.Src);
      expect(core.packet(skb, conn, skb.ctinfo, reply ? Hook.PreRouting : Hook.PostRouting)).toBe(true);
    }
    return { ok: ct.confirm(skb, now), out: skb.data };
  };
  return { ct, pass };
}

const trapV2 = (...binds: Uint8Array[]): Uint8Array => msg(1, 0xa7, ...binds);

describe('snmp_trap and snmp helpers', () => {
  it('are IPv4 UDP only', () => {
    expect(lookupHelper('snmp_trap', Family.V4, 17)).toBe('ok');
    expect(lookupHelper('snmp', Family.V4, 17)).toBe('ok');
    expect(lookupHelper('snmp', Family.V6, 17)).toBe('absent');
  });

  it('without NAT leave every message alone, even a malformed one', () => {
    const f = flow('snmp_trap', 50000, 162, false);
    const bad = new Uint8Array([0x30, 0x05, 1]);
    const r = f.pass(bad);
    expect(r.ok).toBe(true);
  });

  it('with NAT rewrite the IpAddress values equal to the original source, keeping the UDP checksum right', () => {
    for (const community of ['public', 'public1']) {
      const f = flow('snmp_trap', 50000, 162, true);
      const m = tlv(0x30, int(1), tlv(0x04, enc.encode(community)), tlv(0xa7, int(1), int(0), int(0), tlv(0x30, vb(ip(192, 0, 2, 20)), vb(ip(192, 0, 2, 99)))));
      const { ok, out } = f.pass(m);
      expect(ok).toBe(true);
      const text = [...out].join(',');
      expect(text).toContain('64,4,198,51,100,1');
      expect(text).toContain('64,4,192,0,2,99');
      expect(l4Checksum(out, 20, out.length - 20, 17)).toBe(0);
    }
  });

  it('leave a zero UDP checksum zero', () => {
    const f = flow('snmp_trap', 50000, 162, true);
    const { out } = f.pass(trapV2(vb(ip(192, 0, 2, 20))));
    expect(out[26]! | out[27]!).not.toBe(0);
    expect(f.pass(new Uint8Array(0)).ok).toBe(false); // an empty message does not decode
  });

  it('with NAT drop what does not decode: an SNMPv1 trap, SNMPv3, an IpAddress of five bytes', () => {
    const v1 = tlv(
      0x30,
      int(0),
      tlv(0x04, enc.encode('public')),
      tlv(0xa4, oid(43, 6), ip(192, 0, 2, 20), int(3), int(0), tlv(0x43, new Uint8Array([1])), tlv(0x30)),
    );
    for (const m of [v1, msg(3, 0xa7, vb(int(1))), trapV2(vb(ip(192, 0, 2, 20, 0)))]) {
      const f = flow('snmp_trap', 50000, 162, true);
      expect(f.pass(m).ok).toBe(false);
      expect(f.ct.helperDropReason).toBe('nf_ct_snmp_trap: dropping packet: parser failed');
    }
  });

  it('snmp_trap reads neither a packet from port 161 in the original direction nor one to port 162 in the reply direction', () => {
    const f = flow('snmp_trap', 161, 40000, true);
    expect(f.pass(new Uint8Array([1, 2, 3])).ok).toBe(true);
    const g = flow('snmp_trap', 40000, 161, true);
    expect(g.pass(trapV2(vb(int(1)))).ok).toBe(true);
    expect(g.pass(new Uint8Array([1, 2, 3]), true).ok).toBe(false);
    expect(g.ct.helperDropReason).toBe('nf_ct_snmp_trap: dropping packet: parser failed');
  });

  it('snmp with NAT translates requests and responses too, under its own name', () => {
    const f = flow('snmp', 40000, 161, true);
    expect(f.pass(msg(1, 0xa3, vb(ip(192, 0, 2, 20)))).out.join(',')).toContain('64,4,198,51,100,1');
    const back = f.pass(msg(1, 0xa2, vb(ip(192, 0, 2, 20))), true);
    expect(back.ok).toBe(true);
    expect(back.out.join(',')).toContain('64,4,198,51,100,1');
    expect(f.pass(new Uint8Array([0x30, 0x01]), true).ok).toBe(false);
    expect(f.ct.helperDropReason).toBe('nf_ct_snmp: dropping packet: parser failed');
  });
});
