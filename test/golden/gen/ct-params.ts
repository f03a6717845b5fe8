/**
 * ct-params: the helper modules' parameters and the conntrack sysctls a
 * machine file sets (`modules:`, `sysctl:` net.netfilter.*), as the oracle's
 * kernel had them (a private copy of the oracle writes the writable module
 * parameters under /sys/module and the sysctls in the firewall's namespace,
 * and puts the defaults back after: see README.md):
 *
 * - nf_conntrack_ftp loose=1: a PORT naming another inside address than the
 *   client's expects the data connection to that address (RELATED);
 * - nf_conntrack_sip sip_direct_media=0 and sip_timeout=1200: media offered
 *   for another address than the sender's is expected, from any source (an
 *   RTP stream from a host that is not the SIP peer is RELATED), and the SIP
 *   entry lives 1200 s after each message;
 * - nf_conntrack_amanda master_timeout=100: the control entry's lifetime (its CONNECT's data connection RELATED);
 * - net.netfilter.nf_conntrack_udp_timeout=45, _udp_timeout_stream=150,
 *   _tcp_timeout_established=1000, _icmp_timeout=20: the timeouts
 *   `conntrack -L` lists.
 */
import { icmp, ipv4, tcp, udp } from '../../../src/packet/build.js';
import { Capture, ORACLE_MACHINE, type Scenario } from './capture.js';
import { Conn, type Ends } from './ct-helpers.js';

export const machine = `${ORACLE_MACHINE}sysctl:
  net.netfilter.nf_conntrack_udp_timeout: 45
  net.netfilter.nf_conntrack_udp_timeout_stream: 150
  net.netfilter.nf_conntrack_tcp_timeout_established: 1000
  net.netfilter.nf_conntrack_icmp_timeout: 20
modules:
  nf_conntrack_ftp: {loose: 1}
  nf_conntrack_sip: {sip_direct_media: 0, sip_timeout: 1200}
  nf_conntrack_amanda: {master_timeout: 100}
`;

export const rules = `# cofw golden: ct-params (helper module parameters and conntrack sysctls)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp
-A PREROUTING -p udp -m udp --dport 5060 -j CT --helper sip
-A PREROUTING -p udp -m udp --dport 10080 -j CT --helper amanda
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper sip -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper amanda -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 21 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p udp -m udp --dport 5060 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p udp -m udp --dport 10080 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p udp -m udp --dport 53 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p icmp -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
-A FORWARD -p udp -m conntrack --ctstate NEW
COMMIT
`;

const enc = new TextEncoder();

function sip(lines: string[], body = ''): Uint8Array {
  const b = body.replace(/\n/g, '\r\n');
  return enc.encode(`${[...lines, `Content-Length: ${b.length}`].join('\r\n')}\r\n\r\n${b}`);
}

export function build(): Scenario & { machine: string } {
  const c = new Capture();
  const e: Ends = {
    v6: false,
    inside: '192.0.2.10',
    outside: '203.0.113.21',
    host: (ip) => c.host(ip),
    wire: (ip) => c.wire(ip),
  };
  // FTP: a PORT naming another inside host (loose=1: expected there).
  const ctl = new Conn(e, true, 40000, 21, 1_000_000).open().b('220 ready\r\n').a('USER a\r\n').b('331 pw\r\n').a('PASS b\r\n').b('230 ok\r\n');
  ctl.a('PORT 192,0,2,99,156,69\r\n').b('200 ok\r\n');
  new Conn({ ...e, inside: '192.0.2.99' }, false, 20, 40005, 2_000_000).open().a('data '.repeat(10)).close();
  // Its own address too (the ordinary case).
  ctl.a('PORT 192,0,2,10,156,70\r\n').b('200 ok\r\n');
  new Conn(e, false, 20, 40006, 2_100_000).open().a('data '.repeat(10)).close();
  ctl.b('226 done\r\n').ackA();

  // SIP: an INVITE whose media is another inside host's (sip_direct_media=0: expected from anywhere).
  const A = '192.0.2.20';
  const P = '203.0.113.50';
  const sdp = (addr: string, port: number): string => `v=0\no=- 1 1 IN IP4 ${addr}\ns=-\nc=IN IP4 ${addr}\nt=0 0\nm=audio ${port} RTP/AVP 0\n`;
  c.host(
    ipv4(
      { src: A, dst: P },
      udp({ sport: 5060, dport: 5060, payload: sip(['INVITE sip:b@203.0.113.50 SIP/2.0', 'CSeq: 1 INVITE'], sdp('192.0.2.77', 20000)) }),
    ),
  );
  c.wire(ipv4({ src: P, dst: A }, udp({ sport: 5060, dport: 5060, payload: sip(['SIP/2.0 200 OK', 'CSeq: 1 INVITE'], sdp('203.0.113.60', 30000)) })));
  // RTP from a media server that is not the SIP peer, to the offered address: RELATED.
  c.wire(ipv4({ src: '203.0.113.70', dst: '192.0.2.77' }, udp({ sport: 41000, dport: 20000, payload: new Uint8Array(40) })));
  // The answer's media (the peer's own address is not the sender's either: expected, any source).
  c.host(ipv4({ src: '192.0.2.77', dst: '203.0.113.60' }, udp({ sport: 20000, dport: 30000, payload: new Uint8Array(40) })));

  // Amanda: a request and its reply (master_timeout=100 after the reply).
  c.host(ipv4({ src: '192.0.2.30', dst: '203.0.113.80' }, udp({ sport: 850, dport: 10080, payload: enc.encode('Amanda 2.6 REQ HANDLE 000-1 SEQ 1\n') })));
  c.wire(
    ipv4(
      { src: '203.0.113.80', dst: '192.0.2.30' },
      udp({ sport: 10080, dport: 850, payload: enc.encode('Amanda 2.6 REP HANDLE 000-1 SEQ 1\nCONNECT DATA 50010\n') }),
    ),
  );
  c.host(ipv4({ src: '192.0.2.30', dst: '203.0.113.80' }, tcp({ sport: 45000, dport: 50010, flags: 'S', seq: 7 })));

  // Timeouts: an unreplied UDP flow, a replied one (stream after 2 s both ways), an established TCP connection, an echo request.
  c.host(ipv4({ src: '192.0.2.40', dst: '203.0.113.90' }, udp({ sport: 33000, dport: 53, payload: new Uint8Array(20) })));
  c.host(ipv4({ src: '192.0.2.41', dst: '203.0.113.90' }, udp({ sport: 33001, dport: 53, payload: new Uint8Array(20) })));
  c.wire(ipv4({ src: '203.0.113.90', dst: '192.0.2.41' }, udp({ sport: 53, dport: 33001, payload: new Uint8Array(20) })));
  c.pause(2500);
  c.host(ipv4({ src: '192.0.2.41', dst: '203.0.113.90' }, udp({ sport: 33001, dport: 53, payload: new Uint8Array(20) })));
  c.wire(ipv4({ src: '203.0.113.90', dst: '192.0.2.41' }, udp({ sport: 53, dport: 33001, payload: new Uint8Array(20) })));
  new Conn({ ...e, inside: '192.0.2.42', outside: '203.0.113.91' }, true, 44000, 80, 5_000_000).open().a('GET / HTTP/1.0\r\n\r\n');
  c.host(ipv4({ src: '192.0.2.43', dst: '203.0.113.92' }, icmp({ type: 8, code: 0, id: 7, seq: 1, payload: new Uint8Array(8) })));
  return { rules, capture: c, machine };
}
