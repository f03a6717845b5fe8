/**
 * The guest machine's shape, as the machine file (YAML) describes it and the
 * guest kernel boots it: devices, routes, fail policy. Addresses and routes
 * are of either family (InetAddr).
 */
import type { Family, InetAddr } from '../packet/inet-addr.js';
import type { NetDevice } from '../netfilter/types.js';
import type { ConntrackTimeout, TCP_TIMEOUTS_S } from '../netfilter/conntrack/index.js';
import type { ModuleSettings } from '../netfilter/conntrack/module-params.js';
import type { TimeoutPolicy } from '../netfilter/conntrack/timeout-policy.js';
import { osfLists, type OsfFinger, type OsfFingers } from '../netfilter/matches/osf-fingers.js';
import type { NfacctSpec } from '../netfilter/nfacct.js';

export type { NfacctSpec };

export type FailPolicy = 'closed' | 'open';

/**
 * A route of either family: its family is `dst`'s (`via`, when there is
 * one, is of the same family). The default routes are 0.0.0.0/0 and ::/0.
 */
export interface RouteSpec {
  /** Destination network (host bits clear) and prefix length. */
  readonly dst: InetAddr;
  readonly prefix: number;
  /** Gateway, when the route is not on-link. */
  readonly via?: InetAddr;
  /** Output device name (`lo` for the routes that send nothing: blackhole, unreachable, prohibit, throw). */
  readonly dev: string;
  /**
   * The routing table (`ip route add ... table N`): 1 to 2^32-1; 255 is
   * local, 254 main (the default when absent), 253 default.
   */
  readonly table?: number;
  /** The route's type (`ip route add TYPE ...`): unicast when absent. */
  readonly type?: RouteKind;
  /**
   * IPv4: the route's realms (`ip route add ... realm N` / `realms FROM/TO`),
   * the kernel's nh_tclassid: FROM << 16 | TO; absent or 0 when none.
   */
  readonly realm?: number;
}

/** Route types a machine file may give (rtnetlink's RTN_*): unicast, and the ones that send nothing. */
export type RouteKind = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/** The kernel's table numbers (/etc/iproute2/rt_tables). */
export const RT_TABLE_LOCAL = 255;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_DEFAULT = 253;

/** What a policy rule does when it matches (FR_ACT_*): look up a table, or end the lookup with an error. */
export type RuleAction = 'table' | 'blackhole' | 'unreachable' | 'prohibit' | 'nop';

/**
 * A policy routing rule (`ip rule add ...`, `ip -6 rule add ...`) of one
 * family. Every selector present must match (`not` inverts the whole
 * rule, as FIB_RULE_INVERT does); rules are tried by priority, then in
 * the order they were added.
 */
export interface RuleSpec {
  readonly family: Family;
  /** 0 to 2^32-1; the machine file's value, or the one the kernel would have chosen (see machine-file.ts). */
  readonly priority: number;
  readonly not?: boolean;
  /** `from PREFIX`: the flow's source address. */
  readonly from?: { readonly addr: InetAddr; readonly prefix: number };
  /** `to PREFIX`: the flow's destination address. */
  readonly to?: { readonly addr: InetAddr; readonly prefix: number };
  /** `fwmark MARK[/MASK]`: (flow mark ^ mark) & mask == 0; the mask is 0xffffffff when absent. */
  readonly fwmark?: { readonly mark: number; readonly mask: number };
  /** `iif NAME`: the flow's input interface (lo for locally generated packets). */
  readonly iif?: string;
  /** `oif NAME`: the flow's output interface (a socket bound to a device; never set for forwarded packets). */
  readonly oif?: string;
  /** `ipproto N`. */
  readonly ipproto?: number;
  /** `sport A[-B]`, `dport A[-B]`. */
  readonly sport?: readonly [number, number];
  readonly dport?: readonly [number, number];
  readonly action: RuleAction;
  /** The table looked up when `action` is `table`. */
  readonly table?: number;
  /** `suppress_prefixlength N`: a route found with a prefix of N bits or fewer is ignored (the next rule is tried). */
  readonly suppressPrefixlength?: number;
  /** IPv4: `realms FROM/TO` (FRA_FLOW, the rule's tclassid: FROM << 16 | TO); absent or 0 when none. */
  readonly realm?: number;
}

