/**
 * The irc NAT helper (net/netfilter/nf_nat_irc.c), IPv4: a DCC offer on a
 * NATed IRC connection is rewritten to name the address the server sees
 * the client by (the reply's destination) and a port of the NAT side's
 * choosing (the offered one when no other connection expects it,
 * `expFindPort`), written `%u %u`; a text of another length starts the
 * connection's sequence adjustment. The peer's connection to that address
 * and port follows its master (`followMaster`): to the client's own
 * address and offered port, from the IRC server's address.
 */
import { ircHelper, ircNatHook, type IrcNatHook } from '../conntrack/helper-irc.js';
import { helperDrop } from '../conntrack/helpers.js';
import { NF_ACCEPT } from '../types.js';
import { ascii, expFindPort, followMaster, mangleTcpPacket } from './helper.js';

/** nf_nat_irc's help. */
export const natIrc: IrcNatHook = (host, skb, conn, ctinfo, protoff, matchoff, matchlen, exp) => {
  // The peer connects to "us": where the server sees the client.
  const newaddr = conn.reply.dst.w0 >>> 0;
  exp.savedProto = exp.dport;
  exp.dir = 1;
  exp.expectfn = followMaster;
  const port = expFindPort(host, exp, exp.savedProto);
  if (port === 0) return helperDrop(ircHelper, 'all ports in use');
  if (!mangleTcpPacket(skb, conn, ctinfo, protoff, matchoff, matchlen, ascii(`${newaddr} ${port}`))) {
    host.unexpectRelated(exp);
    return helperDrop(ircHelper, 'cannot mangle packet');
  }
  return NF_ACCEPT;
};

ircNatHook.fn = natIrc;
