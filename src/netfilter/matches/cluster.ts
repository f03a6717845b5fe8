/**
 * `-m cluster` (net/netfilter/xt_cluster.c, extensions/libxt_cluster.c),
 * both families: shares the connections among the nodes of a cluster that
 * all see the same traffic. `--cluster-total-nodes N` (1-32),
 * `[!] --cluster-local-node K` (1-N, the mask 1 << (K-1)) or
 * `[!] --cluster-local-nodemask M` (libxt_cluster takes 1-32 only, and a
 * mask below 1 << N), `--cluster-hash-seed S`; all but one of the two
 * local options mandatory.
 *
 * A packet matches when its connection hashes to a node in the mask: the
 * original direction's source address of the connection, or of its master
 * when it was expected by a helper (an FTP data connection goes with its
 * control connection), hashed with jhash seeded with S and scaled to the
 * node count (reciprocal_scale). In IPv6 only the address's first 32 bits
 * are hashed (the kernel's word count is off by a factor of four; see
 * {@link clusterNode}): the sources of one /32 all go to one node. A packet without a connection (INVALID, or
 * untracked) never matches, even with `!`. Loading a cluster rule
 * registers connection tracking (nf_ct_netns_get).
 *
 * The match also changes the packet: a packet the link layer marked
 * multicast (PACKET_MULTICAST) whose IP destination is not multicast
 * becomes PACKET_HOST (for clusters that answer ARP with a multicast MAC),
 * before the connection is looked at.
 *
 * Saved as `[!] --cluster-local-nodemask 0x%08x --cluster-total-nodes N
 * --cluster-hash-seed 0x%08x`.
 *
 * @example
 * -A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef -j MARK --set-mark 0xffff
 */
import { defineMatch, Family, OptionError, type OptionSpec } from '../xt.js';
import { PacketType, type Skb } from '../types.js';
import { uintArg } from '../args.js';
import { jhash2, leWord, reciprocalScale } from '../nat/jhash.js';
import type { InetAddr } from '../../packet/inet-addr.js';
import { checkUses } from './util.js';

/** XT_CLUSTER_NODES_MAX. */
export const CLUSTER_NODES_MAX = 32;

export interface ClusterConfig {
  readonly totalNodes: number;
  readonly nodeMask: number;
  readonly hashSeed: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'cluster-total-nodes', args: 1 },
  { name: 'cluster-local-node', args: 1, invert: true },
  { name: 'cluster-local-nodemask', args: 1, invert: true },
  { name: 'cluster-hash-seed', args: 1 },
];

/**
 * xt_cluster_hash: the node an original source address belongs to. An
 * IPv6 address is hashed by its first 32 bits only: xt_cluster_hash_ipv6
 * passes jhash2 NF_CT_TUPLE_L3SIZE / sizeof(__u32) words, and
 * NF_CT_TUPLE_L3SIZE counts words already (4), so one word is hashed, as
 * jhash_1word hashes an IPv4 address. Every source in one /32 goes to the
 * same node.
 */
export function clusterNode(src: InetAddr, seed: number, totalNodes: number): number {
  return reciprocalScale(jhash2([leWord(src.w0)], seed), totalNodes);
}

function hex8(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

export const clusterMatch = defineMatch<ClusterConfig>({
  name: 'cluster',
  options: OPTIONS,
  parse(uses) {
    checkUses('cluster', uses);
    let totalNodes = 0;
    let nodeMask = 0;
    let hashSeed = 0;
    let invert = false;
    const has = (n: string): boolean => uses.some((u) => u.spec.name === n);
    for (const u of uses) {
      switch (u.spec.name) {
        case 'cluster-total-nodes':
          totalNodes = uintArg('cluster', u, 1, CLUSTER_NODES_MAX);
          break;
        case 'cluster-local-node':
          nodeMask = 2 ** (uintArg('cluster', u, 1, CLUSTER_NODES_MAX) - 1);
          invert = u.invert;
          break;
        case 'cluster-local-nodemask':
          nodeMask = uintArg('cluster', u, 1, CLUSTER_NODES_MAX);
          invert = u.invert;
          break;
        case 'cluster-hash-seed':
          hashSeed = uintArg('cluster', u, 0, 0xffffffff);
          break;
      }
    }
    // cluster_check (x6_fcheck) runs before the mandatory options are checked.
    const total = has('cluster-total-nodes') && has('cluster-hash-seed');
    if (total && has('cluster-local-node')) {
      if (nodeMask >= 2 ** totalNodes) throw new OptionError("cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'");
    } else if (total && has('cluster-local-nodemask')) {
      if (nodeMask >= 2 ** totalNodes) throw new OptionError("cluster match: `--cluster-local-nodemask' too big for `--cluster-total-nodes'");
    } else if (!has('cluster-local-node') && !has('cluster-local-nodemask')) {
      throw new OptionError("cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing");
    }
    // xtables_options_fcheck, in the option table's order: mandatory options, then the local options' exclusion.
    if (!has('cluster-total-nodes')) throw new OptionError('cluster: option "--cluster-total-nodes" must be specified');
    if (has('cluster-local-node') && has('cluster-local-nodemask')) {
      throw new OptionError('cluster: option "--cluster-local-node" cannot be used together with "--cluster-local-nodemask".');
    }
    if (!has('cluster-hash-seed')) throw new OptionError('cluster: option "--cluster-hash-seed" must be specified');
    return { totalNodes, nodeMask, hashSeed, invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--cluster-local-nodemask ${hex8(c.nodeMask)} --cluster-total-nodes ${c.totalNodes} --cluster-hash-seed ${hex8(c.hashSeed)}`;
  },
  match(c, skb: Skb) {
    if (skb.pktType === PacketType.Multicast && !isMulticastDst(skb)) skb.pktType = PacketType.Host;
    const ct = skb.ct;
    if (ct === null || skb.ctState !== 0) return false;
    const owner = ct.master ?? ct;
    const node = clusterNode(owner.orig.src, c.hashSeed, c.totalNodes);
    return ((c.nodeMask & (2 ** node)) !== 0) !== c.invert;
  },
});

function isMulticastDst(skb: Skb): boolean {
  return skb.family === Family.V6 ? skb.dst.w0 >>> 24 === 0xff : skb.daddr >>> 28 === 0xe;
}
