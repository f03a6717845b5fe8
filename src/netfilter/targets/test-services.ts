/**
 * Test-only: a stub guest that records what targets do (log lines, packets
 * sent), and helpers to turn option text into OptionUse lists.
 */
import { parseIPv4 } from '../../packet/addr.js';
import { Hook, PacketType, RouteType, Skb, type GuestServices, type NetDevice, type XtParams } from '../types.js';
import type { CheckContext, OptionUse, ParseContext, TargetModule } from '../xt.js';
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';

export interface Recorder extends GuestServices {
  readonly lines: Array<[number, string]>;
  readonly sent: Uint8Array[];
}

export function device(name: string, index: number, unit: number, addr?: string, mac = '02:00:00:00:00:01'): NetDevice {
  const a = addr ? parseIPv4(addr)! : 0;
  return {
    name,
    index,
    unit,
    mac: Uint8Array.from(mac.split(':').map((x) => parseInt(x, 16))),
    addrs: addr ? [{ addr: InetAddr.v4(a), prefix: 24, broadcast: InetAddr.v4((a | 0xff) >>> 0) }] : [],
    mtu: unit < 0 ? 65536 : 1500,
  };
}

export const ETH0 = device('veth1', 2, 0, '198.51.100.7');
export const LO = device('lo', 1, -1, '127.0.0.1', '00:00:00:00:00:00');

/**
 * A guest with 198.51.100.7/24 and 2001:db8::7/64 on `veth1` (as in the
 * kernel fixtures), and default routes out of it. `local` and `local6`
 * list the guest's addresses; `source` and `source6` the source it picks.
 */
export function recorder(opts: { local?: string[]; local6?: string[]; noRoute?: boolean; source?: string; source6?: string } = {}): Recorder {
  const local = new Set((opts.local ?? ['198.51.100.7', '127.0.0.1']).map((a) => parseIPv4(a)!));
  const local6 = (opts.local6 ?? ['2001:db8::7', '::1']).map((a) => parseInetAddr(a)!);
  const lines: Array<[number, string]> = [];
  const sent: Uint8Array[] = [];
  return {
    lines,
    sent,
    jiffies: () => 0,
    nowNs: () => 0,
    wallNs: () => 0n,
    tzMinutesWest: () => 0,
    addrType(addr) {
      if (local.has(addr)) return RouteType.Local;
      if (addr >>> 28 === 0xe) return RouteType.Multicast;
      if (addr === 0xffffffff || addr === parseIPv4('198.51.100.255')) return RouteType.Broadcast;
      return RouteType.Unicast;
    },
    addrType6(addr) {
      if (local6.some((a) => a.equals(addr))) return RouteType.Local;
      if (addr.w0 >>> 24 === 0xff) return RouteType.Multicast;
      return opts.noRoute ? RouteType.Unreachable : RouteType.Unicast;
    },
    printk: (level, text) => void lines.push([level, text]),
    sendLocal: (ip) => void sent.push(ip),
    selectSource: () => parseIPv4(opts.source ?? '198.51.100.7')!,
    routeOutput: () => (opts.noRoute ? null : ETH0),
    route(daddr) {
      const isLocal = daddr.family === Family.V6 ? local6.some((a) => a.equals(daddr)) : local.has(daddr.w0);
      if (isLocal) return { type: RouteType.Local, dev: LO };
      if (daddr.family === Family.V6 ? daddr.w0 >>> 24 === 0xff : daddr.w0 >>> 28 === 0xe) return { type: RouteType.Multicast, dev: null };
      return opts.noRoute ? { type: RouteType.Unreachable, dev: null } : { type: RouteType.Unicast, dev: ETH0 };
    },
    sourceAddress: (_dev, daddr) => parseInetAddr(daddr.family === Family.V6 ? (opts.source6 ?? '2001:db8::7') : (opts.source ?? '198.51.100.7'))!,
    nat: null,
  };
}

export function params(services: GuestServices, hook: Hook, inDev: NetDevice | null, outDev: NetDevice | null): XtParams {
  return { hook, table: 'filter', inDev, outDev, hotdrop: false, services };
}

/** A Skb over an IPv4 packet, optionally with its Ethernet header. */
export function skbOf(ip: Uint8Array, extra: { mac?: Uint8Array; mark?: number; pktType?: PacketType } = {}): Skb {
  const s = new Skb().load(ip);
  s.mac = extra.mac ?? null;
  s.mark = extra.mark ?? 0;
  s.pktType = extra.pktType ?? PacketType.Host;
  return s;
}

export function hex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export { usesOf, words } from '../matches/test-util.js';

export function parseCtx(proto = 0, invProto = false): ParseContext {
  return { family: Family.V4, table: 'filter', chain: 'INPUT', head: { proto, invProto, fragment: false, invFragment: false } };
}

export function checkCtx(proto = 0, invProto = false, hookMask = 1 << Hook.LocalIn): CheckContext {
  return { ...parseCtx(proto, invProto), hookMask };
}
