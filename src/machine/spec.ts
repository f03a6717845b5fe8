/**
 * The guest machine's shape, as the machine file (YAML) describes it and the
 * guest kernel boots it: devices, routes, fail policy. Addresses and routes
 * are of either family (InetAddr).
 */
import type { InetAddr } from '../packet/inet-addr.js';
import type { NetDevice } from '../netfilter/types.js';

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
  /** Output device name. */
  readonly dev: string;
}

/** Connection tracking settings (the kernel's nf_conntrack sysctls). */
export interface ConntrackSettings {
  /** nf_conntrack_max: entries before early drop (default 262144). */
  readonly max?: number;
  /** nf_conntrack_tcp_loose: pick up connections mid-stream (default true). */
  readonly tcpLoose?: boolean;
  /** nf_conntrack_tcp_be_liberal: accept out-of-window segments (default false). */
  readonly tcpBeLiberal?: boolean;
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
  /** Connection tracking settings; the kernel's defaults when absent. */
  readonly conntrack?: ConntrackSettings;
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
}

/** The bridge ports of a machine (every bridge's), or undefined when it declares no bridge. */
export function bridgePorts(spec: Pick<MachineSpec, 'devices'>): string[] | undefined {
  const ports: string[] = [];
  for (const d of spec.devices) if (d.bridge) ports.push(...d.bridge.ports);
  return ports.length ? ports : undefined;
}
