/**
 * Boot parameters (MONITOR -> LINUX): the boot time, the rule file's name,
 * the machine spec (devices, routes, conntrack settings) and the frames to
 * trace.
 *
 * Payload: u64 bootTs, str16 rule file name, machine spec.
 *
 * Addresses (interface addresses, broadcasts, route destinations and
 * gateways) are of either family, each written as `inet`: u8 family
 * (NFPROTO_IPV4 2 or NFPROTO_IPV6 10), then the address's 4 or 16 bytes in
 * network order. A device is `str8 name, u16 index, i8 unit, 6 bytes mac,
 * u32 mtu, u8 flags (bit 0 gro, 1 bridge, 2 bridge port, 3 has group, 4
 * has a CPU, 5 has transmit queues), [u32 group], u8 count of addresses, addresses...`. An interface address is `inet addr, u8 prefix, u8 has
 * broadcast, [inet broadcast]`; a route is `inet dst, u8 prefix, u8 flags
 * (bit 0 has via, bit 1 has table, bits 2-4 type: 0 unicast, 1 blackhole,
 * 2 unreachable, 3 prohibit, 4 throw, bit 5 has realms), [inet via], str8
 * dev, [u32 table], [u32 realms]`.
 *
 * The firewall's own sockets and the NFQUEUE queues a program answers
 * follow, when the machine has any (a message without them, as older
 * monitors wrote it, boots a machine with neither): u16 count of sockets,
 * each `u16 proto (0xffff any), u8 has port, [u16 port], u32 uid, u32 gid,
 * u16 count, u32 groups...`; u16 count of queues, each `u16 num, u8
 * verdict (0 drop, 1 accept)`. The guest's /etc/hosts lines of the
 * machine file's `hosts:` follow them when there are any: u16 count of
 * names, each `str8 name, u16 count, inet addresses...`. The policy
 * routing rules follow (the hosts' count written, 0 when none): u16 count,
 * each `u8 family, u32 priority, u16 flags (bit 0 not, 1 from, 2 to, 3
 * fwmark, 4 iif, 5 oif, 6 ipproto, 7 sport, 8 dport, 9 suppress, 10 realms), u8
 * action (0 table, 1 blackhole, 2 unreachable, 3 prohibit, 4 nop), u32
 * table, [inet from, u8 prefix], [inet to, u8 prefix], [u32 mark, u32
 * mask], [str8 iif], [str8 oif], [u8 ipproto], [u16 lo, u16 hi] (sport),
 * [u16 lo, u16 hi] (dport), [u8 suppress_prefixlength], [u32 realms]`. Then, when the
 * machine file sets any sysctl, u8 accept_local, u8 net.ipv4.fwmark_reflect,
 * u8 net.ipv6.fwmark_reflect, u8 net.netfilter.nf_conntrack_acct (each 0, 1, or 0xff when the file leaves it
 * out; the rules' count written first, 0 when none). Then, when the
 * machine sets any conntrack sysctl beyond `conntrack:`'s three or any
 * helper module parameter (everything before written, sysctls 0xff when
 * unset): u16 count of net.netfilter sysctls, each `str8 name (without
 * net.netfilter.), u32 value`; u16 count of module parameters, each `str8
 * module, str8 parameter, u8 is a list, u8 count, u32 values...`; u8 has
 * a CPU, [u16 the machine's CPU]; then, when the machine declares timeout
 * policies (`cttimeout:`) or loads passive OS fingerprints (`osf:`), u8
 * count of policies (0 when none), each `str8 name, u8 family (2 inet, 10
 * inet6), str8 protocol (nfct's name), u8 count of states, each `str8
 * state, u32 seconds``; then, with fingerprints, u16 count, each `u8
 * window mode (OSF_WSS_*), u32 window value, u8 ttl, u8 df, u16 size, u8
 * count of option kinds, u8 kinds..., str8 genre, str8 version, str8
 * subtype` (the count 0 when accounting objects follow); then, with
 * accounting objects (`nfacct:`), u16 count, each `str8 name, u8 flags
 * (bit 0 has a quota, bit 1 the quota counts packets), [u64 quota], u64
 * starting packets, u64 starting bytes`. A device with a CPU of its own (flags bit 4) has it as a u16
 * after its master, then its transmit queues (flags bit 5, `txqueues:`
 * other than 1) as a u16.
 */
