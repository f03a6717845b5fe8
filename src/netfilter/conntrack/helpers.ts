/**
 * Conntrack helpers and expectations (net/netfilter/nf_conntrack_helper.c,
 * nf_conntrack_expect.c).
 *
 * A helper watches a connection's packets and announces the connections it
 * expects (an FTP data connection, a TFTP transfer's answer). On the
 * reference kernel (6.18, no `nf_conntrack_helper` sysctl) an entry gets a
 * helper only from the template of a `CT --helper NAME` rule in the raw
 * table, when the entry is made; an entry that matched an expectation gets
 * none (the ftp and tftp expectations carry no helper of their own).
 *
 * The helper runs where the kernel runs it, in nf_confirm at the confirm
 * hook (last on INPUT and POSTROUTING), for every packet of its entry but
 * the RELATED replies (ICMP errors), before the entry is confirmed.
 *
 * An expectation is a tuple and a mask: the source address (all or
 * nothing), the source port (all or nothing), the destination exact. A new
 * entry whose original tuple matches one in its zone is RELATED: its status
 * has IPS_EXPECTED, its master is the expectation's master and it takes the
 * master's mark; the expectation is used up (unless permanent), even if the
 * packet is then dropped. Each helper's policy bounds the expectations a
 * master may have (the oldest is evicted past it) and how long they live.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import type { Manip, NatRange } from '../nat/range.js';
import { NF_ACCEPT, type Skb } from '../types.js';
import type { Conn, Tuple } from './conn.js';
import { helperBaseName, type ModuleParams, type ModuleSettings } from './module-params.js';

/** struct nf_conntrack_expect_policy. */
export interface ExpectPolicy {
  readonly maxExpected: number;
  /** Seconds. */
  readonly timeout: number;
}

/**
 * What the NAT core offers helpers and their expectations (present when
 * the rule set has a nat table, as the kernel's NAT hooks are then
 * registered): see src/netfilter/nat/helper.ts for the NAT helper API.
 */
export interface NatHost {
  /** nf_nat_setup_info: binds side `manip` of an unconfirmed entry to `range`; NF_ACCEPT or NF_DROP. */
  setup(conn: Conn, range: NatRange, manip: Manip): number;
  /** get_random_u32, from the NAT core's seeded generator (COFW_RANDOM_SEED). */
  random(): number;
}

/**
 * exp->expectfn: called when a new entry matched the expectation, before
 * its first packet is tracked (init_conntrack), e.g. nf_nat_follow_master.
 */
export type ExpectFn = (host: HelperHost, conn: Conn, exp: Expectation) => void;

/** nf_ct_expect_related's flag: an identical expectation of another master is -EALREADY, not a clash (sip's media). */
export const NF_CT_EXP_F_SKIP_MASTER = 1;