/** The sysctls a machine file may set (the kernel's defaults when absent). */
export interface Sysctls {
  /**
   * net.ipv4.conf.all.accept_local: accept packets from outside whose
   * source is one of the machine's own addresses (default false: the
   * kernel drops them at routing, IP_LOCAL_SOURCE).
   */
  readonly acceptLocal?: boolean;
  /**
   * net.ipv4.fwmark_reflect: the replies the machine itself makes to an
   * IPv4 packet (REJECT's reset or ICMP error, the stack's ICMP errors)
   * carry that packet's mark (IP4_REPLY_MARK; default false: mark 0).
   */
  readonly fwmarkReflect4?: boolean;
  /** net.ipv6.fwmark_reflect: the same for IPv6 (IP6_REPLY_MARK). */
  readonly fwmarkReflect6?: boolean;
  /**
   * net.netfilter.nf_conntrack_acct: connection tracking entries count their
   * packets and bytes, which `conntrack -L` then lists (default false; a
   * `-m connbytes` rule turns it on, as its checkentry does).
   */
  readonly conntrackAcct?: boolean;
}

/** Connection tracking settings (the kernel's nf_conntrack sysctls). */
export interface ConntrackSettings {
  /** nf_conntrack_max: entries before early drop (default 262144). */
  readonly max?: number;
  /** nf_conntrack_tcp_loose: pick up connections mid-stream (default true). */
  readonly tcpLoose?: boolean;
  /** nf_conntrack_tcp_be_liberal: accept out-of-window segments (default false). */
  readonly tcpBeLiberal?: boolean;
  /** nf_conntrack_checksum: verify TCP, UDP and ICMP checksums in PREROUTING (default true). */
  readonly checksum?: boolean;
  /** nf_conntrack_tcp_max_retrans (default 3). */
  readonly tcpMaxRetrans?: number;
  /** nf_conntrack_tcp_ignore_invalid_rst (default false). */
  readonly tcpIgnoreInvalidRst?: boolean;
  /** nf_conntrack_tcp_timeout_* in seconds (the kernel's defaults for those absent). */
  readonly tcpTimeouts?: Partial<Record<keyof typeof TCP_TIMEOUTS_S, number>>;
  /** nf_conntrack_udp_timeout, _udp_timeout_stream, _icmp_timeout, _icmpv6_timeout, _generic_timeout in seconds. */
  readonly timeouts?: Partial<Record<ConntrackTimeout, number>>;
}

/** The longest conntrack timeout a sysctl takes (proc_dointvec_jiffies: INT_MAX jiffies at HZ=250), in seconds. */
const MAX_TIMEOUT = Math.floor(0x7fffffff / 250);

export type MutableConntrack = { -readonly [K in keyof ConntrackSettings]: ConntrackSettings[K] };

/**
 * The net.netfilter.nf_conntrack_* sysctls a machine file may set (per
 * network namespace on the kernel), each with its range and where it goes
 * in ConntrackSettings. Timeouts are in seconds.
 */
