/**
 * The ftp NAT helper (net/netfilter/nf_nat_ftp.c), both families: when
 * the ftp helper finds `PORT`, `EPRT`, a `227` or a `229` on a NATed
 * control connection, the address and port it names are replaced by what
 * the other end must connect to: the address the packet's destination
 * sees this side as (the master's other direction's destination) and a
 * port of the NAT side's choosing (the same one when no other master
 * expects it, `expFindPort`). The data connection then follows its master
 * (`followMaster`): it is translated back to the address and port the
 * command named. The payload's length may change, and the TCP sequence
 * numbers of the rest of the connection are adjusted from then on.
 *
 * `PORT` and `227` name an IPv4 address as six numbers, `EPRT` an IPv4
 * address (`|1|a.b.c.d|port|`) or, on IPv6, an IPv6 address written in
 * full (the kernel's %pI6: eight groups of four hex digits), `229` only a
 * port (`|||port|`).
 */
import { Family, type InetAddr } from '../../packet/inet-addr.js';
import { IP_CT_IS_REPLY, type Conn } from '../conntrack/conn.js';
import { ftpHelper, ftpNatHook, FtpType, type FtpNatHook } from '../conntrack/helper-ftp.js';
import { helperDrop } from '../conntrack/helpers.js';
import { NF_ACCEPT } from '../types.js';
import { ascii, expFindPort, followMaster, mangleTcpPacket } from './helper.js';

/** %pI6: eight groups of four lower-case hex digits. */
function fullV6(a: InetAddr): string {
  const out: string[] = [];
  for (const w of [a.w0, a.w1, a.w2, a.w3]) out.push((w >>> 16).toString(16).padStart(4, '0'), (w & 0xffff).toString(16).padStart(4, '0'));
  return out.join(':');
}

function dotted(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
}

/** nf_nat_ftp_fmt_cmd: the text that replaces the command's address and port. */
export function ftpFmtCmd(conn: Conn, type: FtpType, addr: InetAddr, port: number): string {
  switch (type) {
    case FtpType.Port:
    case FtpType.Pasv: {
      // The first four bytes of the address, whatever its family (as the kernel reads addr->ip).
      const w = addr.w0;
      return `${w >>> 24},${(w >>> 16) & 0xff},${(w >>> 8) & 0xff},${w & 0xff},${port >> 8},${port & 0xff}`;
    }
    case FtpType.Eprt:
      return conn.family === Family.V4 ? `|1|${dotted(addr.w0)}|${port}|` : `|2|${fullV6(addr)}|${port}|`;
    case FtpType.Epsv:
      return `|||${port}|`;
  }
}

/** nf_nat_ftp. */
export const natFtp: FtpNatHook = (host, skb, conn, ctinfo, type, protoff, matchoff, matchlen, exp) => {
  const dir = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
  // The connection will come from wherever this packet goes, hence the other direction.
  const newaddr = conn.tuple(dir ^ 1).dst;
  exp.savedProto = exp.dport;
  exp.dir = dir ^ 1;
  exp.expectfn = followMaster;
  const port = expFindPort(host, exp, exp.savedProto);
  if (port === 0) return helperDrop(ftpHelper, 'all ports in use');
  if (!mangleTcpPacket(skb, conn, ctinfo, protoff, matchoff, matchlen, ascii(ftpFmtCmd(conn, type, newaddr, port)))) {
    host.unexpectRelated(exp);
    return helperDrop(ftpHelper, 'cannot mangle packet');
  }
  return NF_ACCEPT;
};

ftpNatHook.fn = natFtp;