/** What a helper may ask of the tracker while it looks at a packet. */
export interface HelperHost {
  /** nf_ct_expect_related: 0, or a negative errno (-EBUSY, -EALREADY, -EMFILE); `flags` NF_CT_EXP_F_SKIP_MASTER. */
  expectRelated(exp: Expectation, flags?: number): number;
  /** nf_ct_remove_expect: removes a live expectation (true), or finds it gone already (false). */
  removeExpectation(exp: Expectation): boolean;
  /**
   * __nf_ct_expect_find: the newest live expectation (inactive ones too) in
   * `zone` under whose tuple and mask the tuple falls, or null.
   */
  findExpectation(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number, zone: number): Expectation | null;
  /** mod_timer_pending on an expectation's timer: it expires `seconds` from now if still live (true). */
  refreshExpectation(exp: Expectation, seconds: number): boolean;
  /** nf_ct_unexpect_related: takes an expectation back (a NAT helper that could not rewrite the packet). */
  unexpectRelated(exp: Expectation): void;
  /** The NAT core, or null when the rule set has no nat table (then no entry is ever NATed). */
  readonly nat: NatHost | null;
  /** nf_ct_refresh: the entry expires `seconds` from now (from its confirmation when unconfirmed). */
  refreshTimeout(conn: Conn, seconds: number): void;
  /**
   * nf_conntrack_broadcast_help's test: for a packet from a local socket
   * routed as a broadcast, the netmask of the output interface's primary
   * IPv4 address whose broadcast address is the packet's destination; 0
   * otherwise.
   */
  localBroadcastMask(skb: Skb): number;
  /** nf_ct_expect_find_get: the pending expectation in `zoneOf`'s zone whose tuple and mask cover `t`, or null. */
  expectFind(t: Tuple, zoneOf: Conn): Expectation | null;
  /** nf_conntrack_find_get: the live entry holding `t` in either direction in `zoneOf`'s zone, or null. */
  lookup(t: Tuple, zoneOf: Conn): Conn | null;
  /** nf_ct_kill: removes an entry from the table now. */
  kill(conn: Conn): void;
  /**
   * nf_ct_gre_keymap_add: the GRE keymap entries of `master` (the source key
   * a GRE version 1 packet of each tuple's addresses and destination key gets
   * in its tuple); true when added, or when the same two are there already.
   */
  greKeymapAdd(master: Conn, orig: Tuple, repl: Tuple): boolean;
  /** nf_ct_gre_keymap_destroy: removes `master`'s keymap entries. */
  greKeymapDestroy(master: Conn): void;
  /** nf_ct_remove_expectations: removes all of `conn`'s pending expectations. */
  removeExpectations(conn: Conn): void;
  /**
   * __nf_ct_expect_find for a master's own expectation: the live
   * expectation of `conn` (in its zone) whose tuple and mask take a
   * connection of protocol `proto` from address 0 and port 0 to `dst` and
   * `dport`, or null.
   */
  findOwnExpectation(conn: Conn, proto: number, dst: InetAddr, dport: number): Expectation | null;
  /** set_expect_timeout: a pending expectation now expires `seconds` from now. */
  setExpectTimeout(exp: Expectation, seconds: number): void;
  /**
   * The H.323 helper's callforward_do_filter: do routes to `a` and to `b`
   * both exist and leave by the same device to the same next hop?
   */
  sameRoute(a: InetAddr, b: InetAddr): boolean;
  /**
   * sip_external_media's test: does the route to `addr` (nf_ip_route,
   * nf_ip6_route) leave by the device the packet's own route does
   * (skb_dst(skb)->dev: its output device, lo for one delivered locally)?
   */
  sameDevice(skb: Skb, addr: InetAddr): boolean;
  /** The helper modules' parameters (the machine file's `modules:`, the kernel's defaults otherwise). */
  readonly params: ModuleParams;
}

/** struct nf_conntrack_helper: one emulated helper. */
export interface Helper {
  readonly name: string;
  /** Its transport protocol (the CT rule's `-p` must name it). */
  readonly proto: number;
  /** The policy of expectation class 0 (and of every class, without `policies`). */
  readonly policy: ExpectPolicy;
  /** One policy per expectation class (expect_policy[class], e.g. sip's signalling, audio, video, image). */
  readonly policies?: readonly ExpectPolicy[];
  /** The policy when module parameters set it (irc's max_dcc_channels and dcc_timeout, netbios-ns's and snmp's timeout). */
  policyWith?(params: ModuleParams): ExpectPolicy;
  /** Fresh per-entry state (nf_ct_helper_ext_add's data). */
  init(): unknown;
  /**
   * helper->help: NF_ACCEPT, or NF_DROP (with `reason` set, nf_ct_helper_log's text).
   * `thoff` is the transport header's offset in `skb.data`.
   */
  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number;
  /** helper->destroy: called when the entry is deleted from the table (nf_ct_delete; pptp's only). */
  destroy?(host: HelperHost, conn: Conn): void;
}

/**
 * A NAT hook that rewrites text a helper found in a payload and sets up the
 * expectation it announces (nf_nat_amanda_hook, nf_nat_irc_hook): given the
 * text at `matchoff` (from the transport payload's start) and its length;
 * NF_ACCEPT or NF_DROP.
 */
export type PayloadNatHook = (
  host: HelperHost,
  skb: Skb,
  conn: Conn,
  ctinfo: number,
  protoff: number,
  matchoff: number,
  matchlen: number,
  exp: Expectation,
) => number;

/** The text nf_ct_helper_log gives for the last NF_DROP a helper returned. */
export const helperLog = { reason: '' };

