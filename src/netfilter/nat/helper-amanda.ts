/**
 * The amanda NAT helper (net/netfilter/nf_nat_amanda.c), both families:
 * each port the Amanda client's answer names on a NATed entry is expected
 * from the server (the master's original direction) on a port of the NAT
 * side's choosing (the same one when no other master expects it,
 * `expFindPort`), written back into the datagram in decimal; the server's
 * TCP connection then follows its master (`followMaster`).
 */
import { amandaHelper, amandaNatHook, type AmandaNatHook } from '../conntrack/helper-amanda.js';
import { helperDrop } from '../conntrack/helpers.js';
import { NF_ACCEPT } from '../types.js';
import { ascii, expFindPort, followMaster, mangleUdpPacket } from './helper.js';

/** nf_nat_amanda's help. */
export const natAmanda: AmandaNatHook = (host, skb, conn, ctinfo, protoff, matchoff, matchlen, exp) => {
  // The connection comes from the server (the master's original direction).
  exp.savedProto = exp.dport;
  exp.dir = 0;
  exp.expectfn = followMaster;
  const port = expFindPort(host, exp, exp.savedProto);
  if (port === 0) return helperDrop(amandaHelper, 'all ports in use');
  if (!mangleUdpPacket(skb, conn, ctinfo, protoff, matchoff, matchlen, ascii(String(port)))) {
    host.unexpectRelated(exp);
    return helperDrop(amandaHelper, 'cannot mangle packet');
  }
  return NF_ACCEPT;
};

amandaNatHook.fn = natAmanda;
