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

export interface MachineSpec {
  readonly hostname: string;
  /** `lo` (index 1) first, then the conet units eth0..N in unit order. */
  readonly devices: readonly NetDevice[];
  /** Explicit routes of both families; connected routes of each address are implied. */
  readonly routes: readonly RouteSpec[];
  readonly failPolicy: FailPolicy;
  /** Connection tracking settings; the kernel's defaults when absent. */
  readonly conntrack?: ConntrackSettings;
}