import { Family, familyBits, InetAddr } from '../../packet/inet-addr.js';
import type { BridgeConfig, IfAddress, NetDevice } from '../../netfilter/types.js';
import {
  NF_SYSCTLS,
  NF_SYSCTLS_EXTRA,
  type FailPolicy,
  type MachineSpec,
  type MutableConntrack,
  type NfacctSpec,
  type QueueSpec,
  type RouteKind,
  type RouteSpec,
  type RuleAction,
  type RuleSpec,
  type SocketSpec,
  type Sysctls,
} from '../spec.js';
import { moduleParamError, type ModuleSettings } from '../../netfilter/conntrack/module-params.js';
import {
  CTTIMEOUT_PROTOCOLS,
  MAX_TIMEOUT_POLICIES,
  TIMEOUT_NAME_MAX,
  TIMEOUT_SECONDS_MAX,
  type TimeoutPolicy,
} from '../../netfilter/conntrack/timeout-policy.js';
import { OSF_OPTION_KINDS, OsfWss, type OsfFinger } from '../../netfilter/matches/osf-fingers.js';
import { NFACCT_NAME_MAX } from '../../netfilter/nfacct.js';

const ROUTE_KINDS: readonly RouteKind[] = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'];
const RULE_ACTIONS: readonly RuleAction[] = ['table', 'blackhole', 'unreachable', 'prohibit', 'nop'];
/** The sysctls, in the order the boot parameters carry them. */
const SYSCTL_FIELDS: ReadonlyArray<keyof Sysctls> = ['acceptLocal', 'fwmarkReflect4', 'fwmarkReflect6', 'conntrackAcct'];
import { ByteReader, ByteWriter } from './bytes.js';
import { PassageError } from './page.js';

export interface BootMsg {
  readonly bootTsNs: bigint;
  readonly rulesFile: string;
  readonly spec: MachineSpec;
  /** Frame number ranges [first, last] to trace (the kernel's TRACE, as a boot parameter). */
  readonly trace?: ReadonlyArray<readonly [number, number]>;
  /** The ip6tables rule file's name, when one is attached (on cobd1). */
  readonly rules6File?: string;
  /** The ipset file's name, when one is attached (on the disk after the rule files): `ipset restore` runs before the rules load. */
  readonly ipsetsFile?: string;
  /**
   * The host keeps no leaving frames (it writes no accepted capture): the
   * fates of packets that got through cross without their frame. Sent as
   * bit 1 of the fail policy byte.
   */
  readonly noLeavingFrames?: boolean;
  /**
   * The host lists no conntrack table (it writes none): at shutdown the
   * guest sends only the lines that may show an address translation
   * (ConntrackTranslated). Sent as bit 2 of the fail policy byte.
   */
  readonly noConntrackList?: boolean;
}
function writeInet(w: ByteWriter, a: InetAddr): void {
  w.u8(a.family).bytes(a.bytes());
}

function readInet(r: ByteReader, what: string): InetAddr {
  const family = r.u8();
  if (family === Family.V4) return new InetAddr().readV4(r.bytes(4), 0);
  if (family === Family.V6) return new InetAddr().readV6(r.bytes(16), 0);
  throw new PassageError(`boot parameters: ${what} of address family ${family} (accepted: 2 IPv4, 10 IPv6)`);
}

