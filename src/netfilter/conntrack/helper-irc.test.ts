import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { TcpRig } from './fixtures/helper-rig.js';
import { lookupHelper } from './helper-registry.js';
import { IP_CT_NEW, IP_CT_RELATED } from './index.js';

const C = '192.0.2.10';
const IP = 3221225994; // 192.0.2.10
const SRV = '203.0.113.50';
const PEER = '203.0.113.77';

function irc(cport = 40000): TcpRig {
  const r = new TcpRig('irc', C, SRV, cport, 6667).open();
  r.cl('NICK a\r\n');
  r.sv(':srv 001 a :hi\r\n');
  return r;
}

const send = (port: number | string, ip: number | string = IP): string => `PRIVMSG bob :\x01DCC SEND f ${ip} ${port} 10\x01\r\n`;

describe('irc helper', () => {
  it('is IPv4 and TCP only, as the kernel registers it', () => {
    expect(lookupHelper('irc', Family.V4, 6)).toBe('ok');
    expect(lookupHelper('irc', Family.V6, 6)).toBe('absent');
    expect(lookupHelper('irc', Family.V4, 17)).toBe('absent');
  });

  it('a DCC SEND expects a connection from anywhere to the client, RELATED to the IRC connection', () => {
    const r = irc();
    expect(r.cl(send(5000))).toBe(true);
    expect(r.expectations()).toEqual([
      '300 proto=6 src=0.0.0.0 dst=192.0.2.10 sport=0 dport=5000 mask-src=0.0.0.0 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=192.0.2.10 master-dst=203.0.113.50 sport=40000 dport=6667 class=0 helper=irc',
    ]);
    const d = r.syn(PEER, C, 31000, 5000);
    expect(d.ctinfo).toBe(IP_CT_RELATED);
    expect(d.ct!.master).toBe(r.control());
    expect(r.syn('198.51.100.7', C, 31000, 5000).ctinfo).toBe(IP_CT_NEW);
  });

  it('reads CHAT, MOVE, TSEND and SCHAT; not RESEND, ACCEPT or lower case', () => {
    const r = irc();
    for (const [verb, port] of [
      ['CHAT chat', 5001],
      ['MOVE m', 5002],
      ['TSEND t', 5003],
      ['SCHAT s', 5004],
    ] as const)
      r.cl(`PRIVMSG bob :\x01DCC ${verb} ${IP} ${port}\x01\r\n`);
    expect(r.expectations().map((l) => l.split(' ')[5])).toEqual(['dport=5001', 'dport=5002', 'dport=5003', 'dport=5004']);
    r.cl(`PRIVMSG bob :\x01DCC RESEND f ${IP} 5005 10\x01\r\n`);
    r.cl(`PRIVMSG bob :\x01DCC ACCEPT f 5006 0\x01\r\n`);
    r.cl(`PRIVMSG bob :\x01dcc SEND f ${IP} 5007 10\x01\r\n`);
    r.cl(`PRIVMSG bob :\x01DCC send f ${IP} 5008 10\x01\r\n`);
    expect(r.expectations()).toHaveLength(4);
  });

  it('wants a PRIVMSG whose text starts with the DCC, and a newline after it', () => {
    const r = irc();
    r.cl(`NOTICE bob :\x01DCC SEND f ${IP} 5000 10\x01\r\n`);
    r.cl(`PRIVMSG bob :hi \x01DCC SEND f ${IP} 5001 10\x01\r\n`);
    r.cl(`PRIVMSG bob :\x01DCC SEND f ${IP} 5002 10\x01`);
    expect(r.expectations()).toEqual([]);
    r.cl(`\r\n \n  pRiVmSg bob :\x01DCC SEND f ${IP} 5003 10\x01\n`);
    expect(r.expectations()).toHaveLength(1);
  });

  it('takes the numbers as simple_strtoul does and refuses forged addresses and port 0', () => {
    const r = irc();
    r.cl(send(5000, IP + 2 ** 32));
    r.cl(send(65536 + 5001));
    expect(r.expectations().map((l) => l.split(' ')[5])).toEqual(['dport=5000', 'dport=5001']);
    r.cl(send(5002, 3405803853));
    r.cl(send(0));
    r.cl(`PRIVMSG bob :\x01DCC SEND "my file" ${IP} 5003 10\x01\r\n`);
    expect(r.expectations()).toHaveLength(2);
    // A verb that fails to parse leaves the next verb to be tried where it stopped.
    r.cl(`PRIVMSG bob :\x01DCC SEND CHAT x ${IP} 5004\x01\r\n`);
    expect(r.expectations()).toHaveLength(3);
  });

  it('reads only the client, and only the first DCC of a packet', () => {
    const q = irc(40001);
    q.sv(`:bob PRIVMSG a :\x01DCC SEND f ${IP} 5000 10\x01\r\n`);
    expect(q.expectations()).toEqual([]);
    q.cl(`PRIVMSG bob :\x01DCC SEND f ${IP} 5001 10\x01\r\nPRIVMSG bob :\x01DCC SEND f ${IP} 5002 10\x01\r\n`);
    expect(q.expectations().map((l) => l.split(' ')[5])).toEqual(['dport=5001']);
  });

  it('keeps eight expectations per IRC connection, 300 seconds each', () => {
    const r = irc();
    for (let p = 6001; p <= 6009; p++) r.cl(send(p));
    expect(r.expectations()).toHaveLength(8);
    expect(r.syn(PEER, C, 31000, 6001).ctinfo).toBe(IP_CT_NEW);
    expect(r.syn(PEER, C, 31000, 6009).ctinfo).toBe(IP_CT_RELATED);
    r.sv(':srv PONG x\r\n');
    r.cl('PING x\r\n');
    r.sv(':srv PONG x\r\n');
    r.now += 299 * 1_000_000_000;
    expect(r.expectations()).toHaveLength(7);
    r.now += 1_000_000_000;
    expect(r.expectations()).toEqual([]);
  });

  it("drops a DCC whose expectation clashes with another connection's: cannot add expectation", () => {
    const a = irc(40000);
    a.cl(send(6000));
    // A second IRC connection of the same client in the same table.
    const b = new TcpRig('irc', C, SRV, 40001, 6667);
    (b as { ct: unknown }).ct = a.ct;
    b.now = a.now;
    b.open();
    b.cl('NICK b\r\n');
    b.sv(':srv 001 b :hi\r\n');
    expect(b.cl(send(6000))).toBe(false);
    expect(a.ct.helperDropReason).toBe('nf_ct_irc: dropping packet: cannot add expectation');
    expect(b.cl(send(6001))).toBe(true);
  });
});