export const NF_SYSCTLS: ReadonlyArray<{
  name: string;
  min: number;
  max: number;
  set: (c: MutableConntrack, v: number) => void;
  get: (c: ConntrackSettings) => number | undefined;
}> = [
  { name: 'nf_conntrack_max', min: 1, max: 0x7fffffff, set: (c, v) => (c.max = v), get: (c) => c.max },
  { name: 'nf_conntrack_tcp_loose', min: 0, max: 1, set: (c, v) => (c.tcpLoose = v === 1), get: (c) => flag(c.tcpLoose) },
  { name: 'nf_conntrack_tcp_be_liberal', min: 0, max: 1, set: (c, v) => (c.tcpBeLiberal = v === 1), get: (c) => flag(c.tcpBeLiberal) },
  { name: 'nf_conntrack_checksum', min: 0, max: 1, set: (c, v) => (c.checksum = v === 1), get: (c) => flag(c.checksum) },
  { name: 'nf_conntrack_tcp_max_retrans', min: 0, max: 255, set: (c, v) => (c.tcpMaxRetrans = v), get: (c) => c.tcpMaxRetrans },
  {
    name: 'nf_conntrack_tcp_ignore_invalid_rst',
    min: 0,
    max: 1,
    set: (c, v) => (c.tcpIgnoreInvalidRst = v === 1),
    get: (c) => flag(c.tcpIgnoreInvalidRst),
  },
  ...(
    [
      ['syn_sent', 'synSent'],
      ['syn_recv', 'synRecv'],
      ['established', 'established'],
      ['fin_wait', 'finWait'],
      ['close_wait', 'closeWait'],
      ['last_ack', 'lastAck'],
      ['time_wait', 'timeWait'],
      ['close', 'close'],
      ['max_retrans', 'maxRetrans'],
      ['unacknowledged', 'unacknowledged'],
    ] as const
  ).map(([n, f]) => ({
    name: `nf_conntrack_tcp_timeout_${n}`,
    min: 0,
    max: MAX_TIMEOUT,
    set: (c: MutableConntrack, v: number) => (c.tcpTimeouts = { ...c.tcpTimeouts, [f]: v }),
    get: (c: ConntrackSettings) => c.tcpTimeouts?.[f],
  })),
  ...(
    [
      ['udp_timeout', 'udpUnreplied'],
      ['udp_timeout_stream', 'udpReplied'],
      ['icmp_timeout', 'icmp'],
      ['icmpv6_timeout', 'icmpv6'],
      ['generic_timeout', 'generic'],
    ] as const
  ).map(([n, f]) => ({
    name: `nf_conntrack_${n}`,
    min: 0,
    max: MAX_TIMEOUT,
    set: (c: MutableConntrack, v: number) => (c.timeouts = { ...c.timeouts, [f]: v }),
    get: (c: ConntrackSettings) => c.timeouts?.[f],
  })),
];

/** Those `conntrack:` has no key of its own for (all but nf_conntrack_max, _tcp_loose and _tcp_be_liberal). */
export const NF_SYSCTLS_EXTRA = NF_SYSCTLS.filter((s) => !['nf_conntrack_max', 'nf_conntrack_tcp_loose', 'nf_conntrack_tcp_be_liberal'].includes(s.name));

function flag(b: boolean | undefined): number | undefined {
  return b === undefined ? undefined : b ? 1 : 0;
}

/**
 * One of the firewall's own sockets (machine file `sockets:`): the locally
 * generated packets it sends are owned by `uid` and `gid`, as the owner
 * match sees them.
 */
export interface SocketSpec {
  /** IP protocol number (6 tcp, 17 udp, ...), or -1 for every protocol (`proto: any`). */
  readonly proto: number;
  /** The local (source) port, for TCP, UDP, UDP-Lite, SCTP and DCCP; absent: every packet of the protocol. */
  readonly port?: number;
  /** The owning file's fsuid and fsgid (0 to 4294967294). */
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups (what `-m owner --gid-owner G --suppl-groups` also looks at). */
  readonly groups?: readonly number[];
  /** The cgroup (v2) of the process that made the socket, as `/a/b` (`-m cgroup --path`); the root `/` when absent. */
  readonly cgroup?: string;
  /** The net_cls class id of its cgroup (`-m cgroup --cgroup`); 0 when absent. */
  readonly classid?: number;
}

/** What a program attached to an NFQUEUE queue answers (machine file `queues:`). */
export type QueueVerdict = 'accept' | 'drop';

/** A queue with a program attached that answers every packet with `verdict`. */
export interface QueueSpec {
  /** Queue number, 0 to 65535. */
  readonly num: number;
  readonly verdict: QueueVerdict;
}