/** NF_CT_EXPECT_PERMANENT and friends (only listed: ftp and tftp set none). */
export const NF_CT_EXPECT_PERMANENT = 1;
export const NF_CT_EXPECT_INACTIVE = 2;
export const NF_CT_EXPECT_USERSPACE = 4;

/** struct nf_conntrack_expect. */
export class Expectation {
  /** The jiffy at which it expires (set when inserted). */
  timeout = 0;
  flags = 0;
  /** Removed (used, evicted, expired, or its master gone). */
  dead = false;
  /** exp->expectfn: run on the entry that matches it (nf_nat_follow_master), or null. */
  expectfn: ExpectFn | null = null;
  /** exp->saved_proto: the port the expected connection is really for (a NAT helper may expect another). */
  savedProto = 0;
  /** exp->saved_addr: the address the expected connection is really for (nf_nat_sip's, nf_nat_h323's call forwarding), or null when never set. */
  savedAddr: InetAddr | null = null;
  /** exp->dir: the direction of the master the expected connection goes in (IP_CT_DIR_*). */
  dir = 0;
  /** exp->helper: the helper a connection that matches it gets (sip's signalling), or null for none. */
  helper: Helper | null = null;
  constructor(
    readonly master: Conn,
    readonly cls: number,
    readonly proto: number,
    /** Source address, or null for any (nf_ct_expect_init with no saddr). */
    readonly src: InetAddr | null,
    /** Destination address (nf_nat_sip's and nf_nat_h323's call forwarding hooks change it to the translated one before inserting). */
    public dst: InetAddr,
    /** Source port (GRE: source key), or -1 for any. */
    readonly sport: number,
    /** Destination port (GRE: destination key; a NAT helper's port search changes it before inserting: nf_nat_exp_find_port). */
    public dport: number,
    /** The source address's mask when not all of it counts (nf_conntrack_broadcast's netmask); null for all of it. */
    readonly srcMask: InetAddr | null = null,
  ) {}

  /** Does `a` fall under this expectation's source address and mask? */
  private srcMatches(a: InetAddr): boolean {
    const s = this.src!;
    if (this.srcMask === null) return s.equals(a);
    const m = this.srcMask;
    return (
      s.family === a.family && ((s.w0 ^ a.w0) & m.w0) === 0 && ((s.w1 ^ a.w1) & m.w1) === 0 && ((s.w2 ^ a.w2) & m.w2) === 0 && ((s.w3 ^ a.w3) & m.w3) === 0
    );
  }

  private sameMask(o: Expectation): boolean {
    return this.srcMask === null ? o.srcMask === null : o.srcMask !== null && this.srcMask.equals(o.srcMask);
  }

  get family(): Family {
    return this.dst.family;
  }

  /** nf_ct_tuple_mask_cmp: does a new entry's original tuple fall under this expectation? */
  matches(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number): boolean {
    return (
      this.dport === dport &&
      this.proto === proto &&
      this.dst.equals(dst) &&
      (this.sport < 0 || this.sport === sport) &&
      (this.src === null ? this.dst.family === src.family : this.srcMatches(src))
    );
  }

  /** expect_matches: the same tuple and mask, in the same zone. */
  sameAs(o: Expectation): boolean {
    return (
      this.proto === o.proto &&
      this.dport === o.dport &&
      this.sport === o.sport &&
      this.dst.equals(o.dst) &&
      (this.src === null ? o.src === null : o.src !== null && this.src.equals(o.src)) &&
      this.sameMask(o) &&
      this.master.zone === o.master.zone
    );
  }

  /** expect_clash: the two could match one tuple (their masks intersected), in the same zone. */
  clashes(o: Expectation): boolean {
    return (
      this.proto === o.proto &&
      this.dport === o.dport &&
      this.dst.equals(o.dst) &&
      (this.sport < 0 || o.sport < 0 || this.sport === o.sport) &&
      (this.src === null || o.src === null || (this.srcMask === null && o.srcMask === null ? this.src.equals(o.src) : this.srcMatches(o.src))) &&
      this.master.zone === o.master.zone
    );
  }
}

