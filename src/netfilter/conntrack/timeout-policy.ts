/**
 * Connection tracking timeout policies (nfnetlink_cttimeout,
 * nf_conntrack_timeout.c): named sets of per-state timeouts that
 * `nfct add timeout NAME inet|inet6 PROTO STATE SECONDS...` makes on a real
 * host and `-j CT --timeout NAME` attaches to the connections a rule's
 * packets open. Such an entry takes every timeout from its policy
 * (nf_ct_timeout_lookup) instead of the namespace's defaults.
 *
 * cofw's guest makes them at boot from the machine file's `cttimeout:` list,
 * before the rules load, as a host's boot scripts run nfct before
 * iptables-restore.
 *
 * What the kernel does, and cofw with it:
 * - A state the policy does not name takes the protocol's timeout of the
 *   namespace when the policy is made (its `*_timeout_nlattr_to_obj` copies
 *   the per-net values first): the machine file's conntrack sysctls, else
 *   the kernel's defaults. `nfct list timeout` shows them filled in.
 * - States per protocol are those of libnetfilter_cttimeout (nfct's names,
 *   any case); the protocols are tcp, udp, udplite, icmp, icmpv6, sctp, gre
 *   and generic (Linux 6.18 has no DCCP tracker: nfct's dccp policy is
 *   refused with EOPNOTSUPP). Any family may have any of them (an inet6
 *   icmp policy loads), and names are one namespace-wide list whatever the
 *   family (a second policy of a name is EBUSY).
 * - Seconds become jiffies in a u32 (seconds * HZ): cofw refuses values
 *   that would wrap, which the kernel stores wrapped.
 */
import { Family } from '../../packet/inet-addr.js';
import { HZ } from '../clock.js';
import type { TcpSettings } from './tcp.js';

/** A timeout policy as the machine file declares it. */
export interface TimeoutPolicy {
  /** Its name, 1 to 31 characters (CTNL_TIMEOUT_NAME_MAX less the NUL). */
  readonly name: string;
  /** The family it serves (its l3num): only rules of that family may name it. */
  readonly family: Family;
  /** The protocol's name as nfct takes it (a key of CTTIMEOUT_PROTOCOLS). */
  readonly protocol: string;
  /** The states it sets (nfct's lower-case names) and their seconds; the others take the defaults. */
  readonly timeouts: Readonly<Record<string, number>>;
}

/** A protocol nfct makes policies for: its number (the tracker's l4proto) and its states in nfct's order. */
export interface CttimeoutProtocol {
  readonly l4proto: number;
  readonly states: readonly string[];
}

/** libnetfilter_cttimeout's protocols and state names (the CTA_TIMEOUT_* attributes of each tracker). */
export const CTTIMEOUT_PROTOCOLS: Readonly<Record<string, CttimeoutProtocol>> = {
  tcp: {
    l4proto: 6,
    states: ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2', 'retrans', 'unacknowledged'],
  },
  udp: { l4proto: 17, states: ['unreplied', 'replied'] },
  udplite: { l4proto: 136, states: ['unreplied', 'replied'] },
  icmp: { l4proto: 1, states: ['timeout'] },
  icmpv6: { l4proto: 58, states: ['timeout'] },
  sctp: { l4proto: 132, states: ['closed', 'cookie_wait', 'cookie_echoed', 'established', 'shutdown_sent', 'shutdown_recd', 'shutdown_ack_sent'] },
  gre: { l4proto: 47, states: ['unreplied', 'replied'] },
  generic: { l4proto: 255, states: ['timeout'] },
};

/** The most policies a machine may declare: a CT template carries the policy's index in 6 bits. */
export const MAX_TIMEOUT_POLICIES = 63;
/** The longest name (CTNL_TIMEOUT_NAME_MAX is 32 with its NUL). */
export const TIMEOUT_NAME_MAX = 31;
/** The most seconds a state may have: seconds * HZ must fit the kernel's u32 jiffies. */
export const TIMEOUT_SECONDS_MAX = Math.floor(0xffffffff / HZ);

/**
 * nf_ct_l4proto_find: the tracker a protocol number gets, which a policy
 * must be for (its l4proto): TCP, UDP, UDP-Lite, ICMP, ICMPv6, SCTP and GRE
 * have their own; every other protocol (DCCP too, on 6.18) is tracked by
 * the generic tracker, 255.
 */
export function trackerOf(proto: number): number {
  switch (proto) {
    case 6:
    case 17:
    case 136:
    case 1:
    case 58:
    case 132:
    case 47:
      return proto;
    default:
      return 255;
  }
}

/** The policy's l3num as the kernel's messages print it (NFPROTO_IPV4 2, NFPROTO_IPV6 10). */
export function l3num(family: Family): number {
  return family === Family.V6 ? 10 : 2;
}

/** The policy's family as nfct names it. */
export function policyFamilyName(family: Family): string {
  return family === Family.V6 ? 'inet6' : 'inet';
}

/**
 * A policy's timeouts in jiffies, as conntrack reads them for the entries
 * that carry it; built once per machine from the policy and the
 * namespace's defaults.
 */
export interface PolicyTimeouts {
  /** The policy's index in the machine's list, from 1 (0 is no policy in a template). */
  readonly index: number;
  readonly name: string;
  readonly l4proto: number;
  /**
   * The tracker's timeouts array in jiffies: TCP indexed by TcpState then
   * RETRANS and UNACK (tcpTimeoutJiffies); SCTP by SctpState; UDP,
   * UDP-Lite and GRE [unreplied, replied]; ICMP, ICMPv6 and generic
   * [timeout].
   */
  readonly jiffies: readonly number[];
  /** TCP: the namespace's TCP settings with these timeouts; null for the other protocols. */
  readonly tcp: TcpSettings | null;
}

/** The TCP states' positions in a tcpTimeoutJiffies array (state names in CTTIMEOUT_PROTOCOLS.tcp's order). */
const TCP_SLOTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/** The SCTP states' positions in an array indexed by SctpState (CLOSED is 1). */
const SCTP_SLOTS = [1, 2, 3, 4, 5, 6, 7];

/**
 * The policy's jiffies array: `defaults` (the tracker's array as the
 * namespace has it, in jiffies) with the states the policy names replaced.
 */
export function policyJiffies(policy: TimeoutPolicy, defaults: readonly number[]): number[] {
  const p = CTTIMEOUT_PROTOCOLS[policy.protocol]!;
  const out = defaults.slice();
  const slots = policy.protocol === 'tcp' ? TCP_SLOTS : policy.protocol === 'sctp' ? SCTP_SLOTS : p.states.map((_, i) => i);
  p.states.forEach((s, i) => {
    const v = policy.timeouts[s];
    if (v !== undefined) out[slots[i]!] = v * HZ;
  });
  // tcp_timeout_nlattr_to_obj: timeouts[0] is SYN_SENT's (the "new" timeout); sctp's: NONE is CLOSED's.
  if (policy.protocol === 'tcp' || policy.protocol === 'sctp') out[0] = out[1]!;
  return out;
}

/**
 * What is wrong with a policy's protocol, state or value (null: nothing),
 * in words that say what nfct accepts.
 */
export function cttimeoutProtocolError(protocol: string): string | null {
  if (CTTIMEOUT_PROTOCOLS[protocol]) return null;
  if (protocol === 'dccp') return 'Linux 6.18 has no DCCP connection tracker (nfct add timeout ... dccp fails with "Operation not supported"); use generic';
  return `protocol \`${protocol}': accepted are ${Object.keys(CTTIMEOUT_PROTOCOLS).join(', ')} (nfct add timeout NAME inet PROTOCOL ...)`;
}
