/**
 * The guest machine's shape, as the machine file (YAML) describes it and the
 * guest kernel boots it: devices, routes, fail policy.
 */
import type { NetDevice } from '../netfilter/types.js';

export type FailPolicy = 'closed' | 'open';

export interface RouteSpec {
  /** Destination network and prefix length; default route is 0/0. */
  readonly dst: number;
  readonly prefix: number;
  /** Gateway, when the route is not on-link. */
  readonly via?: number;
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
  /** Explicit routes; connected routes of each address are implied. */
  readonly routes: readonly RouteSpec[];
  readonly failPolicy: FailPolicy;
  /** Connection tracking settings; the kernel's defaults when absent. */
  readonly conntrack?: ConntrackSettings;
}