/** Helpers cofw emulates, by name and protocol (`sip/17`): one name may have a helper per protocol, as sip has. */
const EMULATED = new Map<string, Helper>();

const key = (name: string, proto: number): string => `${name}/${proto}`;

/**
 * Index of each emulated helper in a template (TEMPLATE_HELPER_SHIFT): the
 * CT target writes it, conntrack reads it when it makes an entry.
 */
export const HELPER_TABLE: Array<Helper | null> = [null];

/** Registers an emulated helper (each helper module calls this once). */
export function registerHelper(h: Helper): void {
  EMULATED.set(key(h.name, h.proto), h);
  HELPER_TABLE.push(h);
}

const find = (name: string, proto?: number): Helper | undefined =>
  proto === undefined ? [...EMULATED.values()].find((x) => x.name === name) : EMULATED.get(key(name, proto));

/**
 * The emulated helper's template index (for a CT rule's protocol, or the
 * helper's only one), or 0. A helper a `ports` module parameter names
 * after its port or place (`ftp-2121`, `sip-1`) is its module's helper
 * under that name (made on first use).
 */
export function helperIndex(name: string, proto?: number): number {
  let h = find(name, proto);
  const m = /^(ftp|tftp|irc|sip|sane)-\d{1,5}$/.exec(name);
  if (!h && m) {
    for (const base of [...EMULATED.values()].filter((x) => x.name === m[1])) registerHelper({ ...base, name });
    h = find(name, proto);
  }
  return h ? HELPER_TABLE.indexOf(h) : 0;
}

/** The helper of a template (`Skb.ctZone`), or null. */
export function templateHelper(index: number): Helper | null {
  return HELPER_TABLE[index] ?? null;
}

const BOTH = [Family.V4, Family.V6];
const V4 = [Family.V4];

/**
 * The helpers the reference kernel registers (nf_conntrack_helper_try_module_get
 * by name, family and protocol), as `CT --helper` finds them: the name is
 * case-sensitive. Measured: `-p tcp -j CT --helper irc` loads in iptables
 * and fails in ip6tables ("No such helper").
 */
export const KERNEL_HELPERS: ReadonlyArray<{ name: string; proto: number; families: readonly Family[] }> = [
  { name: 'ftp', proto: 6, families: BOTH },
  { name: 'tftp', proto: 17, families: BOTH },
  { name: 'irc', proto: 6, families: V4 },
  { name: 'sip', proto: 17, families: BOTH },
  { name: 'sip', proto: 6, families: BOTH },
  { name: 'amanda', proto: 17, families: BOTH },
  { name: 'netbios-ns', proto: 17, families: V4 },
  { name: 'snmp', proto: 17, families: V4 },
  { name: 'snmp_trap', proto: 17, families: V4 },
  { name: 'sane', proto: 6, families: BOTH },
  { name: 'pptp', proto: 6, families: V4 },
  { name: 'RAS', proto: 17, families: BOTH },
  { name: 'Q.931', proto: 6, families: BOTH },
  { name: 'H.245', proto: 17, families: BOTH },
];

/**
 * xt_ct_set_helper's look-up under the machine's module parameters
 * (`ports` renames helpers: module-params.ts): 'ok' (cofw emulates it), 'absent' (the kernel
 * has no such helper for that family and protocol: "No such helper"), or
 * 'unemulated' (the kernel has it, cofw does not).
 */
export function lookupHelper(name: string, family: Family, proto: number, modules?: ModuleSettings): 'ok' | 'absent' | 'unemulated' {
  const base = helperBaseName(name, modules);
  if (base === undefined || !KERNEL_HELPERS.some((k) => k.name === base && k.proto === proto && k.families.includes(family))) return 'absent';
  return EMULATED.has(key(base, proto)) ? 'ok' : 'unemulated';
}

/** Names of the emulated helpers, for messages and the README. */
export function emulatedHelperNames(): string[] {
  return [...new Set([...EMULATED.values()].map((h) => h.name))];
}

/** For a helper's NF_DROP: records nf_ct_helper_log's text and returns 0 (NF_DROP). */
export function helperDrop(h: Helper, text: string): number {
  helperLog.reason = `nf_ct_${h.name}: dropping packet: ${text}`;
  return 0;
}

export { NF_ACCEPT };
