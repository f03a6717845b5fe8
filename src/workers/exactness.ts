/**
 * Can a replay be split by connection (across worker threads, or across
 * machines with --shard) and still give exactly what one guest gives?
 *
 * Each worker is a guest of its own, with its own conntrack table and its
 * own copy of every rule's state. Connections are sharded by their address
 * pair (src/workers/shard-key.ts), so whatever a connection's packets touch
 * (its conntrack entry, CONNMARK, per-connection counters, its fragment
 * queues) lives in one worker. State that rules share across connections
 * does not: a `limit` rule's token bucket sees every packet that reaches
 * it, whichever connection it belongs to. Such a rule set is replayed on
 * one worker, and this module says why.
 *
 * The decision is made from the loaded rule sets (both families) and the
 * ipsets, never from the traffic; the traffic's own shared state (fragment
 * memory, the conntrack table's limit) is checked during and after the run
 * (src/workers/sharded.ts).
 */
import type { Ruleset } from '../netfilter/rules/model.js';
import type { IpsetStore } from '../netfilter/ipset/ipset.js';
import { helperBaseName, moduleParams, type ModuleSettings } from '../netfilter/conntrack/module-params.js';

/** A reason the rule sets hold state shared across connections: where, and what. */
export interface SharedState {
  /** `filter/INPUT rule 3` (`ip6 ` first for the ip6tables rule set), or the set's name. */
  readonly where: string;
  readonly why: string;
}

