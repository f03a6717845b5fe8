/**
 * The tftp NAT helper (net/netfilter/nf_nat_tftp.c), both families: a
 * read or write request on a NATed entry expects the server's answer to
 * the address and port the request left from, and the answer's entry
 * follows its master (`followMaster`): it is translated back to the
 * client's own address and port (the master's original source port, saved
 * in the expectation). Nothing in the payload changes.
 */
import { type TftpNatHook, tftpHelper, tftpNatHook } from '../conntrack/helper-tftp.js';
import { helperDrop } from '../conntrack/helpers.js';
import { NF_ACCEPT } from '../types.js';
import { followMaster } from './helper.js';

/** nf_nat_tftp's help. */
export const natTftp: TftpNatHook = (host, _skb, conn, _ctinfo, exp) => {
  exp.savedProto = conn.orig.sport;
  exp.dir = 1;
  exp.expectfn = followMaster;
  if (host.expectRelated(exp) !== 0) return helperDrop(tftpHelper, 'cannot add expectation');
  return NF_ACCEPT;
};

tftpNatHook.fn = natTftp;