function writeRule(w: ByteWriter, r: RuleSpec): void {
  const flags =
    (r.not ? 1 : 0) |
    (r.from ? 2 : 0) |
    (r.to ? 4 : 0) |
    (r.fwmark ? 8 : 0) |
    (r.iif !== undefined ? 16 : 0) |
    (r.oif !== undefined ? 32 : 0) |
    (r.ipproto !== undefined ? 64 : 0) |
    (r.sport ? 128 : 0) |
    (r.dport ? 256 : 0) |
    (r.suppressPrefixlength !== undefined ? 512 : 0) |
    (r.realm ? 1024 : 0);
  w.u8(r.family)
    .u32(r.priority)
    .u16(flags)
    .u8(RULE_ACTIONS.indexOf(r.action))
    .u32(r.table ?? 0);
  if (r.from) {
    writeInet(w, r.from.addr);
    w.u8(r.from.prefix);
  }
  if (r.to) {
    writeInet(w, r.to.addr);
    w.u8(r.to.prefix);
  }
  if (r.fwmark) w.u32(r.fwmark.mark).u32(r.fwmark.mask);
  if (r.iif !== undefined) w.str(r.iif, 1);
  if (r.oif !== undefined) w.str(r.oif, 1);
  if (r.ipproto !== undefined) w.u8(r.ipproto);
  if (r.sport) w.u16(r.sport[0]).u16(r.sport[1]);
  if (r.dport) w.u16(r.dport[0]).u16(r.dport[1]);
  if (r.suppressPrefixlength !== undefined) w.u8(r.suppressPrefixlength);
  if (r.realm) w.u32(r.realm);
}

