import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { TcpRig } from './fixtures/helper-rig.js';
import { lookupHelper } from './helper-registry.js';
import { IP_CT_NEW, IP_CT_RELATED } from './index.js';

function words(...xs: number[]): Uint8Array {
  const b = new Uint8Array(xs.length * 4);
  xs.forEach((x, i) => new DataView(b.buffer).setUint32(i * 4, x >>> 0));
  return b;
}
const START = words(7, 0);
const reply = (status: number, port: number, zero = 0): Uint8Array => words(status, (zero << 16) | port, 0x1234);

function sane(v6 = false): TcpRig {
  return new TcpRig('sane', v6 ? '2001:db8:2::10' : '192.0.2.10', v6 ? '2001:db8:ff::60' : '203.0.113.60', 40000, 6566).open();
}

describe('sane helper', () => {
  it('is TCP in both families', () => {
    expect(lookupHelper('sane', Family.V4, 6)).toBe('ok');
    expect(lookupHelper('sane', Family.V6, 6)).toBe('ok');
    expect(lookupHelper('sane', Family.V4, 17)).toBe('absent');
  });

  for (const v6 of [false, true])
    it(`SANE_NET_START's successful answer expects the client's data connection to the port (${v6 ? 'IPv6' : 'IPv4'})`, () => {
      const r = sane(v6);
      r.cl(START);
      r.sv(reply(0, 20000));
      expect(r.expectations()).toHaveLength(1);
      expect(r.expectations()[0]).toContain(`src=${r.client} dst=${r.server} sport=0 dport=20000 `);
      expect(r.expectations()[0]).toMatch(/^300 .* class=0 helper=sane$/);
      expect(r.syn(r.client, r.server, 41000, 20000).ctinfo).toBe(IP_CT_RELATED);
    });

  it('ignores failures, a non-zero word, short answers, other requests and the server', () => {
    const r = sane();
    r.cl(START);
    r.sv(reply(1, 20001));
    r.cl(START);
    r.sv(reply(0, 20002, 1));
    r.cl(START);
    r.sv(new Uint8Array(6));
    r.sv(reply(0, 20003));
    r.cl(new Uint8Array([...START, 0]));
    r.sv(reply(0, 20004));
    r.cl(START);
    r.cl(words(3, 0));
    r.sv(reply(0, 20005));
    r.sv(START);
    r.cl(reply(0, 20006));
    expect(r.expectations()).toEqual([]);
    // A request of another length leaves the waiting as it was.
    r.cl(START);
    r.cl(new Uint8Array(12));
    r.sv(words(0, 20007));
    expect(r.expectations()).toHaveLength(1);
  });

  it('keeps one expectation: a second start evicts the first', () => {
    const r = sane();
    r.cl(START);
    r.sv(reply(0, 20008));
    r.cl(START);
    r.sv(reply(0, 20009));
    expect(r.expectations()).toHaveLength(1);
    expect(r.syn(r.client, r.server, 41000, 20008).ctinfo).toBe(IP_CT_NEW);
    expect(r.syn(r.client, r.server, 41001, 20009).ctinfo).toBe(IP_CT_RELATED);
  });
});
