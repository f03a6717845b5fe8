/**
 * ct-pptp-nat: the pptp helper on a control connection through MASQUERADE
 * (nf_nat_pptp and the GRE key translation of nf_nat_proto_gre), IPv4,
 * PPTP clients (PNS) inside, the server (PAC) outside; the filter lets new
 * connections through only to TCP 1723 and otherwise only ESTABLISHED and
 * RELATED packets:
 *
 * - session A: an outgoing call; the client's Outgoing-Call-Request leaves
 *   with the control connection's translated TCP source port as its call
 *   id, the server's replies naming it come back with the client's own;
 *   GRE both ways (the client's first), the server's GRE to the translated
 *   key and address translated back; Set-Link-Info and WAN-Error-Notify
 *   from the server, Call-Clear-Request and Call-Disconnect-Notify (whose
 *   call id is rewritten too); GRE after it NEW;
 * - session B: an outgoing call, the server's GRE first;
 * - session C: an incoming call (Incoming-Call-Request, -Reply,
 *   -Connected) through the translation.
 */
import { ipv4, raw } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';
import { ccrq, cdn, Control, echoRp, echoRq, gre, iccn, icrp, icrq, msg, ocrp, ocrq, SERVER, sli } from './ct-pptp.js';

export const rules = `# cofw golden: ct-pptp-nat (IPv4)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 1723 -j CT --helper pptp
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper pptp
-A FORWARD -p gre -m conntrack --ctstate RELATED
-A FORWARD -p gre -m conntrack --ctstate ESTABLISHED
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 1723 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p gre -m conntrack --ctstate NEW
COMMIT
`;

/** The firewall's outside address (MASQUERADE's). */
const NAT = '198.51.100.1';

const WAN_ERROR_NOTIFY = 14;

export function build(): Scenario {
  const c = new Capture(3_000_000n);

  // Session A: MASQUERADE keeps the client's TCP port 40001 (0x9c41), which becomes the call id the server sees.
  const a = new Control(c, '192.0.2.10', 40001, 1_000_000, NAT).session();
  a.pns(ocrq(0x1111))
    .pac(ocrp(0x2222, 0x9c41, 1))
    .pns(sli(0x2222));
  a.greOut(0x2222, 1).greIn(0x9c41, 1, { ack: 1 }).greOut(0x2222, 2, { ack: 1 }).greIn(0x9c41, 2, { ack: 2 });
  a.pac(sli(0x9c41)).pac(msg(WAN_ERROR_NOTIFY, [[0, 2, 0x9c41]]));
  a.pns(echoRq(7)).pac(echoRp(7));
  a.pns(ccrq(0x1111)).pac(cdn(0x2222));
  a.greOut(0x2222, 3).greIn(0x9c41, 3);

  // Session B: the server's GRE first.
  const b = new Control(c, '192.0.2.11', 40002, 2_000_000, NAT).session();
  b.pns(ocrq(0x1211)).pac(ocrp(0x2211, 0x9c42, 1));
  b.greIn(0x9c42, 1).greOut(0x2211, 1, { ack: 1 }).greIn(0x9c42, 2, { ack: 1 });

  // Session C: an incoming call.
  const d = new Control(c, '192.0.2.13', 40004, 4_000_000, NAT).session();
  d.pac(icrq(0x2411))
    .pns(icrp(0x1411, 0x2411, 1))
    .pac(iccn(0x1411));
  d.greIn(0x1411, 1).greOut(0x2411, 1, { ack: 1 }).greIn(0x1411, 2, { ack: 1 });
  c.wire(ipv4({ src: SERVER, dst: NAT }, raw(47, gre(0x9c44, 1))));
  return { rules, capture: c };
}
