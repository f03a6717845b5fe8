/**
 * The netbios-ns conntrack helper (net/netfilter/nf_conntrack_netbios_ns.c),
 * IPv4 only: a NetBIOS name query the machine itself broadcasts expects
 * the answers from port 137 of that subnet for 3 seconds (the module's
 * `timeout`), as nf_conntrack_broadcast_help does (helper-broadcast.ts).
 */
import { NF_ACCEPT, type Skb } from '../types.js';
import type { Conn } from './conn.js';
import { broadcastHelp } from './helper-broadcast.js';
import type { Helper, HelperHost } from './helpers.js';

/** NMBD_PORT: the helper's own port, the expected answers' source port. */
const NMBD_PORT = 137;
/** The module's `timeout` parameter's default (seconds; module-params.ts). */
const TIMEOUT = 3;

export const netbiosNsHelper: Helper = {
  name: 'netbios-ns',
  proto: 17,
  policy: { maxExpected: 1, timeout: TIMEOUT },
  policyWith: (p) => ({ maxExpected: 1, timeout: p.netbiosNsTimeout }),
  init: () => null,

  help(host: HelperHost, skb: Skb, _thoff: number, conn: Conn, ctinfo: number): number {
    broadcastHelp(host, skb, conn, ctinfo, NMBD_PORT, host.params.netbiosNsTimeout);
    return NF_ACCEPT;
  },
};
