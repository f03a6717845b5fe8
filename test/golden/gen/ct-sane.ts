/**
 * ct-sane: the sane conntrack helper (`CT --helper sane` on TCP 6566)
 * through the gateway, both families, with a filter that lets new
 * connections through only to port 6566 and otherwise only ESTABLISHED
 * and RELATED. The scanning client inside asks the saned server outside
 * to start (SANE_NET_START, an eight-byte request with RPC code 7); the
 * server's successful answer names the port of the data connection the
 * client then opens (RELATED):
 *
 * - answers with a failure status, with a non-zero word before the port,
 *   shorter than eight bytes (the waiting ends: a later answer is not read),
 *   to a request of another length or another code: nothing expected;
 * - a start request from the server: not read;
 * - two starts in a row (max_expected 1: the second evicts the first);
 * - an expectation pending at the end.
 */
import { Capture, DUAL_STACK_MACHINE, type Scenario } from './capture.js';
import { Conn, type Ends } from './ct-helpers.js';

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper sane
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper sane -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 6566 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
COMMIT
`;
const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 6566 -j CT --helper sane
COMMIT
`;
export const rules = `# cofw golden: ct-sane (IPv4)\n${RAW}${FILTER}`;
export const rules6 = `# cofw golden: ct-sane (IPv6)\n${RAW}${FILTER}`;

function words(...xs: number[]): Uint8Array {
  const b = new Uint8Array(xs.length * 4);
  const dv = new DataView(b.buffer);
  xs.forEach((x, i) => dv.setUint32(i * 4, x >>> 0));
  return b;
}

/** SANE_NET_START's request: RPC code 7 and a handle. */
const START = words(7, 0);
/** Its answer: status, a zero 16-bit word and the port, then the byte order word and the resource name. */
function answer(status: number, port: number, zero = 0, tail = true): Uint8Array {
  const head = words(status, ((zero & 0xffff) << 16) | port);
  return tail ? new Uint8Array([...head, ...words(0x1234, 0, 0)]) : head;
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  for (const v6 of [false, true]) {
    const e: Ends = {
      v6,
      inside: v6 ? '2001:db8:2::10' : '192.0.2.10',
      outside: v6 ? '2001:db8:ff::60' : '203.0.113.60',
      host: (ip) => (v6 ? c.host(ip, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd }) : c.host(ip)),
      wire: (ip) => (v6 ? c.wire(ip, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd }) : c.wire(ip)),
    };
    let iss = 9_000_000;
    /** The client's data connection to the server's `port`: whole, or only its SYN when nothing lets it through. */
    const data = (port: number, answered: boolean): void => {
      const d = new Conn(e, true, 41000 + (port % 1000), port, (iss += 100_000));
      if (answered) d.open().b('image '.repeat(30)).close();
      else d.syn();
    };
    const ctl = new Conn(e, true, 40000, 6566, 1_000_000);
    // SANE_NET_INIT (RPC 0) and its answer: nothing.
    ctl
      .open()
      .a(words(0, 0x0101001d, 4, 0x75736572))
      .b(words(0, 0x0101001d))
      .ackA();
    ctl.a(START).b(answer(0, 20000)).ackA();
    data(20000, true);
    // A failure status, a non-zero word before the port.
    ctl.a(START).b(answer(1, 20001)).ackA();
    data(20001, false);
    ctl
      .a(START)
      .b(answer(0, 20002, 1))
      .ackA();
    data(20002, false);
    // An answer of exactly eight bytes is enough.
    ctl
      .a(START)
      .b(answer(0, 20003, 0, false))
      .ackA();
    data(20003, true);
    // Too short: the waiting ends, the next answer is not read.
    ctl
      .a(START)
      .b(new Uint8Array([0, 0, 0, 0, 0, 0]))
      .ackA();
    ctl.b(answer(0, 20004)).ackA();
    data(20004, false);
    // A request of another length, then of another code: the answer is not read.
    ctl
      .a(new Uint8Array([...START, 0, 0, 0, 0]))
      .b(answer(0, 20005))
      .ackA();
    data(20005, false);
    ctl.a(START).a(words(3, 0)).b(answer(0, 20006)).ackA();
    data(20006, false);
    // The server's own start request is not read.
    ctl.b(START).a(answer(0, 20007)).b(words(0)).ackA();
    data(20007, false);
    // Two starts in a row: the second's expectation evicts the first's.
    ctl.a(START).b(answer(0, 20008)).ackA();
    ctl.a(START).b(answer(0, 20009)).ackA();
    data(20008, false);
    data(20009, true);
    // A last one, pending at the end.
    ctl
      .a(START)
      .b(answer(0, v6 ? 20011 : 20010))
      .ackA();
  }
  return { rules, rules6, capture: c, machine: MACHINE };
}

/** Both families (the oracle's topology). */
const MACHINE = DUAL_STACK_MACHINE;