/** Why a match with this name and configuration shares state across connections; undefined when it does not. */
function matchShares(name: string, config: unknown): string | undefined {
  switch (name) {
    case 'limit':
      return '-m limit keeps one token bucket per rule for every packet that reaches it';
    case 'recent':
      return '-m recent keeps address lists that packets of every connection read and change';
    case 'connlimit':
      return '-m connlimit counts the connections of an address group';
    case 'quota':
      return '-m quota counts the bytes of every packet that reaches it';
    case 'statistic': {
      const c = config as { mode?: number };
      return c.mode === 1
        ? '-m statistic --mode nth keeps one packet counter per rule'
        : '-m statistic --mode random draws from one random sequence for every packet';
    }
    case 'hashlimit':
      // Even keyed by the whole address pair, its table's size limit (--hashlimit-htable-max) and garbage collection span every pair.
      return '-m hashlimit keeps one table of buckets, with a size limit, for the packets of every connection';
    case 'rateest':
      return '-m rateest reads rate estimators that the packets of every connection feed';
    case 'nfacct': {
      // Counting alone is summed over the workers (mergeNfacctLists); a quota decides the match from what every connection counted.
      const c = config as { name: string; spec?: { quota?: { mode: string } } };
      return c.spec?.quota
        ? `-m nfacct --nfacct-name ${c.name}: the accounting object has a ${c.spec.quota.mode} quota, which the packets of every connection count towards`
        : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Helpers whose expected connections share the master's address pair (ftp's data connections, tftp's replies,
 * amanda's and sane's data connections, pptp's GRE, whose keymap entries name that pair too, sip's media and calls:
 * with sip_direct_media and sip_direct_signalling, from the other end of the signalling to the sender's own address)
 * or that expect none (snmp_trap), under the modules' default parameters (paramPeers says which change that).
 */
const PAIR_HELPERS = new Set(['ftp', 'tftp', 'amanda', 'sane', 'snmp_trap', 'pptp', 'sip']);

/** Whose connections the helpers that expect other address pairs expect. */
const EXPECTED_PEERS: Record<string, string> = {
  irc: 'DCC peers',
  'netbios-ns': "a broadcast's answers",
  snmp: "a broadcast's answers",
  RAS: 'the calls a gatekeeper admits or locates',
  'Q.931': 'forwarded calls',
};

/** Why a helper the module parameters make expect other address pairs does so, or undefined (module-params.ts). */
function paramPeers(base: string, modules: ModuleSettings | undefined): string | undefined {
  const p = moduleParams(modules);
  if (base === 'ftp' && p.ftpLoose) return 'with nf_conntrack_ftp loose=1, data connections to the address a command names';
  if (base === 'sip' && !p.sipDirectMedia) return 'with nf_conntrack_sip sip_direct_media=0, media of any address from anywhere';
  if (base === 'sip' && !p.sipDirectSignalling) return 'with nf_conntrack_sip sip_direct_signalling=0, calls from anywhere';
  return undefined;
}

/** Why a target with this name and configuration shares state across connections. */
function targetShares(name: string, config: unknown, modules: ModuleSettings | undefined): string | undefined {
  switch (name) {
    case 'CT': {
      const helper = (config as { helper?: string }).helper;
      if (!helper) return undefined;
      // A helper a ports parameter named (ftp-2121) is its module's.
      const base = helperBaseName(helper, modules) ?? helper;
      const peers = PAIR_HELPERS.has(base) ? paramPeers(base, modules) : (EXPECTED_PEERS[base] ?? '');
      return peers === undefined
        ? undefined
        : `-j CT --helper ${helper}: the connections it expects come from other addresses than its own${peers ? ` (${peers})` : ''}, which may be on another worker`;
    }
    case 'SNAT':
    case 'DNAT':
    case 'MASQUERADE':
    case 'REDIRECT':
    case 'NETMAP':
      return `-j ${name}: NAT allocates addresses and ports among every connection, and replies come to the translated address`;
    case 'SET':
      return '-j SET adds and removes set entries that packets of every connection test';
    case 'RATEEST':
      return '-j RATEEST counts the packets of every connection into one rate estimator';
    case 'CLUSTERIP':
      return '-j CLUSTERIP shares its hash among the cluster nodes';
    default:
      return undefined;
  }
}

/**
 * The rule sets' state shared across connections, each place once (empty:
 * the replay can be sharded by connection).
 *
 * @example
 * const shared = sharedState(loadRuleset(text, 'rules.v4'));
 * if (shared.length) console.error(`one worker: ${shared[0].where}: ${shared[0].why}`);
 */
export function sharedState(ruleset: Ruleset | undefined, ruleset6?: Ruleset, ipsets?: IpsetStore, modules?: ModuleSettings): SharedState[] {
  const out: SharedState[] = [];
  for (const rs of [ruleset, ruleset6]) {
    if (!rs) continue;
    const fam = rs === ruleset6 ? 'ip6 ' : '';
    for (const t of rs.tables.values())
      for (const c of t.chains.values())
        c.rules.forEach((r, i) => {
          const where = `${fam}${t.name}/${c.name} rule ${i + 1}`;
          for (const m of r.matches) {
            const why = matchShares(m.module.name, m.config);
            if (why) out.push({ where, why });
          }
          if (r.target.kind === 'module') {
            const why = targetShares(r.target.module.name, r.target.config, modules);
            if (why) out.push({ where, why });
          }
        });
  }
  for (const s of ipsets?.sets.values() ?? []) {
    if (s.opts.counters) out.push({ where: `ipset ${s.name}`, why: 'the set counts the packets and bytes of every connection that matches it (counters)' });
  }
  return out;
}

/** The stderr note of a replay that runs on one worker because of shared state. */
export function oneWorkerNote(asked: string, shared: readonly SharedState[]): string {
  return `cofw: ${asked}: replaying on one worker: ${sharedStateText(shared)}`;
}

/** The first place of shared state and how many more, and what it means: `filter/INPUT rule 3: -m limit ...; sharding by connection would not give the same results`. */
export function sharedStateText(shared: readonly SharedState[]): string {
  const first = shared[0]!;
  const more = shared.length > 1 ? ` (and ${shared.length - 1} more place${shared.length > 2 ? 's' : ''})` : '';
  return `${first.where}: ${first.why}${more}; sharding by connection would not give the same results`;
}
