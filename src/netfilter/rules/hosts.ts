/**
 * Host and network names in `-s` and `-d`, resolved as iptables resolves
 * them on the guest, without the network: the guest's /etc/hosts (the
 * machine file's `hosts:` on top of Debian's default lines) and Debian's
 * /etc/networks. cofw never asks DNS; a name found in neither is refused
 * with a message saying how to add it.
 *
 * Lookups follow glibc 2.36's files backend as getaddrinfo calls it for
 * iptables (hints AF_INET or AF_INET6, SOCK_RAW): names compare without
 * regard to case; every line naming the host gives one address, in file
 * order (a name on two lines gives two rules); an IPv4 lookup also takes
 * `::1` as 127.0.0.1 and an IPv4-mapped IPv6 address as its IPv4 address,
 * an IPv6 lookup takes only IPv6 lines. Network names (getnetbyname) are
 * IPv4 only: ip6tables has none.
 *
 * @example
 * const hosts = hostsTable({ web1: ['192.0.2.10'] }, 'fw1');
 * resolveHost('web1', Family.V4, hosts) // [192.0.2.10]
 * resolveHost('localhost', Family.V4, hosts) // [127.0.0.1, 127.0.0.1]: Debian's two localhost lines
 */
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';

/** One line of /etc/hosts: an address and the names it carries. */
export interface HostEntry {
  readonly address: InetAddr;
  readonly names: readonly string[];
}

/** The lines of a host table, in file order. */
export type HostsTable = readonly HostEntry[];

/** The lines Debian writes into a new system's /etc/hosts (netbase and the installer), the hostname's on 127.0.1.1. */
export function debianHosts(hostname = 'cofw'): HostEntry[] {
  const line = (a: string, ...names: string[]): HostEntry => ({ address: parseInetAddr(a)!, names });
  return [
    line('127.0.0.1', 'localhost'),
    line('127.0.1.1', hostname),
    line('::1', 'localhost', 'ip6-localhost', 'ip6-loopback'),
    line('ff02::1', 'ip6-allnodes'),
    line('ff02::2', 'ip6-allrouters'),
  ];
}

/**
 * The guest's /etc/hosts: Debian's default lines, then one line per
 * address of `extra` (name to addresses, in order). A name given in
 * `extra` is taken off the default lines, so `localhost: [10.0.0.1]`
 * replaces Debian's localhost rather than adding to it.
 */
export function hostsTable(extra: Readonly<Record<string, readonly (string | InetAddr)[]>> = {}, hostname = 'cofw'): HostEntry[] {
  const mine = new Set(Object.keys(extra).map((n) => n.toLowerCase()));
  const out: HostEntry[] = [];
  for (const e of debianHosts(hostname)) {
    const names = e.names.filter((n) => !mine.has(n.toLowerCase()));
    if (names.length) out.push({ address: e.address, names });
  }
  for (const [name, addrs] of Object.entries(extra)) {
    for (const a of addrs) {
      const address = typeof a === 'string' ? parseInetAddr(a) : a;
      if (!address) throw new Error(`host ${name}: \`${String(a)}' is not an IPv4 or IPv6 address`);
      out.push({ address, names: [name] });
    }
  }
  return out;
}

/** /etc/networks as Debian's netbase ships it: what getnetbyname finds (IPv4 only). */
export const DEBIAN_NETWORKS: ReadonlyMap<string, number> = new Map([
  ['default', 0x00000000],
  ['loopback', 0x7f000000],
  ['link-local', 0xa9fe0000],
]);

const LOOPBACK6 = InetAddr.v6(0, 0, 0, 1);

/**
 * The addresses getaddrinfo gives for `name` in `family` from the host
 * table (see the module comment), in order; empty when the table does not
 * name it.
 */
export function resolveHost(name: string, family: Family, hosts: HostsTable): InetAddr[] {
  const want = name.toLowerCase();
  const out: InetAddr[] = [];
  for (const e of hosts) {
    if (!e.names.some((n) => n.toLowerCase() === want)) continue;
    const a = e.address;
    if (family === Family.V6) {
      if (a.family === Family.V6) out.push(a.clone());
      continue;
    }
    if (a.family === Family.V4) out.push(a.clone());
    else if (a.equals(LOOPBACK6)) out.push(InetAddr.v4(0x7f000001));
    else if (a.w0 === 0 && a.w1 === 0 && a.w2 === 0xffff) out.push(InetAddr.v4(a.w3));
  }
  return out;
}

/** getnetbyname in Debian's /etc/networks: the network's address, IPv4 only. */
export function resolveNetwork(name: string, family: Family): InetAddr | undefined {
  if (family !== Family.V4) return undefined;
  const n = DEBIAN_NETWORKS.get(name.toLowerCase());
  return n === undefined ? undefined : InetAddr.v4(n);
}