export interface MachineSpec {
  readonly hostname: string;
  /** `lo` (index 1) first, then the conet units eth0..N in unit order. */
  readonly devices: readonly NetDevice[];
  /** Explicit routes of both families; connected routes of each address are implied. */
  readonly routes: readonly RouteSpec[];
  readonly failPolicy: FailPolicy;
  /**
   * Policy routing rules of both families (machine file `rules:`), besides
   * the kernel's own (0 lookup local, 32766 lookup main and, IPv4 only,
   * 32767 lookup default); none when absent.
   */
  readonly rules?: readonly RuleSpec[];
  /**
   * The guest's sysctls that cofw models (machine file `sysctl:`); the
   * kernel's defaults when absent.
   */
  readonly sysctl?: Sysctls;
  /** Connection tracking settings; the kernel's defaults when absent. */
  readonly conntrack?: ConntrackSettings;
  /**
   * The CPU that processes the machine's own packets, and those an
   * interface without a `cpu` of its own receives (machine file `cpu:`); 0
   * when absent.
   */
  readonly cpu?: number;
  /**
   * The conntrack helper modules' parameters (machine file `modules:`,
   * module-params.ts): only those the file sets; the kernel's defaults for
   * the rest.
   */
  readonly modules?: ModuleSettings;
  /**
   * The guest's connection tracking timeout policies (machine file
   * `cttimeout:`), made at boot before the rules load as `nfct add
   * timeout` would; none when absent.
   */
  readonly cttimeout?: readonly TimeoutPolicy[];
  /** The firewall's own sockets (owner match); none when absent: its packets have no socket. */
  readonly sockets?: readonly SocketSpec[];
  /** NFQUEUE queues with a program attached; none when absent: nothing listens on any queue. */
  readonly queues?: readonly QueueSpec[];
  /**
   * The guest's /etc/hosts beyond Debian's default lines (machine file
   * `hosts:`): each name's addresses, of either family, in order. Host
   * names in `-s` and `-d` are resolved from them (rules/hosts.ts).
   */
  readonly hosts?: Readonly<Record<string, readonly InetAddr[]>>;
  /**
   * The ipset file (`ipset save` format) the guest restores before its
   * rules (machine file `ipsets:`, a path relative to the machine file).
   * Read by the host; the guest gets the file on a block device.
   */
  readonly ipsets?: string;
  /**
   * The passive OS fingerprints `nfnl_osf -f FILE` loaded (machine file
   * `osf:`, a pf.os-format file relative to the machine file, or its lines
   * inline), in the kernel's order, for `-m osf`; none when absent.
   */
  readonly osf?: readonly OsfFinger[];
  /**
   * The guest's extended accounting objects (machine file `nfacct:`), made
   * in this order before the rules load (`nfacct add`), for `-m nfacct`;
   * none when absent.
   */
  readonly nfacct?: readonly NfacctSpec[];
}

/**
 * What the rule loader needs to know of the machine (LoadOptions): its
 * bridge ports (`-m physdev`) and the cgroup2 paths that exist on it
 * (`-m cgroup --path`: the root and the cgroups of its `sockets:`, with
 * their ancestors).
 */
export interface MachineFacts {
  readonly bridgePorts?: readonly string[];
  readonly cgroups?: readonly string[];
  /** The helper modules' parameters (`modules:`), for `CT --helper`. */
  readonly modules?: ModuleSettings;
  /** The timeout policies (`cttimeout:`), for `CT --timeout`. */
  readonly cttimeout?: readonly TimeoutPolicy[];
  /** The passive OS fingerprints (`osf:`), for `-m osf`. */
  readonly osf?: OsfFingers;
  /** The accounting objects (`nfacct:`), for `-m nfacct`. */
  readonly nfacct?: readonly NfacctSpec[];
}

/** The MachineFacts of a machine file's spec. */
export function machineFacts(spec: Pick<MachineSpec, 'devices' | 'sockets' | 'modules' | 'cttimeout' | 'osf' | 'nfacct'>): MachineFacts {
  const ports = bridgePorts(spec);
  const cgroups = new Set<string>(['/']);
  for (const s of spec.sockets ?? []) {
    if (s.cgroup === undefined) continue;
    const parts = s.cgroup.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) cgroups.add(`/${parts.slice(0, i).join('/')}`);
  }
  return {
    ...(ports ? { bridgePorts: ports } : {}),
    cgroups: [...cgroups],
    ...(spec.modules ? { modules: spec.modules } : {}),
    ...(spec.cttimeout ? { cttimeout: spec.cttimeout } : {}),
    ...(spec.osf?.length ? { osf: osfLists(spec.osf) } : {}),
    ...(spec.nfacct?.length ? { nfacct: spec.nfacct } : {}),
  };
}

/** The bridge ports of a machine (every bridge's), or undefined when it declares no bridge. */
export function bridgePorts(spec: Pick<MachineSpec, 'devices'>): string[] | undefined {
  const ports: string[] = [];
  for (const d of spec.devices) if (d.bridge) ports.push(...d.bridge.ports);
  return ports.length ? ports : undefined;
}
