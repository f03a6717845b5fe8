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

export interface MachineSpec {
  readonly hostname: string;
  /** `lo` (index 1) first, then the conet units eth0..N in unit order. */
  readonly devices: readonly NetDevice[];
  /** Explicit routes; connected routes of each address are implied. */
  readonly routes: readonly RouteSpec[];
  readonly failPolicy: FailPolicy;
}
