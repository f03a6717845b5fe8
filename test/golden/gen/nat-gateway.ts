/**
 * nat-gateway: a home or office gateway. The inside (192.0.2.0/24 on eth1)
 * reaches the outside through MASQUERADE, one part through SNAT to an
 * address range (TCP with a port range, UDP --persistent), another mapped
 * whole by NETMAP (192.0.2.128/25 <-> 10.10.10.0/25); port forwards by
 * DNAT (a single port, a shifted port range, UDP to an address only),
 * REDIRECT of inside DNS and proxy traffic to the gateway itself, hairpin
 * NAT (an inside client reaching a forwarded port by the public address),
 * DNAT in OUTPUT (the gateway's own traffic rerouted inside), SNAT in
 * INPUT, pings through MASQUERADE, ICMP errors about translated
 * connections from both sides, and a REJECT reset for a forwarded port
 * (the reset itself goes through the nat table on POSTROUTING).
 *
 * Every source port is chosen so the kernel keeps it (no clash, within any
 * port range): the kernel picks a random port on a clash, which no replay
 * can repeat.
 */
import { icmp, ipv4, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: nat-gateway (SNAT, DNAT, MASQUERADE, REDIRECT, NETMAP)
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:port-forwards - [0:0]
-A PREROUTING -d 198.51.100.1/32 -j port-forwards
-A PREROUTING -i eth1 -p udp -m udp --dport 53 -j REDIRECT --to-ports 5300
-A PREROUTING -i eth1 -p tcp -m tcp --dport 3128 -j REDIRECT
-A PREROUTING -d 10.10.10.0/25 -i eth0 -j NETMAP --to 192.0.2.128/25
-A INPUT -s 203.0.113.77/32 -p tcp -m tcp --dport 22 -j SNAT --to-source 10.99.0.1
-A OUTPUT -d 203.0.113.99/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.0.2.30:8080
-A POSTROUTING -s 192.0.2.0/24 -d 192.0.2.20/32 -o eth1 -p tcp -m tcp --dport 22 -j MASQUERADE
-A POSTROUTING -s 192.0.2.128/25 -o eth0 -j NETMAP --to 10.10.10.0/25
-A POSTROUTING -s 192.0.2.64/26 -o eth0 -p tcp -j SNAT --to-source 198.51.100.10-198.51.100.12:20000-20099
-A POSTROUTING -s 192.0.2.64/26 -o eth0 -p udp -j SNAT --to-source 198.51.100.10-198.51.100.12 --persistent
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
-A port-forwards -p tcp -m tcp --dport 2222 -j DNAT --to-destination 192.0.2.20:22
-A port-forwards -p tcp -m tcp --dport 2223 -j DNAT --to-destination 192.0.2.20:23
-A port-forwards -p tcp -m tcp --dport 8000:8009 -j DNAT --to-destination 192.0.2.21:9000-9009/8000
-A port-forwards -p udp -m udp --dport 5353 -j DNAT --to-destination 192.0.2.22
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate DNAT -p udp -m udp --dport 5300
-A INPUT -m conntrack --ctstate DNAT -p tcp -m tcp --dport 3128
-A INPUT -m conntrack --ctstate SNAT -p tcp -m tcp --dport 22
-A INPUT -m conntrack --ctstate ESTABLISHED --ctorigdst 203.0.113.99
-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate DNAT --ctorigdstport 8000:8009 -j ACCEPT
-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT
-A FORWARD -i eth1 -o eth0 -j ACCEPT
-A FORWARD -d 192.0.2.128/25 -i eth0 -j ACCEPT
-A FORWARD -i eth1 -o eth1 -j ACCEPT
COMMIT
`;

/** A TCP handshake and one data exchange; `out` sends from the client side, `back` from the server side. */
function session(
  out: (ip: Uint8Array) => void,
  back: (ip: Uint8Array) => void,
  a: { client: string; server: string; sport: number; dport: number; replyFrom: string; replyTo: string; replySport: number; replyDport: number },
): void {
  out(ipv4({ src: a.client, dst: a.server }, tcp({ sport: a.sport, dport: a.dport, flags: 'S', seq: 1000 })));
  back(ipv4({ src: a.replyFrom, dst: a.replyTo }, tcp({ sport: a.replySport, dport: a.replyDport, flags: 'SA', seq: 5000, ack: 1001 })));
  out(ipv4({ src: a.client, dst: a.server }, tcp({ sport: a.sport, dport: a.dport, flags: 'A', seq: 1001, ack: 5001 })));
  out(ipv4({ src: a.client, dst: a.server }, tcp({ sport: a.sport, dport: a.dport, flags: 'PA', seq: 1001, ack: 5001, payload: payload(40) })));
  back(
    ipv4(
      { src: a.replyFrom, dst: a.replyTo },
      tcp({ sport: a.replySport, dport: a.replyDport, flags: 'PA', seq: 5001, ack: 1041, payload: payload(100, 0x62) }),
    ),
  );
}

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  const host = (ip: Uint8Array): void => c.host(ip);
  const wire = (ip: Uint8Array): void => c.wire(ip);
  const local = (ip: Uint8Array): void => c.local(ip);

  // MASQUERADE: inside clients to web servers; the port is kept.
  for (let n = 0; n < 3; n++) {
    const client = `192.0.2.${10 + n}`;
    const server = `203.0.113.${5 + n}`;
    session(host, wire, { client, server, sport: 40000 + n, dport: 443, replyFrom: server, replyTo: '198.51.100.1', replySport: 443, replyDport: 40000 + n });
  }
  // Pings through MASQUERADE (the id is kept), and their replies.
  for (let i = 0; i < 2; i++) {
    c.host(ipv4({ src: '192.0.2.10', dst: '203.0.113.9' }, icmp({ type: 8, id: 77, seq: i, payload: payload(24) })));
    c.wire(ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, icmp({ type: 0, id: 77, seq: i, payload: payload(24) })));
  }
  // An ICMP error from the outside about a masqueraded UDP flow: translated inside and out.
  c.host(ipv4({ src: '192.0.2.11', dst: '203.0.113.54' }, udp({ sport: 41000, dport: 5000, payload: payload(30) })));
  const seenOutside = ipv4({ src: '198.51.100.1', dst: '203.0.113.54' }, udp({ sport: 41000, dport: 5000, payload: payload(30) }));
  c.wire(ipv4({ src: '203.0.113.54', dst: '198.51.100.1' }, icmp({ type: 3, code: 3, payload: seenOutside.subarray(0, 28) })));

  // SNAT to an address range: TCP with source ports inside 20000-20099 (kept), UDP --persistent.
  for (let n = 0; n < 4; n++) {
    const client = `192.0.2.${70 + n * 3}`;
    const server = `203.0.113.${20 + n}`;
    c.host(ipv4({ src: client, dst: server }, tcp({ sport: 20010 + n, dport: 80, flags: 'S', seq: 7 })));
    c.host(ipv4({ src: client, dst: server }, udp({ sport: 30000 + n, dport: 123, payload: payload(48) })));
  }

  // NETMAP: 192.0.2.130 appears outside as 10.10.10.2, and the outside reaches 10.10.10.5 as 192.0.2.133.
  c.host(ipv4({ src: '192.0.2.130', dst: '203.0.113.40' }, udp({ sport: 6000, dport: 7000, payload: payload(10) })));
  c.wire(ipv4({ src: '203.0.113.40', dst: '10.10.10.2' }, udp({ sport: 7000, dport: 6000, payload: payload(10) })));
  c.wire(ipv4({ src: '203.0.113.41', dst: '10.10.10.5' }, tcp({ sport: 45000, dport: 25, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: '192.0.2.133', dst: '203.0.113.41' }, tcp({ sport: 25, dport: 45000, flags: 'SA', seq: 9, ack: 2 })));

  // Port forwards from the outside.
  session(wire, host, {
    client: '203.0.113.60',
    server: '198.51.100.1',
    sport: 50000,
    dport: 2222,
    replyFrom: '192.0.2.20',
    replyTo: '203.0.113.60',
    replySport: 22,
    replyDport: 50000,
  });
  for (let i = 0; i < 3; i++) {
    c.wire(ipv4({ src: '203.0.113.61', dst: '198.51.100.1' }, tcp({ sport: 50100 + i, dport: 8000 + i * 4, flags: 'S', seq: 1 })));
    c.host(ipv4({ src: '192.0.2.21', dst: '203.0.113.61' }, tcp({ sport: 9000 + i * 4, dport: 50100 + i, flags: 'SA', seq: 3, ack: 2 })));
  }
  // UDP forwarded to an address only; the server answers with a port unreachable, translated on its way out.
  const mdns = ipv4({ src: '203.0.113.62', dst: '198.51.100.1' }, udp({ sport: 5353, dport: 5353, payload: payload(20) }));
  c.wire(mdns);
  const atServer = ipv4({ src: '203.0.113.62', dst: '192.0.2.22' }, udp({ sport: 5353, dport: 5353, payload: payload(20) }));
  c.host(ipv4({ src: '192.0.2.22', dst: '203.0.113.62' }, icmp({ type: 3, code: 3, payload: atServer.subarray(0, 28) })));
  // A forwarded port the filter rejects: the reset leaves through the nat table's POSTROUTING.
  c.wire(ipv4({ src: '203.0.113.63', dst: '198.51.100.1' }, tcp({ sport: 50200, dport: 2223, flags: 'S', seq: 1 })));

  // Hairpin: an inside client reaches the forwarded SSH port by the public address.
  session(host, host, {
    client: '192.0.2.12',
    server: '198.51.100.1',
    sport: 40500,
    dport: 2222,
    replyFrom: '192.0.2.20',
    replyTo: '192.0.2.1',
    replySport: 22,
    replyDport: 40500,
  });

  // REDIRECT: inside DNS and proxy traffic land on the gateway.
  c.host(ipv4({ src: '192.0.2.14', dst: '203.0.113.53' }, udp({ sport: 42000, dport: 53, payload: payload(30) })));
  c.host(ipv4({ src: '192.0.2.14', dst: '203.0.113.80' }, tcp({ sport: 42001, dport: 3128, flags: 'S', seq: 1 })));

  // DNAT in OUTPUT: the gateway's own request to 203.0.113.99:80 goes inside to 192.0.2.30:8080.
  local(ipv4({ src: '198.51.100.1', dst: '203.0.113.99' }, tcp({ sport: 33000, dport: 80, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: '192.0.2.30', dst: '198.51.100.1' }, tcp({ sport: 8080, dport: 33000, flags: 'SA', seq: 4, ack: 2 })));
  local(ipv4({ src: '198.51.100.1', dst: '203.0.113.99' }, tcp({ sport: 33000, dport: 80, flags: 'A', seq: 2, ack: 5 })));

  // SNAT in INPUT: SSH to the gateway from 203.0.113.77 arrives from 10.99.0.1; the gateway's answer goes back.
  c.wire(ipv4({ src: '203.0.113.77', dst: '198.51.100.1' }, tcp({ sport: 51000, dport: 22, flags: 'S', seq: 1 })));
  local(ipv4({ src: '198.51.100.1', dst: '10.99.0.1' }, tcp({ sport: 22, dport: 51000, flags: 'SA', seq: 8, ack: 2 })));
  c.wire(ipv4({ src: '203.0.113.77', dst: '198.51.100.1' }, tcp({ sport: 51000, dport: 22, flags: 'A', seq: 2, ack: 9 })));
  return { rules, capture: c };
}