function readRule(t: ByteReader): RuleSpec {
  const family = t.u8();
  if (family !== Family.V4 && family !== Family.V6) throw new PassageError(`boot parameters: a rule of address family ${family}`);
  const priority = t.u32();
  const flags = t.u16();
  const action = RULE_ACTIONS[t.u8()];
  if (action === undefined || flags >= 2048) throw new PassageError(`boot parameters: a rule's action or flags (${flags})`);
  const table = t.u32();
  const prefix = (what: string): { addr: InetAddr; prefix: number } => {
    const addr = readInet(t, what);
    const p = t.u8();
    if (addr.family !== family || p > familyBits(family)) throw new PassageError(`boot parameters: a rule's ${what} ${addr.toString()}/${p}`);
    return { addr, prefix: p };
  };
  const from = flags & 2 ? prefix('source') : undefined;
  const to = flags & 4 ? prefix('destination') : undefined;
  const fwmark = flags & 8 ? { mark: t.u32(), mask: t.u32() } : undefined;
  const iif = flags & 16 ? t.str(1) : undefined;
  const oif = flags & 32 ? t.str(1) : undefined;
  const ipproto = flags & 64 ? t.u8() : undefined;
  const sport = flags & 128 ? ([t.u16(), t.u16()] as const) : undefined;
  const dport = flags & 256 ? ([t.u16(), t.u16()] as const) : undefined;
  const suppress = flags & 512 ? t.u8() : undefined;
  const realm = flags & 1024 ? t.u32() : 0;
  if (flags & 1024 && (realm === 0 || family !== Family.V4)) throw new PassageError(`boot parameters: a rule's realms ${realm}`);
  return {
    family,
    priority,
    ...(flags & 1 ? { not: true } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(fwmark ? { fwmark } : {}),
    ...(iif !== undefined ? { iif } : {}),
    ...(oif !== undefined ? { oif } : {}),
    ...(ipproto !== undefined ? { ipproto } : {}),
    ...(sport ? { sport } : {}),
    ...(dport ? { dport } : {}),
    action,
    ...(action === 'table' ? { table } : {}),
    ...(suppress !== undefined ? { suppressPrefixlength: suppress } : {}),
    ...(realm ? { realm } : {}),
  };
}

export function encodeBoot(b: BootMsg): Uint8Array {
  const w = new ByteWriter()
    .u64(b.bootTsNs)
    .str(b.rulesFile, 2)
    .str(b.spec.hostname, 2)
    .u8((b.spec.failPolicy === 'open' ? 1 : 0) | (b.noLeavingFrames ? 2 : 0) | (b.noConntrackList ? 4 : 0));
  w.u8(b.spec.devices.length);
  for (const d of b.spec.devices) {
    w.str(d.name, 1)
      .u16(d.index)
      .u8(d.unit & 0xff)
      .bytes(d.mac.subarray(0, 6))
      .u32(d.mtu)
      .u8(
        (d.gro ? 1 : 0) |
          (d.bridge ? 2 : 0) |
          (d.master !== undefined ? 4 : 0) |
          (d.group ? 8 : 0) |
          (d.cpu !== undefined ? 16 : 0) |
          (d.txQueues !== undefined ? 32 : 0),
      );
    if (d.group) w.u32(d.group);
    w.u8(d.addrs.length);
    for (const a of d.addrs) {
      writeInet(w, a.addr);
      w.u8(a.prefix).u8(a.broadcast ? 1 : 0);
      if (a.broadcast) writeInet(w, a.broadcast);
    }
    // A bridge: its br_netfilter flags and ports; a port: its bridge. (A port's `from:` is the host's alone.)
    if (d.bridge) {
      const b = d.bridge;
      w.u8((b.callIptables ? 1 : 0) | (b.callIp6tables ? 2 : 0) | (b.filterVlanTagged ? 4 : 0)).u8(b.ports.length);
      for (const p of b.ports) w.str(p, 1);
    }
    if (d.master !== undefined) w.str(d.master, 1);
    if (d.cpu !== undefined) w.u16(d.cpu);
    if (d.txQueues !== undefined) w.u16(d.txQueues);
  }
  w.u16(b.spec.routes.length);
  for (const r of b.spec.routes) {
    writeInet(w, r.dst);
    w.u8(r.prefix).u8((r.via !== undefined ? 1 : 0) | (r.table !== undefined ? 2 : 0) | (ROUTE_KINDS.indexOf(r.type ?? 'unicast') << 2) | (r.realm ? 32 : 0));
    if (r.via !== undefined) writeInet(w, r.via);
    w.str(r.dev, 1);
    if (r.table !== undefined) w.u32(r.table);
    if (r.realm) w.u32(r.realm);
  }
  const trace = b.trace ?? [];
  w.u16(trace.length);
  for (const [lo, hi] of trace) w.u32(lo).u32(hi);
  // Conntrack settings: u8 present, u32 max (0 = default), u8 loose (2 = default), u8 liberal (2 = default).
  const ct = b.spec.conntrack;
  w.u8(ct ? 1 : 0);
  if (ct)
    w.u32(ct.max ?? 0)
      .u8(ct.tcpLoose === undefined ? 2 : ct.tcpLoose ? 1 : 0)
      .u8(ct.tcpBeLiberal === undefined ? 2 : ct.tcpBeLiberal ? 1 : 0);
  // The ip6tables rule file's name ('' when none).
  w.str(b.rules6File ?? '', 2);
  // The ipset file's name ('' when none).
  w.str(b.ipsetsFile ?? '', 2);
  const sockets = b.spec.sockets ?? [];
  const queues = b.spec.queues ?? [];
  const hosts = Object.entries(b.spec.hosts ?? {});
  const rules = b.spec.rules ?? [];
  const sy = b.spec.sysctl;
  const nf = ct ? NF_SYSCTLS_EXTRA.filter((s) => s.get(ct) !== undefined) : [];
  const modules = Object.entries(b.spec.modules ?? {}).flatMap(([m, ps]) => Object.entries(ps).map(([p, v]) => [m, p, v] as const));
  const policies = b.spec.cttimeout ?? [];
  const osf = b.spec.osf ?? [];
  const nfacct = b.spec.nfacct ?? [];
  const more = nf.length > 0 || modules.length > 0 || b.spec.cpu !== undefined || policies.length > 0 || osf.length > 0 || nfacct.length > 0;
  const sysctl = (sy && SYSCTL_FIELDS.some((f) => sy[f] !== undefined)) || more ? (sy ?? {}) : undefined;
  if (sockets.length || queues.length || hosts.length || rules.length || sysctl !== undefined) {
    w.u16(sockets.length);
    for (const s of sockets) {
      w.u16(s.proto < 0 ? 0xffff : s.proto).u8(s.port !== undefined ? 1 : 0);
      if (s.port !== undefined) w.u16(s.port);
      w.u32(s.uid)
        .u32(s.gid)
        .u16(s.groups?.length ?? 0);
      for (const g of s.groups ?? []) w.u32(g);
      // Its cgroup (bit 0) and net_cls class id (bit 1), when given.
      w.u8((s.cgroup !== undefined ? 1 : 0) | (s.classid !== undefined ? 2 : 0));
      if (s.cgroup !== undefined) w.str(s.cgroup, 2);
      if (s.classid !== undefined) w.u32(s.classid);
    }
    w.u16(queues.length);
    for (const q of queues) w.u16(q.num).u8(q.verdict === 'accept' ? 1 : 0);
    if (hosts.length || rules.length || sysctl !== undefined) {
      w.u16(hosts.length);
      for (const [name, addrs] of hosts) {
        w.str(name, 1).u16(addrs.length);
        for (const a of addrs) writeInet(w, a);
      }
    }
    if (rules.length || sysctl !== undefined) {
      w.u16(rules.length);
      for (const r of rules) writeRule(w, r);
    }
    // The sysctls: u8 each (0, 1, 0xff unset).
    if (sysctl !== undefined) for (const f of SYSCTL_FIELDS) w.u8(sysctl[f] === undefined ? 0xff : sysctl[f] ? 1 : 0);
    if (more) {
      w.u16(nf.length);
      for (const s of nf) w.str(s.name, 1).u32(s.get(ct!)!);
      w.u16(modules.length);
      for (const [m, p, v] of modules) {
        const list = typeof v === 'number' ? [v] : v;
        w.str(m, 1)
          .str(p, 1)
          .u8(typeof v === 'number' ? 0 : 1)
          .u8(list.length);
        for (const x of list) w.u32(x);
      }
      // The machine's CPU: u8 has one, [u16 cpu].
      w.u8(b.spec.cpu !== undefined ? 1 : 0);
      if (b.spec.cpu !== undefined) w.u16(b.spec.cpu);
      if (policies.length || osf.length || nfacct.length) {
        w.u8(policies.length);
        for (const p of policies) {
          const states = Object.entries(p.timeouts);
          w.str(p.name, 1)
            .u8(p.family === Family.V6 ? 10 : 2)
            .str(p.protocol, 1)
            .u8(states.length);
          for (const [s, v] of states) w.str(s, 1).u32(v);
        }
      }
      // The passive OS fingerprints nfnl_osf loaded: u16 count, each window mode and value, TTL, DF, size, option kinds and names.
      if (osf.length || nfacct.length) {
        w.u16(osf.length);
        for (const f of osf) {
          w.u8(f.wssWc).u32(f.wssVal).u8(f.ttl).u8(f.df).u16(f.ss).u8(f.opts.length);
          for (const k of f.opts) w.u8(k);
          w.str(f.genre, 1).str(f.version, 1).str(f.subtype, 1);
        }
      }
      if (nfacct.length) {
        w.u16(nfacct.length);
        for (const o of nfacct) {
          w.str(o.name, 1).u8((o.quota ? 1 : 0) | (o.quota?.mode === 'packets' ? 2 : 0));
          if (o.quota) w.u64(o.quota.value);
          w.u64(o.packets ?? 0n).u64(o.bytes ?? 0n);
        }
      }
    }
  }
  return w.done();
}
export function decodeBoot(b: Uint8Array): BootMsg {
  const r = new ByteReader(b, 'boot parameters');
  const bootTsNs = r.u64();
  const rulesFile = r.str(2);
  const hostname = r.str(2);
  const policyByte = r.u8();
  if (policyByte > 7) throw new PassageError(`boot parameters: fail policy byte ${policyByte}`);
  const failPolicy: FailPolicy = policyByte & 1 ? 'open' : 'closed';
  const devices: NetDevice[] = [];
  for (let n = r.u8(), i = 0; i < n; i++) {
    const name = r.str(1);
    const index = r.u16();
    const unit = r.i8();
    const mac = r.bytes(6).slice();
    const mtu = r.u32();
    const flags = r.u8();
    const gro = (flags & 1) === 1;
    if (flags > 63) throw new PassageError(`boot parameters: device flags ${flags} for ${name}`);
    const addrs: IfAddress[] = [];
    const group = flags & 8 ? r.u32() : 0;
    for (let k = r.u8(), j = 0; j < k; j++) {
      const addr = readInet(r, `an address on ${name}`);
      const prefix = r.u8();
      if (prefix > familyBits(addr.family)) throw new PassageError(`boot parameters: prefix /${prefix} on ${name} for ${addr.toString()}`);
      if (r.u8()) {
        const broadcast = readInet(r, `the broadcast on ${name}`);
        if (broadcast.family !== addr.family) throw new PassageError(`boot parameters: broadcast ${broadcast.toString()} for ${addr.toString()} on ${name}`);
        addrs.push({ addr, prefix, broadcast });
      } else addrs.push({ addr, prefix });
    }
    let bridge: BridgeConfig | undefined;
    if (flags & 2) {
      const f = r.u8();
      const ports: string[] = [];
      for (let k = r.u8(), j = 0; j < k; j++) ports.push(r.str(1));
      bridge = { ports, callIptables: (f & 1) !== 0, callIp6tables: (f & 2) !== 0, filterVlanTagged: (f & 4) !== 0 };
    }
    const master = flags & 4 ? r.str(1) : undefined;
    const cpu = flags & 16 ? r.u16() : undefined;
    const txQueues = flags & 32 ? r.u16() : undefined;
    devices.push({
      name,
      index,
      unit,
      mac,
      mtu,
      addrs,
      ...(gro ? { gro } : {}),
      ...(bridge ? { bridge } : {}),
      ...(master !== undefined ? { master } : {}),
      ...(group ? { group } : {}),
      ...(cpu !== undefined ? { cpu } : {}),
      ...(txQueues !== undefined ? { txQueues } : {}),
    });
  }
  const routes: RouteSpec[] = [];
  for (let n = r.u16(), i = 0; i < n; i++) {
    const dst = readInet(r, 'a route destination');
    const prefix = r.u8();
    const flags = r.u8();
    const kind = ROUTE_KINDS[(flags >> 2) & 7];
    if (kind === undefined || flags >= 64) throw new PassageError(`boot parameters: route flags ${flags} for ${dst.toString()}/${prefix}`);
    const via = flags & 1 ? readInet(r, 'a route gateway') : undefined;
    const dev = r.str(1);
    const table = flags & 2 ? r.u32() : undefined;
    const realm = flags & 32 ? r.u32() : 0;
    if (flags & 32 && (realm === 0 || dst.family !== Family.V4))
      throw new PassageError(`boot parameters: route realms ${realm} for ${dst.toString()}/${prefix}`);
    if (prefix > familyBits(dst.family)) throw new PassageError(`boot parameters: route prefix /${prefix} for ${dst.toString()}`);
    if (via && via.family !== dst.family)
      throw new PassageError(`boot parameters: route to ${dst.toString()}/${prefix} via ${via.toString()}: families differ`);
    const extra = { ...(table !== undefined ? { table } : {}), ...(kind !== 'unicast' ? { type: kind } : {}), ...(realm ? { realm } : {}) };
    routes.push(via ? { dst, prefix, via, dev, ...extra } : { dst, prefix, dev, ...extra });
  }
  const trace: Array<[number, number]> = [];
  for (let n = r.u16(), i = 0; i < n; i++) {
    const lo = r.u32();
    const hi = r.u32();
    if (hi < lo) throw new PassageError(`boot parameters: trace range ${lo}-${hi}`);
    trace.push([lo, hi]);
  }
  let conntrack: MutableConntrack | undefined;
  let modules: ModuleSettings | undefined;
  let cpu: number | undefined;
  let cttimeout: TimeoutPolicy[] | undefined;
  if (r.u8()) {
    const max = r.u32();
    const loose = r.u8();
    const liberal = r.u8();
    if (loose > 2 || liberal > 2) throw new PassageError(`boot parameters: conntrack flags ${loose}/${liberal}`);
    conntrack = {};
    if (max) conntrack.max = max;
    if (loose !== 2) conntrack.tcpLoose = loose === 1;
    if (liberal !== 2) conntrack.tcpBeLiberal = liberal === 1;
  }
  const rules6File = r.str(2);
  const ipsetsFile = r.str(2);
  const sockets: SocketSpec[] = [];
  const queues: QueueSpec[] = [];
  const hosts: Record<string, InetAddr[]> = {};
  const rules: RuleSpec[] = [];
  const sysctl: { -readonly [K in keyof Sysctls]: Sysctls[K] } = {};
  const osf: OsfFinger[] = [];
  const nfacct: NfacctSpec[] = [];
  const tail = r.rest();
  if (tail.length) {
    const t = new ByteReader(tail, 'boot parameters (sockets and queues)');
    for (let n = t.u16(), i = 0; i < n; i++) {
      const p = t.u16();
      if (p > 255 && p !== 0xffff) throw new PassageError(`boot parameters: socket protocol ${p}`);
      const port = t.u8() ? t.u16() : undefined;
      const uid = t.u32();
      const gid = t.u32();
      const groups: number[] = [];
      for (let k = t.u16(), j = 0; j < k; j++) groups.push(t.u32());
      const has = t.u8();
      if (has > 3) throw new PassageError(`boot parameters: socket flags ${has}`);
      const cgroup = has & 1 ? t.str(2) : undefined;
      const classid = has & 2 ? t.u32() : undefined;
      sockets.push({
        proto: p === 0xffff ? -1 : p,
        ...(port !== undefined ? { port } : {}),
        uid,
        gid,
        ...(groups.length ? { groups } : {}),
        ...(cgroup !== undefined ? { cgroup } : {}),
        ...(classid !== undefined ? { classid } : {}),
      });
    }
    for (let n = t.u16(), i = 0; i < n; i++) {
      const num = t.u16();
      const v = t.u8();
      if (v > 1) throw new PassageError(`boot parameters: queue ${num} verdict ${v}`);
      queues.push({ num, verdict: v === 1 ? 'accept' : 'drop' });
    }
    if (t.pos < tail.length) {
      for (let n = t.u16(), i = 0; i < n; i++) {
        const name = t.str(1);
        const addrs: InetAddr[] = [];
        for (let k = t.u16(), j = 0; j < k; j++) addrs.push(readInet(t, `an address of host ${name}`));
        (hosts[name] ??= []).push(...addrs);
      }
    }
    if (t.pos < tail.length) for (let n = t.u16(), i = 0; i < n; i++) rules.push(readRule(t));
    if (t.pos < tail.length) {
      for (const f of SYSCTL_FIELDS) {
        const v = t.u8();
        if (v > 1 && v !== 0xff) throw new PassageError(`boot parameters: sysctl ${f} ${v}`);
        if (v !== 0xff) sysctl[f] = v === 1;
      }
    }
    if (t.pos < tail.length) {
      const c: MutableConntrack = { ...conntrack };
      const nfCount = t.u16();
      for (let n = nfCount, i = 0; i < n; i++) {
        const name = t.str(1);
        const v = t.u32();
        const s = NF_SYSCTLS.find((x) => x.name === name);
        if (!s || v < s.min || v > s.max) throw new PassageError(`boot parameters: sysctl net.netfilter.${name} ${v}`);
        s.set(c, v);
      }
      if (nfCount) conntrack = c;
      const set: Record<string, Record<string, number | readonly number[]>> = {};
      for (let n = t.u16(), i = 0; i < n; i++) {
        const m = t.str(1);
        const p = t.str(1);
        const list = t.u8();
        const vs: number[] = [];
        for (let k = t.u8(), j = 0; j < k; j++) vs.push(t.u32());
        const v = list ? vs : vs[0];
        const err = list > 1 || (!list && vs.length !== 1) ? 'malformed' : moduleParamError(m, p, v, set);
        if (err) throw new PassageError(`boot parameters: module parameter ${m} ${p}: ${err}`);
        (set[m] ??= {})[p] = v!;
      }
      if (Object.keys(set).length) modules = set;
      if (t.u8()) cpu = t.u16();
      if (t.pos < tail.length) {
        const policies = readPolicies(t);
        if (policies.length) cttimeout = policies;
      }
      if (t.pos < tail.length) {
        for (let n = t.u16(), i = 0; i < n; i++) {
          const wssWc = t.u8();
          const wssVal = t.u32();
          const ttl = t.u8();
          const df = t.u8();
          const ss = t.u16();
          const opts: number[] = [];
          for (let k = t.u8(), j = 0; j < k; j++) opts.push(t.u8());
          const genre = t.str(1);
          const version = t.str(1);
          const subtype = t.str(1);
          if (wssWc > OsfWss.Modulo || (wssWc === OsfWss.Modulo && wssVal === 0) || opts.length > 40 || opts.some((k) => !OSF_OPTION_KINDS.includes(k)))
            throw new PassageError(`boot parameters: OS fingerprint ${genre} [${version}:${subtype}] malformed`);
          osf.push({ wssWc, wssVal, ttl, df, ss, opts, genre, version, subtype });
        }
      }
      if (t.pos < tail.length) {
        for (let n = t.u16(), i = 0; i < n; i++) {
          const name = t.str(1);
          const flags = t.u8();
          const bytes = new TextEncoder().encode(name).length;
          if (flags > 3 || flags === 2 || bytes === 0 || bytes >= NFACCT_NAME_MAX || nfacct.some((o) => o.name === name))
            throw new PassageError(`boot parameters: accounting object ${JSON.stringify(name)} (flags ${flags})`);
          const quota = flags & 1 ? { mode: flags & 2 ? ('packets' as const) : ('bytes' as const), value: t.u64() } : undefined;
          const packets = t.u64();
          const bytesCount = t.u64();
          nfacct.push({ name, ...(quota ? { quota } : {}), ...(packets ? { packets } : {}), ...(bytesCount ? { bytes: bytesCount } : {}) });
        }
      }
    }
    t.end();
  }
  r.end();
  const spec: MachineSpec = {
    hostname,
    devices,
    routes,
    ...(rules.length ? { rules } : {}),
    ...(Object.keys(sysctl).length ? { sysctl } : {}),
    failPolicy,
    ...(conntrack ? { conntrack } : {}),
    ...(modules ? { modules } : {}),
    ...(cttimeout ? { cttimeout } : {}),
    ...(cpu !== undefined ? { cpu } : {}),
    ...(osf.length ? { osf } : {}),
    ...(sockets.length ? { sockets } : {}),
    ...(queues.length ? { queues } : {}),
    ...(Object.keys(hosts).length ? { hosts } : {}),
    ...(nfacct.length ? { nfacct } : {}),
  };
  return {
    bootTsNs,
    rulesFile,
    spec,
    trace,
    ...(rules6File ? { rules6File } : {}),
    ...(ipsetsFile ? { ipsetsFile } : {}),
    ...(policyByte & 2 ? { noLeavingFrames: true } : {}),
    ...(policyByte & 4 ? { noConntrackList: true } : {}),
  };
}

/** The timeout policies of the boot parameters, checked as the machine file checks them. */
function readPolicies(t: ByteReader): TimeoutPolicy[] {
  const out: TimeoutPolicy[] = [];
  // 0 only when accounting objects follow (the caller checks that they do).
  const n = t.u8();
  // 0: none, written when fingerprints follow.
  if (n > MAX_TIMEOUT_POLICIES) throw new PassageError(`boot parameters: ${n} timeout policies`);
  for (let i = 0; i < n; i++) {
    const name = t.str(1);
    const fam = t.u8();
    const protocol = t.str(1);
    const states = CTTIMEOUT_PROTOCOLS[protocol]?.states;
    if (name.length === 0 || Buffer.byteLength(name) > TIMEOUT_NAME_MAX || out.some((p) => p.name === name))
      throw new PassageError(`boot parameters: timeout policy name "${name}"`);
    if ((fam !== 2 && fam !== 10) || !states) throw new PassageError(`boot parameters: timeout policy ${name}: family ${fam}, protocol ${protocol}`);
    const timeouts: Record<string, number> = {};
    const k = t.u8();
    if (k === 0) throw new PassageError(`boot parameters: timeout policy ${name} sets no state`);
    for (let j = 0; j < k; j++) {
      const s = t.str(1);
      const v = t.u32();
      if (!states.includes(s) || v > TIMEOUT_SECONDS_MAX) throw new PassageError(`boot parameters: timeout policy ${name}: ${s} ${v}`);
      timeouts[s] = v;
    }
    out.push({ name, family: fam === 10 ? Family.V6 : Family.V4, protocol, timeouts });
  }
  return out;
}
