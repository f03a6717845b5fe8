/**
 * The generic `-s` and `-d` arguments, read as libxtables 1.8.9 reads them
 * (xtables_ipparse_multiple, xtables_ip6parse_multiple): a comma list,
 * each item `HOST[/MASK]` with its leading blanks skipped, at most 255
 * bytes; the mask after the last `/` is an address (IPv4: all four parts)
 * or a prefix length in C number syntax (`/0x18` is /24, `/024` is /20);
 * a zero mask makes any host `0.0.0.0` (`foo/0` is "anywhere", unresolved).
 *
 * An IPv4 host is tried as xtables_numeric_to_ipaddr reads it (one to four
 * parts, missing ones zero: `10.1` is 10.1.0.0, `172.16.0/24` is
 * 172.16.0.0/24), then as a network name (Debian's /etc/networks), then as
 * getaddrinfo reads it: inet_aton's forms (`10.1.256` is 10.1.1.0,
 * `2130706433` is 127.0.0.1), then the guest's /etc/hosts. An IPv6 host is
 * inet_pton's, then /etc/hosts. What iptables would ask DNS for, cofw
 * refuses: see {@link AddressError}.
 */
import { Family, InetAddr, familyBits, parseIPv6 } from '../../packet/inet-addr.js';
import { inetAton, numericIPv4, xtStrtoulAll } from '../args.js';
import { resolveHost, resolveNetwork, type HostsTable } from './hosts.js';
import { byteLength } from './tokenize.js';

/** A refused address, with iptables' own words first, then what to do. */
export class AddressError extends Error {}

/** A plain dotted quad (no leading zeros, which would be octal): what every reading of an IPv4 host agrees on. */
const DOTTED = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** isspace() in the C locale. */
const C_SPACE = /^[ \t\n\v\f\r]+/;

/** xtables_numeric_to_ipmask: exactly four parts. */
function numericIPv4Mask(text: string): number | undefined {
  return text.slice(0, 19).split('.').length >= 4 ? numericIPv4(text) : undefined;
}

/** parse_ipmask / parse_ip6mask. */
function parseMask(text: string | undefined, family: Family): InetAddr {
  const bits = familyBits(family);
  if (text === undefined) return InetAddr.mask(family, bits);
  if (family === Family.V4) {
    const m = numericIPv4Mask(text);
    if (m !== undefined) return InetAddr.v4(m);
  } else {
    const m = parseIPv6(text);
    if (m !== undefined) return m;
  }
  const n = xtStrtoulAll(text, bits);
  if (n === undefined) {
    const what = family === Family.V4 ? 'a prefix length 0-32 or a mask such as 255.255.255.0' : 'a prefix length 0-128 or a mask such as ffff:ffff::';
    throw new AddressError(`invalid mask \`${text}' specified: expected ${what}`);
  }
  return InetAddr.mask(family, n);
}

/** ipparse_hostnetwork / ip6parse_hostnetwork: the host's addresses (several when a name has several). */
function parseHost(text: string, family: Family, hosts: HostsTable): InetAddr[] {
  if (family === Family.V4) {
    const n = numericIPv4(text) ?? resolveNetwork(text, family)?.w0 ?? inetAton(text);
    if (n !== undefined) return [InetAddr.v4(n)];
  } else {
    const a = parseIPv6(text);
    if (a) return [a];
  }
  const named = resolveHost(text, family, hosts);
  if (named.length) return named;
  throw new AddressError(hostNotFound(text, family, hosts));
}

/** `host/network `x' not found`, and why, for each kind of text. */
function hostNotFound(text: string, family: Family, hosts: HostsTable): string {
  const head = `host/network \`${text}' not found`;
  const v6 = family === Family.V6;
  const other = v6 ? Family.V4 : Family.V6;
  if (text === '!') return head;
  if (v6 ? inetAton(text) !== undefined || numericIPv4(text) !== undefined : parseIPv6(text) !== undefined) {
    return `${head}: ${v6 ? 'an IPv4 address belongs in iptables rules' : 'an IPv6 address belongs in ip6tables rules'}`;
  }
  if (text === '') return `${head}: an empty address (two commas, or a comma at either end of the list?)`;
  if (/\s$/.test(text)) return `${head}: the address ends with a blank${/\r$/.test(text) ? ' (a carriage return: the file has Windows line endings)' : ''}`;
  if (/^\[.*\]$/.test(text)) return `${head}: write the IPv6 address without brackets`;
  if (text.includes('/')) return `${head}: only the last \`/' starts a mask, and \`${text}' is not an address`;
  if (text.includes('%')) return `${head}: a zone index (%eth0) is not part of an address in a rule`;
  if (v6 ? text.includes(':') : /^[0-9.]+$/.test(text) || /^0x/i.test(text)) {
    const example = v6 ? 'such as 2001:db8::1 or 2001:db8::/64' : 'such as 192.0.2.1 or 192.0.2.0/24';
    return `${head}: not ${v6 ? 'an IPv6' : 'an IPv4'} address ${example}`;
  }
  if (resolveHost(text, other, hosts).length || resolveNetwork(text, other)) {
    return `${head}: the guest's /etc/hosts has only ${v6 ? 'IPv4' : 'IPv6'} addresses for \`${text}'; give it ${v6 ? 'an IPv6' : 'an IPv4'} address in the machine file's hosts: to use it in ${v6 ? 'ip6tables' : 'iptables'} rules`;
  }
  return (
    `${head}: iptables would look this name up in the guest's /etc/hosts, then in DNS; cofw does not resolve names through DNS. ` +
    `Name it in the machine file (hosts: { ${text}: ${v6 ? '2001:db8::10' : '192.0.2.10'} }) or write its address`
  );
}

/**
 * A `-s`/`-d` argument: each item's address (masked) and mask, items in
 * order, a name's addresses in /etc/hosts order. Throws AddressError.
 */
export function parseAddressList(text: string, family: Family, hosts: HostsTable): Array<[InetAddr, InetAddr]> {
  // What a rule without -s or -d gets, and the common dotted quad, without the general path.
  if (text === (family === Family.V4 ? '0.0.0.0/0' : '::/0')) return [[InetAddr.any(family), InetAddr.any(family)]];
  if (family === Family.V4 && DOTTED.test(text)) {
    const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
    return [[InetAddr.v4(((a << 24) | (b << 16) | (c << 8) | d) >>> 0), InetAddr.mask(family, 32)]];
  }
  const out: Array<[InetAddr, InetAddr]> = [];
  for (const raw of text.split(',')) {
    const item = raw.replace(C_SPACE, '');
    if (byteLength(item) > 255) throw new AddressError('Hostname too long: an address or name in a list holds at most 255 bytes');
    const slash = item.lastIndexOf('/');
    const mask = parseMask(slash < 0 ? undefined : item.slice(slash + 1), family);
    const host = mask.isZero() ? (family === Family.V4 ? '0.0.0.0' : '::') : slash < 0 ? item : item.slice(0, slash);
    for (const a of parseHost(host, family, hosts)) out.push([a.clone().and(mask), mask]);
  }
  return out;
}
