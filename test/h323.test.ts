/**
 * The H.323 helpers' PER decoder: messages built by the test encoder
 * decode to what was put in; hostile bytes end in an error code, never an
 * exception or a hang.
 */
import { describe, expect, it } from 'vitest';
import {
  component,
  decodeH245Message,
  decodeQ931,
  decodeRasMessage,
  H323_ERROR_BOUND,
  H323_ERROR_NONE,
  H323_ERROR_RANGE,
  optionBit,
} from '../src/netfilter/conntrack/h323-asn1.js';
import { RAS_MESSAGE } from '../src/netfilter/conntrack/h323-types.js';
import { h245, h245Addr, q931, ras, taddr } from './golden/gen/h323-per.js';
import { seeded } from './golden/gen/capture.js';

const rrq = (extra: object = {}): Uint8Array =>
  ras({
    registrationRequest: {
      requestSeqNum: 7,
      callSignalAddress: [taddr('192.0.2.10', 1720), taddr('192.0.2.11', 1721)],
      rasAddress: [taddr('192.0.2.10', 1719)],
      terminalType: { terminal: {} },
      endpointVendor: { vendor: { t35CountryCode: 9 } },
      ...extra,
    },
  });

const ipAt = (b: Uint8Array, off: number): string => [...b.subarray(off, off + 4)].join('.');

describe('H.323 PER decoder', () => {
  it('decodes an RRQ: its call signal addresses (offsets of the address) and timeToLive', () => {
    const b = rrq({ timeToLive: 600, keepAlive: false });
    const r = decodeRasMessage(b, 0, b.length);
    expect(r.ret).toBeGreaterThanOrEqual(H323_ERROR_NONE);
    expect(r.msg.v).toBe(3);
    const m = r.msg.get('registrationRequest');
    const items = m.get('callSignalAddress').items!;
    expect(items.map((t) => ipAt(b, t.get('ipAddress').get('ip').v))).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(m.get('timeToLive').v).toBe(600);
    const ttlBit = optionBit(component(RAS_MESSAGE, 'registrationRequest'), 'timeToLive');
    expect(ttlBit).toBe(0x80000000 >>> 4);
    expect(m.v & ttlBit).not.toBe(0);
  });

  it('reads a timeToLive twice over: one at the very end of the message fails to decode (the kernel moves past it twice)', () => {
    const b = rrq({ timeToLive: 600 });
    expect(decodeRasMessage(b, 0, b.length).ret).toBe(H323_ERROR_BOUND);
    const ok = rrq({ timeToLive: 600, keepAlive: false });
    expect(decodeRasMessage(ok, 0, ok.length).ret).toBeGreaterThanOrEqual(0);
  });

  it('decodes a Q.931 Setup with an h245Address and a fastStart OpenLogicalChannel', () => {
    const olc = {
      forwardLogicalChannelNumber: 1,
      forwardLogicalChannelParameters: {
        dataType: { audioData: { g711Ulaw64k: 20 } },
        multiplexParameters: { h2250LogicalChannelParameters: { sessionID: 1, mediaControlChannel: h245Addr('192.0.2.10', 5001) } },
      },
    };
    const b = q931(5, 1, {
      h323UuPdu: {
        h323MessageBody: { setup: { h245Address: taddr('192.0.2.10', 1800), conferenceID: 16, sourceInfo: {}, fastStart: [olc] } },
        h245Tunneling: false,
      },
    });
    const r = decodeQ931(b, 0, b.length);
    expect(r.ret).toBeGreaterThanOrEqual(0);
    expect(r.messageType).toBe(5);
    const setup = r.msg.get('h323UuPdu').get('h323MessageBody').get('setup');
    expect(ipAt(b, setup.get('h245Address').get('ipAddress').get('ip').v)).toBe('192.0.2.10');
    const fs = setup.get('fastStart').items!;
    expect(fs).toHaveLength(1);
    const ch = fs[0]!.get('forwardLogicalChannelParameters').get('multiplexParameters').get('h2250LogicalChannelParameters');
    const off = ch.get('mediaControlChannel').get('unicastAddress').get('iPAddress').get('network').v;
    expect(ipAt(b, off)).toBe('192.0.2.10');
    expect((b[off + 4]! << 8) | b[off + 5]!).toBe(5001);
  });

  it('decodes an H.245 OpenLogicalChannelAck', () => {
    const b = h245({
      response: {
        openLogicalChannelAck: {
          forwardLogicalChannelNumber: 1,
          forwardMultiplexAckParameters: {
            h2250LogicalChannelAckParameters: { mediaChannel: h245Addr('2001:db8::1', 5000), mediaControlChannel: h245Addr('2001:db8::1', 5001) },
          },
        },
      },
    });
    const r = decodeH245Message(b, 0, b.length);
    expect(r.ret).toBeGreaterThanOrEqual(0);
    const ack = r.msg.get('response').get('openLogicalChannelAck').get('forwardMultiplexAckParameters').get('h2250LogicalChannelAckParameters');
    expect(ack.get('mediaChannel').get('unicastAddress').v).toBe(2);
  });

  it('refuses what is not there: a root CHOICE index past its alternatives, a short message, no user-user element', () => {
    expect(decodeRasMessage(Uint8Array.of(0x7f), 0, 1).ret).toBe(H323_ERROR_RANGE);
    expect(decodeRasMessage(Uint8Array.of(0x0c), 0, 1).ret).toBe(H323_ERROR_BOUND);
    expect(decodeQ931(Uint8Array.of(0x08, 0x02, 0, 1, 5, 0x04, 1, 0x88), 0, 8).ret).toBe(H323_ERROR_BOUND);
    expect(decodeQ931(Uint8Array.of(0x09), 0, 1).ret).toBe(H323_ERROR_RANGE);
    expect(decodeQ931(new Uint8Array(0), 0, 0).ret).toBe(H323_ERROR_BOUND);
  });

  it('never throws nor hangs on hostile bytes (random, and valid messages cut short or with bits flipped)', () => {
    const r = seeded(323);
    const valid = [
      rrq({ timeToLive: 60, keepAlive: true }),
      q931(7, 9, {
        h323UuPdu: { h323MessageBody: { connect: { h245Address: taddr('192.0.2.1', 2000), conferenceID: 16, destinationInfo: {} } }, h245Tunneling: true },
      }),
    ];
    for (let n = 0; n < 1000; n++) {
      let b: Uint8Array;
      if (n % 3 === 0) b = Uint8Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256));
      else {
        const v = valid[n % 2]!;
        b = v.slice(0, Math.floor(r() * (v.length + 1)));
        for (let k = 0; k < 3 && b.length; k++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
      }
      for (const dec of [decodeRasMessage, decodeH245Message, decodeQ931]) {
        const res = dec(b, 0, b.length);
        expect([H323_ERROR_NONE, 1, H323_ERROR_BOUND, H323_ERROR_RANGE]).toContain(res.ret);
      }
    }
  });
});
