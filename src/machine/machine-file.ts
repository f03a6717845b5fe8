/**
 * The machine file (YAML): the guest's interfaces, routes and fail policy.
 *
 * ```yaml
 * hostname: cofw-sample
 * interfaces:
 *   - name: eth0
 *     mac: "02:00:00:00:00:01"
 *     addresses: [198.51.100.1/24, 2001:db8:1::1/64]   # IPv4 and IPv6
 *     mtu: 1500            # optional
 *     gro: true            # optional: TCP frames larger than the MTU are GRO super-packets
 *     group: 0             # optional: the device group (ip link set eth0 group N), for -m devgroup
 *     cpu: 1               # optional: the CPU that processes what it receives (-m cpu)
 *     txqueues: 4          # optional: its transmit queues (real_num_tx_queues), for SET --map-queue; 1 when left out
 * routes:
 *   - to: default          # or a CIDR of either family (::/0 is the IPv6 default)
 *     via: 198.51.100.254  # optional; `default` takes the family of `via` (IPv4 without one)
 *     dev: eth0            # optional when via is on an interface's subnet
 *     table: 100           # optional: a table number or local, main (the default), default
 *     realm: 5             # optional, IPv4: the route's realms (ip route ... realm 5, or "FROM/TO"), for -m realm
 *   - {to: 10.0.0.0/8, type: blackhole}   # or unreachable, prohibit, throw (no via, no dev)
 * rules:                   # optional: policy routing (ip rule), besides 0 local, 32766 main, 32767 default
 *   - {not: true, fwmark: 51820, table: 51820}
 *   - {table: main, suppress_prefixlength: 0}
 *   - {from: 192.0.2.0/24, iif: eth1, priority: 100, action: prohibit}
 *   - {from: 192.0.2.128/25, table: main, realm: "3/4"}   # ip rule ... realms 3/4 (IPv4)
 * fail: closed             # or open
 * cpu: 0                   # optional: the CPU of its own packets and of interfaces without one
 * conntrack:               # optional: nf_conntrack_max, _tcp_loose, _tcp_be_liberal
 *   max: 262144
 * sockets:                 # optional: the firewall's own sockets, for -m owner
 *   - {proto: tcp, port: 8080, uid: 33, gid: 33, groups: [4], cgroup: /system.slice/nginx.service, classid: 0x100001}
 * queues:                  # optional: NFQUEUE queues a program answers
 *   0: accept
 * hosts:                   # optional: the guest's /etc/hosts, for host names in -s and -d
 *   web1: 192.0.2.10
 *   db: [198.51.100.5, 2001:db8::5]
 * ipsets: sets.save        # optional: `ipset save` output restored before the rules (relative to this file)
 * osf: pf.os               # optional: passive OS fingerprints `nfnl_osf -f` loaded, for -m osf (relative to this file)
 * # osf: ["S4:64:1:60:M*,S,T,N,W7:.:Linux:2.6:2.6.x"]   # or the lines themselves
 * nfacct:                  # optional: accounting objects (`nfacct add`), for -m nfacct
 *   - {name: http}
 *   - {name: capped, quota: {bytes: 1000000}}       # or {packets: N}: over it, the rules naming it match
 *   - {name: old, packets: 12, bytes: 3400}         # optional starting counters
 * sysctl:                  # optional: the kernel's defaults otherwise
 *   net.ipv4.conf.all.accept_local: 0
 *   net.ipv4.fwmark_reflect: 0
 *   net.ipv6.fwmark_reflect: 0
 *   net.netfilter.nf_conntrack_acct: 0   # 1: conntrack counts packets and bytes (a connbytes rule turns it on)
 *   net.netfilter.nf_conntrack_udp_timeout: 30   # and the other nf_conntrack_* of NF_SYSCTLS
 * modules:                 # optional: helper module parameters (conntrack/module-params.ts)
 *   nf_conntrack_ftp: {ports: [21, 2121], loose: 1}
 *   nf_conntrack_sip: {sip_direct_media: 0}
 * cttimeout:               # optional: timeout policies for CT --timeout (nfct add timeout NAME FAMILY PROTOCOL STATE SECONDS...)
 *   - {name: short, family: inet, protocol: tcp, established: 100, close: 10}
 *   - {name: dns6, family: inet6, protocol: udp, unreplied: 5, replied: 10}
 * ```
 *
 * `lo` (index 1, 127.0.0.1/8 and ::1/128) is always there; the interfaces
 * become conet units eth0.. in order with indexes 2... Addresses and routes
 * are of either family (InetAddr): text with a colon is IPv6, parsed as
 * inet_pton parses it. Every problem is reported with file, line and column
 * and what is accepted.
 *
 * @example
 * const spec = loadMachineFile('machines/sample.yaml');
 * const spec2 = defaultMachine([parseIPv4('198.51.100.1')!]);
 * const spec3 = defaultMachine([parseInetCidr('2001:db8::1/64')!]);
 */
import { InputTooLargeError, MiB, readInputText, sizeText } from '../io/input-file.js';
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { formatIPv4, formatMac, parseMac, readIPv4 } from '../packet/addr.js';
import { Family, familyBits, familyName, InetAddr, parseInetAddr } from '../packet/inet-addr.js';
import { ETH_P_PPP_SES, PPPOE_SES_HLEN, pppoeSessionEthertype } from '../packet/pppoe.js';
import type { BridgeConfig, IfAddress, NetDevice, PortHosts } from '../netfilter/types.js';
import { MAX_CONET } from './passage/index.js';
import { NF_SYSCTLS, NF_SYSCTLS_EXTRA, RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN, type MutableConntrack } from './spec.js';
import type {
  ConntrackSettings,
  FailPolicy,
  MachineSpec,
  NfacctSpec,
  QueueSpec,
  RouteKind,
  RouteSpec,
  RuleAction,
  RuleSpec,
  SocketSpec,
  Sysctls,
} from './spec.js';
import { parseProtocol, protocolName } from '../netfilter/names.js';
import { NFACCT_NAME_MAX } from '../netfilter/nfacct.js';
import { MODULE_PARAMS, moduleParamError, moduleParamValue, type ModuleSettings } from '../netfilter/conntrack/module-params.js';
import {
  CTTIMEOUT_PROTOCOLS,
  cttimeoutProtocolError,
  MAX_TIMEOUT_POLICIES,
  policyFamilyName,
  TIMEOUT_NAME_MAX,
  TIMEOUT_SECONDS_MAX,
  type TimeoutPolicy,
} from '../netfilter/conntrack/timeout-policy.js';
import { formatOsfFinger, OsfFileError, parseOsfFingerprints, type OsfFinger } from '../netfilter/matches/osf-fingers.js';

/** One or more problems in a machine file, each `file:line:column: message`. */
export class MachineFileError extends Error {
  override readonly name = 'MachineFileError';
  constructor(
    readonly file: string,
    readonly problems: ReadonlyArray<{ line: number; column: number; message: string }>,
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
  }
}

const TOP_KEYS = [
  'hostname',
  'interfaces',
  'bridges',
  'routes',
  'fail',
  'cpu',
  'conntrack',
  'sockets',
  'queues',
  'hosts',
  'ipsets',
  'osf',
  'rules',
  'sysctl',
  'modules',
  'cttimeout',
  'nfacct',
];

/** The sysctls a machine file may set, by their /proc/sys names. */
const SYSCTLS = [
  'net.ipv4.conf.all.accept_local',
  'net.ipv4.fwmark_reflect',
  'net.ipv6.fwmark_reflect',
  'net.netfilter.nf_conntrack_acct',
  ...NF_SYSCTLS.map((s) => `net.netfilter.${s.name}`),
];
/** Each boolean sysctl's name and its field in Sysctls. */
const BOOL_SYSCTLS: ReadonlyArray<readonly [string, keyof Sysctls]> = [
  ['net.ipv4.conf.all.accept_local', 'acceptLocal'],
  ['net.ipv4.fwmark_reflect', 'fwmarkReflect4'],
  ['net.ipv6.fwmark_reflect', 'fwmarkReflect6'],
  ['net.netfilter.nf_conntrack_acct', 'conntrackAcct'],
];
const SOCKET_KEYS = ['proto', 'port', 'uid', 'gid', 'groups', 'cgroup', 'classid'];
/** Protocols whose packets carry a source port in their first two bytes: TCP, UDP, DCCP, SCTP, UDP-Lite. */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
/** The largest user or group id: (uid_t)-1 is no id. */
const MAX_ID = 0xfffffffe;
const IF_KEYS = ['name', 'mac', 'addresses', 'mtu', 'gro', 'group', 'cpu', 'txqueues'];
/** The most transmit queues an interface may have (veth's limit, rtnl_create_link's). */
const MAX_TXQUEUES = 4096;
/** The largest CPU number a machine file takes (NR_CPUS of a large kernel configuration, less one). */
export const MAX_CPU = 8191;
const ROUTE_KEYS = ['to', 'via', 'dev', 'table', 'type', 'realm'];
const RULE_KEYS = [
  'priority',
  'family',
  'not',
  'from',
  'to',
  'fwmark',
  'iif',
  'oif',
  'ipproto',
  'sport',
  'dport',
  'table',
  'action',
  'suppress_prefixlength',
  'realm',
];
const ROUTE_TYPES: readonly RouteKind[] = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'];
const RULE_ACTIONS: readonly RuleAction[] = ['blackhole', 'unreachable', 'prohibit', 'nop'];
/** /etc/iproute2/rt_tables' names. */
const TABLE_NAMES: Readonly<Record<string, number>> = { local: RT_TABLE_LOCAL, main: RT_TABLE_MAIN, default: RT_TABLE_DEFAULT };
const U32_MAX = 0xffffffff;
const BRIDGE_KEYS = ['name', 'mac', 'ports', 'addresses', 'bridge-nf-call-iptables', 'bridge-nf-call-ip6tables', 'bridge-nf-filter-vlan-tagged'];
const PORT_KEYS = ['name', 'from'];
const NFACCT_KEYS = ['name', 'quota', 'packets', 'bytes'];
const U64_MAX = (1n << 64n) - 1n;

/** An interface address (either family; a number is an IPv4 address), with its broadcast computed for IPv4. */
export function ifAddress(addr: InetAddr | number, prefix: number): IfAddress {
  const a = typeof addr === 'number' ? InetAddr.v4(addr) : addr.clone();
  if (a.family !== Family.V4) return { addr: a, prefix };
  const host = prefix <= 0 ? 0xffffffff : prefix >= 32 ? 0 : 0xffffffff >>> prefix;
  return { addr: a, prefix, broadcast: InetAddr.v4(a.w0 | host) };
}

/** `lo`: 127.0.0.1/8 and ::1/128, as the kernel configures it. */
export function loopback(): NetDevice {
  return { name: 'lo', index: 1, unit: -1, mac: new Uint8Array(6), mtu: 65536, addrs: [ifAddress(0x7f000001, 8), ifAddress(InetAddr.v6(0, 0, 0, 1), 128)] };
}

/** `a.b.c.d/n` (or a bare address, taken as /32), the address as a number; undefined when malformed or not IPv4. */
export function parseCidr(text: string): { addr: number; prefix: number } | undefined {
  const c = parseInetCidr(text);
  return c && c.addr.family === Family.V4 ? { addr: c.addr.w0, prefix: c.prefix } : undefined;
}

/**
 * `address/prefix` of either family (`198.51.100.1/24`, `2001:db8::1/64`),
 * or a bare address, taken as a host (/32, /128); undefined when malformed.
 */
export function parseInetCidr(text: string): { addr: InetAddr; prefix: number } | undefined {
  const m = /^([0-9A-Fa-f.:]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const addr = parseInetAddr(m[1]!);
  if (!addr) return undefined;
  const bits = familyBits(addr.family);
  const prefix = m[2] === undefined ? bits : Number(m[2]);
  if (prefix > bits) return undefined;
  return { addr, prefix };
}

/** The network of `addr/prefix`: `addr` with its host bits cleared. */
function networkOf(addr: InetAddr, prefix: number): InetAddr {
  return addr.clone().and(InetAddr.mask(addr.family, prefix));
}

/** Why `a` cannot be an interface address (the kernel's refusals), or undefined. */
function notAnInterfaceAddress(a: InetAddr): string | undefined {
  if (a.family === Family.V4) {
    const w = a.w0;
    if (w >>> 24 === 127 || w >>> 28 >= 0xe || w >>> 24 === 0) return 'loopback, multicast, reserved or 0/8';
    return undefined;
  }
  // As ipv6_add_addr refuses: the unspecified address, multicast, loopback off lo.
  if (a.isZero()) return 'the unspecified address ::';
  if (a.w0 >>> 24 === 0xff) return 'multicast, ff00::/8';
  if (a.equals(InetAddr.v6(0, 0, 0, 1))) return 'loopback ::1, which is on lo';
  return undefined;
}

/** The largest machine file cofw reads (16 MiB): a few interfaces and routes, and hosts: as large as a blocklist /etc/hosts. */
export const MAX_MACHINE_FILE_BYTES = 16 * MiB;

/** Reads and validates a machine file. Throws MachineFileError. */
export function loadMachineFile(path: string): MachineSpec {
  let text: string;
  try {
    text = readInputText(path, MAX_MACHINE_FILE_BYTES);
  } catch (e) {
    if (e instanceof InputTooLargeError) {
      const size = e.size === undefined ? `more than ${sizeText(MAX_MACHINE_FILE_BYTES)}` : sizeText(e.size);
      throw new MachineFileError(path, [
        {
          line: 0,
          column: 0,
          message: `the machine file is ${size}; cofw reads machine files of at most ${sizeText(MAX_MACHINE_FILE_BYTES)}, room for a hosts: list of a few hundred thousand names: check that this is the machine file`,
        },
      ]);
    }
    throw new MachineFileError(path, [{ line: 0, column: 0, message: `cannot read the machine file: ${(e as Error).message}` }]);
  }
  return parseMachineFile(text, path);
}

/** Validates machine file text and builds the MachineSpec. Throws MachineFileError listing every problem. */
export function parseMachineFile(text: string, file: string): MachineSpec {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const problems: Array<{ line: number; column: number; message: string }> = [];
  const at = (node: Node | null | undefined, message: string): void => {
    const off = node?.range?.[0] ?? 0;
    const p = lc.linePos(off);
    problems.push({ line: p.line, column: p.col, message });
  };
  for (const e of doc.errors) {
    const p = e.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push({ line: p.line, column: p.col, message: `not valid YAML: ${e.message.split('\n')[0]}` });
  }
  if (problems.length) throw new MachineFileError(file, problems);
  const root = doc.contents;
  if (!isMap(root)) {
    at(root as Node | null, `a machine file is a mapping with the keys ${TOP_KEYS.join(', ')}`);
    throw new MachineFileError(file, problems);
  }

  const keysOf = (map: YAMLMap, allowed: string[], what: string): Map<string, { pair: Pair; node: Node | null }> => {
    const out = new Map<string, { pair: Pair; node: Node | null }>();
    for (const pair of map.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.includes(k)) {
        at(pair.key as Node, `unknown key \`${k}' in ${what}; accepted: ${allowed.join(', ')}`);
        continue;
      }
      out.set(k, { pair, node: (pair.value as Node | null) ?? null });
    }
    return out;
  };
  const str = (node: Node | null, what: string, accepted: string): string | undefined => {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
    at(node, `${what} must be ${accepted}`);
    return undefined;
  };

  const top = keysOf(root, TOP_KEYS, 'the machine file');
  let hostname = 'cofw';
  const h = top.get('hostname');
  if (h) {
    const v = str(h.node, 'hostname', 'a name such as cofw-edge');
    if (v !== undefined) {
      if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(v))
        at(h.node, `hostname \`${v}' is not a valid host name: letters, digits, dots and dashes, up to 63 characters`);
      else hostname = v;
    }
  }

  let failPolicy: FailPolicy = 'closed';
  const f = top.get('fail');
  if (f) {
    const v = str(f.node, 'fail', '`closed` or `open`');
    if (v !== undefined) {
      if (v === 'closed' || v === 'open') failPolicy = v;
      else at(f.node, `fail policy \`${v}': accepted are \`closed' (drop what the guest cannot handle) and \`open' (pass it)`);
    }
  }

  let conntrack: ConntrackSettings | undefined;
  const ctNode = top.get('conntrack');
  if (ctNode) {
    if (!isMap(ctNode.node)) at(ctNode.node, 'conntrack must be a mapping: max, tcp_loose, tcp_be_liberal');
    else {
      const ck = keysOf(ctNode.node, ['max', 'tcp_loose', 'tcp_be_liberal'], 'conntrack');
      const settings: { max?: number; tcpLoose?: boolean; tcpBeLiberal?: boolean } = {};
      const max = ck.get('max');
      if (max) {
        const v = isScalar(max.node) ? max.node.value : undefined;
        if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0x7fffffff) settings.max = v;
        else at(max.node, 'conntrack max must be a whole number of entries, 1 or more (the kernel default is 262144)');
      }
      for (const [key, field] of [
        ['tcp_loose', 'tcpLoose'],
        ['tcp_be_liberal', 'tcpBeLiberal'],
      ] as const) {
        const e = ck.get(key);
        if (!e) continue;
        const v = isScalar(e.node) ? e.node.value : undefined;
        if (typeof v === 'boolean') settings[field] = v;
        else at(e.node, `conntrack ${key} must be true or false`);
      }
      conntrack = settings;
    }
  }

  const whole = (node: Node | null, min: number, max: number): number | undefined => {
    const v = isScalar(node) ? node.value : undefined;
    return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
  };

  const sockets: SocketSpec[] = [];
  const sk = top.get('sockets');
  if (sk) {
    if (!isSeq(sk.node)) at(sk.node ?? (sk.pair.key as Node), 'sockets must be a list of {proto, port, uid, gid, groups}');
    else {
      const seen = new Set<string>();
      sk.node.items.forEach((item, i) => {
        const node = item as Node;
        if (!isMap(node)) {
          at(node, 'a socket is a mapping with proto, port (optional), uid, gid and groups (optional), such as {proto: tcp, port: 8080, uid: 33, gid: 33}');
          return;
        }
        const k = keysOf(node, SOCKET_KEYS, `socket ${i + 1}`);
        let proto: number | undefined;
        const pr = k.get('proto');
        if (!pr) at(node, `socket ${i + 1} has no \`proto' (tcp, udp, sctp, dccp, udplite, icmp, ipv6-icmp, a protocol number, or any)`);
        else {
          const v = str(pr.node, '`proto`', 'a protocol such as tcp, udp or icmp, a number, or any');
          if (v !== undefined) {
            const n = v === 'any' ? -1 : parseProtocol(v);
            if (n === undefined || n === 0)
              at(
                pr.node,
                `socket protocol \`${v}': accepted are a protocol name such as tcp, udp, sctp, icmp or ipv6-icmp, a number from 1 to 255, and any (every protocol)`,
              );
            else proto = n;
          }
        }
        let port: number | undefined;
        const po = k.get('port');
        if (po) {
          port = whole(po.node, 1, 65535);
          if (port === undefined) at(po.node, 'a socket port must be a whole number from 1 to 65535 (the local port its packets leave from)');
          else if (proto !== undefined && !PORT_PROTOCOLS.has(proto)) {
            at(
              po.node,
              `${proto < 0 ? 'any' : protocolName(proto)} has no ports: a port belongs to tcp, udp, sctp, dccp or udplite (leave it out to own every packet of the protocol)`,
            );
            port = undefined;
          }
        }
        const ids: Record<'uid' | 'gid', number | undefined> = { uid: undefined, gid: undefined };
        for (const key of ['uid', 'gid'] as const) {
          const e = k.get(key);
          if (!e) at(node, `socket ${i + 1} has no \`${key}' (the owning ${key === 'uid' ? 'user' : 'group'}'s number, such as 33 for www-data)`);
          else {
            ids[key] = whole(e.node, 0, MAX_ID);
            if (ids[key] === undefined) at(e.node, `a socket's ${key} must be a whole number from 0 to ${MAX_ID}`);
          }
        }
        const groups: number[] = [];
        const gr = k.get('groups');
        if (gr) {
          if (!isSeq(gr.node)) at(gr.node ?? (gr.pair.key as Node), 'groups must be a list of group numbers such as [4, 27]');
          else
            for (const g of gr.node.items) {
              const n = whole(g as Node, 0, MAX_ID);
              if (n === undefined) at(g as Node, `a supplementary group must be a whole number from 0 to ${MAX_ID}`);
              else groups.push(n);
            }
        }
        let cgroup: string | undefined;
        const cg = k.get('cgroup');
        if (cg) {
          const v = str(cg.node, '`cgroup`', 'a cgroup v2 path such as /system.slice/nginx.service');
          if (v !== undefined) {
            const parts = v.split('/').filter(Boolean);
            if (!v.startsWith('/') || parts.some((p) => p === '.' || p === '..') || Buffer.byteLength(v) > 4095)
              at(cg.node, `socket cgroup \`${v}': give the cgroup v2 path from the hierarchy's root, such as /system.slice/nginx.service`);
            else cgroup = `/${parts.join('/')}`;
          }
        }
        let classid: number | undefined;
        const ci = k.get('classid');
        if (ci) {
          classid = whole(ci.node, 0, 0xffffffff);
          if (classid === undefined) at(ci.node, 'a socket classid must be a whole number from 0 to 4294967295 (net_cls.classid, such as 0x100001 for 10:1)');
        }
        if (proto === undefined || ids.uid === undefined || ids.gid === undefined) return;
        const key = `${proto}/${port ?? ''}`;
        if (seen.has(key)) {
          at(
            node,
            `a socket for ${proto < 0 ? 'any protocol' : protocolName(proto)}${port !== undefined ? ` port ${port}` : ''} is already listed: each packet has one owner`,
          );
          return;
        }
        seen.add(key);
        sockets.push({
          proto,
          ...(port !== undefined ? { port } : {}),
          uid: ids.uid,
          gid: ids.gid,
          ...(groups.length ? { groups } : {}),
          ...(cgroup !== undefined ? { cgroup } : {}),
          ...(classid !== undefined ? { classid } : {}),
        });
      });
    }
  }

  const queues: QueueSpec[] = [];
  const qu = top.get('queues');
  if (qu) {
    if (!isMap(qu.node)) at(qu.node ?? (qu.pair.key as Node), 'queues must be a mapping of queue numbers to verdicts, such as {0: accept, 1: drop}');
    else {
      for (const pair of qu.node.items) {
        const kn = pair.key as Node;
        const num = whole(kn, 0, 65535);
        if (num === undefined) {
          at(kn, 'a queue number must be a whole number from 0 to 65535 (NFQUEUE --queue-num)');
          continue;
        }
        const vn = (pair.value as Node | null) ?? null;
        const v = isScalar(vn) ? String(vn.value) : '';
        if (v !== 'accept' && v !== 'drop')
          at(vn ?? kn, `queue ${num}'s verdict \`${v}': accepted are accept and drop (what the program listening on the queue answers for every packet)`);
        else if (queues.some((q) => q.num === num)) at(kn, `queue ${num} is listed twice`);
        else queues.push({ num, verdict: v });
      }
    }
  }

  const devices: NetDevice[] = [loopback()];
  const ifs = top.get('interfaces');
  if (!ifs) at(root, 'the machine needs `interfaces:`, a list of interfaces with name, mac and addresses');
  else if (!isSeq(ifs.node) || ifs.node.items.length === 0)
    at(ifs.node ?? (ifs.pair.key as Node), '`interfaces` must be a non-empty list of interfaces (name, mac, addresses, mtu)');
  else if (ifs.node.items.length > MAX_CONET) at(ifs.node, `${ifs.node.items.length} interfaces: the machine has ${MAX_CONET} conet units at most`);
  else {
    const names = new Set<string>();
    const macs = new Set<string>();
    ifs.node.items.forEach((item, i) => {
      const node = item as Node;
      if (!isMap(node)) {
        at(node, 'an interface is a mapping with name, mac, addresses and (optionally) mtu');
        return;
      }
      const k = keysOf(node, IF_KEYS, `interface ${i + 1}`);
      let name = `eth${i}`;
      const n = k.get('name');
      if (!n) at(node, `interface ${i + 1} has no \`name' (such as eth${i})`);
      else {
        const v = str(n.node, 'the interface name', 'a name such as eth0');
        if (v !== undefined) {
          if (v === 'lo') at(n.node, '`lo` is implicit (127.0.0.1/8); name the interfaces eth0, eth1, ...');
          else if (!/^[^\s/:]{1,15}$/.test(v)) at(n.node, `interface name \`${v}' is not valid: 1 to 15 characters without spaces, \`/' or \`:'`);
          else if (names.has(v)) at(n.node, `interface name \`${v}' is used twice`);
          else name = v;
          names.add(v);
        }
      }
      let mac: Uint8Array = Uint8Array.from([2, 0, 0, 0, i, 1]);
      const m = k.get('mac');
      if (m) {
        const v = isScalar(m.node) && typeof m.node.value === 'string' ? m.node.value : undefined;
        const parsed = v !== undefined ? parseMac(v) : undefined;
        if (!parsed) at(m.node, `mac must be six hex bytes such as "02:00:00:00:00:01" (quote it)`);
        else if (parsed[0]! & 1) at(m.node, `mac ${v} is a multicast address; an interface needs a unicast one (first byte even)`);
        else {
          if (macs.has(formatMac(parsed))) at(m.node, `mac ${v} is used by another interface`);
          macs.add(formatMac(parsed));
          mac = parsed;
        }
      }
      let mtu = 1500;
      const mt = k.get('mtu');
      if (mt) {
        const v = isScalar(mt.node) ? mt.node.value : undefined;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 68 || v > 65535)
          at(mt.node, 'mtu must be a whole number from 68 to 65535 (1500 when left out)');
        else mtu = v;
      }
      let gro = false;
      const g = k.get('gro');
      if (g) {
        const v = isScalar(g.node) ? g.node.value : undefined;
        if (typeof v !== 'boolean') at(g.node ?? (g.pair.key as Node), 'gro must be true or false (false when left out)');
        else gro = v;
      }
      // ip link set DEV group N: a number, or a name of /etc/iproute2/group (Debian's has `default`, 0).
      let group = 0;
      const gp = k.get('group');
      if (gp) {
        const v = isScalar(gp.node) ? gp.node.value : undefined;
        if (v === 'default') group = 0;
        else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > U32_MAX)
          at(gp.node ?? (gp.pair.key as Node), `group must be a device group number from 0 to ${U32_MAX} or \`default' (0, the kernel's, when left out)`);
        else group = v;
      }
      let cpu: number | undefined;
      const cp = k.get('cpu');
      if (cp) {
        cpu = whole(cp.node, 0, MAX_CPU);
        if (cpu === undefined)
          at(cp.node ?? (cp.pair.key as Node), `an interface's cpu must be a CPU number from 0 to ${MAX_CPU} (the CPU that processes what it receives)`);
      }
      let txQueues: number | undefined;
      const tq = k.get('txqueues');
      if (tq) {
        txQueues = whole(tq.node, 1, MAX_TXQUEUES);
        if (txQueues === undefined)
          at(
            tq.node ?? (tq.pair.key as Node),
            `txqueues must be a whole number from 1 to ${MAX_TXQUEUES} (the interface's transmit queues, \`ip link add ... numtxqueues N'; 1 when left out)`,
          );
      }
      const addrs: IfAddress[] = [];
      const a = k.get('addresses');
      if (a) {
        if (!isSeq(a.node)) at(a.node ?? (a.pair.key as Node), 'addresses must be a list such as [198.51.100.1/24]');
        else {
          for (const it of a.node.items) {
            const v = isScalar(it) ? String(it.value) : '';
            const c = parseInetCidr(v);
            const refused = c ? notAnInterfaceAddress(c.addr) : undefined;
            if (!c || !/\//.test(v))
              at(it as Node, `address \`${v}' must be an IPv4 or IPv6 address with its prefix length, such as 198.51.100.1/24 or 2001:db8::1/64`);
            else if (refused) at(it as Node, `address ${v} cannot be an interface address (${refused})`);
            else addrs.push(ifAddress(c.addr, c.prefix));
          }
        }
      }
      devices.push({
        name,
        index: devices.length + 1,
        unit: i,
        mac,
        mtu,
        addrs,
        ...(gro ? { gro } : {}),
        ...(group ? { group } : {}),
        ...(cpu !== undefined ? { cpu } : {}),
        ...(txQueues !== undefined && txQueues !== 1 ? { txQueues } : {}),
      });
    });
    // Addresses must be unique across the machine.
    const seen = new Map<string, string>();
    for (const d of devices)
      for (const x of d.addrs) {
        const key = x.addr.toString();
        const other = seen.get(key);
        if (other && other !== d.name)
          problems.push({ line: lc.linePos(ifs.node.range?.[0] ?? 0).line, column: 1, message: `address ${key} is on both ${other} and ${d.name}` });
        seen.set(key, d.name);
      }
  }

  parseBridges(top.get('bridges'), devices, at, keysOf, str);

  const routes: RouteSpec[] = [];
  const r = top.get('routes');
  if (r) {
    if (!isSeq(r.node)) at(r.node ?? (r.pair.key as Node), 'routes must be a list of {to, via, dev}');
    else {
      r.node.items.forEach((item, i) => {
        const node = item as Node;
        if (!isMap(node)) {
          at(node, 'a route is a mapping with to (default or a CIDR), via (optional) and dev');
          return;
        }
        const k = keysOf(node, ROUTE_KEYS, `route ${i + 1}`);
        let via: InetAddr | undefined;
        const vi = k.get('via');
        if (vi) {
          const v = isScalar(vi.node) ? String(vi.node.value) : '';
          via = parseInetAddr(v);
          if (via === undefined) at(vi.node, `via \`${v}' must be the gateway's address, such as 198.51.100.254 or 2001:db8::fe`);
        }
        // `default` is the default route of the gateway's family (IPv4 without a gateway); ::/0 names the IPv6 one.
        let dst: InetAddr | undefined;
        let prefix = 0;
        const to = k.get('to');
        if (!to) at(node, `route ${i + 1} has no \`to' (\`default' or a network such as 10.0.0.0/8 or 2001:db8::/32)`);
        else {
          const v = str(to.node, '`to`', '`default` or a network such as 10.0.0.0/8 or 2001:db8::/32');
          if (v === 'default') dst = InetAddr.any(via?.family ?? Family.V4);
          else if (v !== undefined) {
            const c = parseInetCidr(v);
            if (!c) at(to.node, `route destination \`${v}': accepted are \`default' and a network such as 10.0.0.0/8 or 2001:db8::/32`);
            else if (!networkOf(c.addr, c.prefix).equals(c.addr))
              at(to.node, `route destination ${v} has host bits set for /${c.prefix}: did you mean ${networkOf(c.addr, c.prefix).toString()}/${c.prefix}?`);
            else {
              dst = c.addr;
              prefix = c.prefix;
            }
          }
        }
        if (dst && via && via.family !== dst.family) {
          at(
            vi!.node,
            `gateway ${via.toString()} is an ${familyName(via.family)} address and the destination ${dst.toString()}/${prefix} ${familyName(dst.family)}: a route's gateway is of its destination's family`,
          );
          via = undefined;
          dst = undefined;
        }
        let table: number | undefined;
        const tb = k.get('table');
        if (tb) table = tableId(tb.node, at);
        const re = k.get('realm');
        let realm = re ? realmValue(re.node, at) : undefined;
        if (re && realm !== undefined && dst !== undefined && dst.family !== Family.V4) {
          at(re.node, `an ${familyName(dst.family)} route has no realms (the kernel keeps them for IPv4 routes only): leave out \`realm'`);
          realm = undefined;
        }
        const realms = realm ? { realm } : {};
        let kind: RouteKind = 'unicast';
        const ty = k.get('type');
        if (ty) {
          const v = str(ty.node, 'a route type', `one of ${ROUTE_TYPES.join(', ')}`);
          if (v !== undefined && !(ROUTE_TYPES as readonly string[]).includes(v))
            at(ty.node, `route type \`${v}': accepted are ${ROUTE_TYPES.join(', ')} (ip route add TYPE ...)`);
          else if (v !== undefined) kind = v as RouteKind;
        }
        if (kind !== 'unicast') {
          // A route that sends nothing has no next hop.
          if (vi) at(vi.node, `a ${kind} route has no gateway: leave out \`via'`);
          if (k.get('dev')) at(k.get('dev')!.node, `a ${kind} route has no device: leave out \`dev'`);
          if (dst !== undefined && !vi && !k.get('dev'))
            routes.push({ dst, prefix, dev: 'lo', ...(table !== undefined && table !== RT_TABLE_MAIN ? { table } : {}), type: kind, ...realms });
          return;
        }
        const inTable = table !== undefined && table !== RT_TABLE_MAIN ? { table } : {};
        let dev: string | undefined;
        const dv = k.get('dev');
        if (dv) {
          const v = str(dv.node, '`dev`', 'an interface name');
          if (v !== undefined) {
            const port = devices.find((d) => d.name === v && d.master !== undefined);
            if (v !== 'lo' && !devices.some((d) => d.name === v))
              at(dv.node, `route device \`${v}' is not an interface of this machine; interfaces: ${devices.map((d) => d.name).join(', ')}`);
            else if (port) at(dv.node, `route device ${v} is a port of bridge ${port.master}: route through ${port.master} (dev: ${port.master})`);
            else dev = v;
          }
        } else if (via !== undefined) {
          const gw = via;
          dev = devices.find(
            (d) =>
              (d.unit >= 0 || d.bridge !== undefined) &&
              d.addrs.some((a) => a.addr.family === gw.family && networkOf(gw, a.prefix).equals(networkOf(a.addr, a.prefix))),
          )?.name;
          if (!dev) at(vi!.node, `gateway ${gw.toString()} is not on any interface's subnet: add \`dev:'`);
        } else if (vi === undefined) at(node, 'a route needs `dev:` (the interface) or `via:` (a gateway on a connected subnet)');
        if (dev !== undefined && dst !== undefined)
          routes.push(via !== undefined ? { dst, prefix, via, dev, ...inTable, ...realms } : { dst, prefix, dev, ...inTable, ...realms });
      });
    }
  }

  const rules = parseRules(top.get('rules'), devices, at, keysOf, str);

  let sysctl: Sysctls | undefined;
  const sy = top.get('sysctl');
  if (sy) {
    if (!isMap(sy.node))
      at(sy.node ?? (sy.pair.key as Node), `sysctl must be a mapping of sysctl names to values, such as {net.ipv4.conf.all.accept_local: 1}`);
    else {
      const k = keysOf(sy.node, SYSCTLS, 'sysctl');
      const set: { -readonly [K in keyof Sysctls]: Sysctls[K] } = {};
      for (const [name, field] of BOOL_SYSCTLS) {
        const e = k.get(name);
        if (!e) continue;
        const v = isScalar(e.node) ? e.node.value : undefined;
        if (v === 0 || v === 1 || typeof v === 'boolean') set[field] = v === 1 || v === true;
        else at(e.node, `${name} must be 1 or 0 (true or false)`);
      }
      if (Object.keys(set).length) sysctl = set;
      // The net.netfilter ones: conntrack settings, as `conntrack:` gives some of them too.
      const ct: MutableConntrack = { ...conntrack };
      for (const s of NF_SYSCTLS) {
        const e = k.get(`net.netfilter.${s.name}`);
        if (!e) continue;
        let v = isScalar(e.node) ? e.node.value : undefined;
        if (typeof v === 'boolean' && s.max === 1) v = v ? 1 : 0;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < s.min || v > s.max) {
          at(e.node, `net.netfilter.${s.name} must be a whole number from ${s.min} to ${s.max}${s.name.includes('timeout') ? ' (seconds)' : ''}`);
          continue;
        }
        if (s.get(ct) !== undefined && s.get(ct) !== v) {
          at(e.node, `net.netfilter.${s.name} is ${v} here and ${s.get(ct)} under conntrack:; give it once`);
          continue;
        }
        s.set(ct, v);
      }
      if (Object.keys(ct).length) conntrack = ct;
    }
  }

  const modules = parseModules(top.get('modules'), at);
  const cttimeout = parseCttimeout(top.get('cttimeout'), at);
  let cpu: number | undefined;
  const cpuNode = top.get('cpu');
  if (cpuNode) {
    cpu = whole(cpuNode.node, 0, MAX_CPU);
    if (cpu === undefined)
      at(cpuNode.node ?? (cpuNode.pair.key as Node), `cpu must be a CPU number from 0 to ${MAX_CPU} (the CPU that processes the machine's packets)`);
  }

  const hosts = parseHosts(top.get('hosts'), at);
  let ipsets: string | undefined;
  const ip = top.get('ipsets');
  if (ip) {
    const v = str(ip.node, 'ipsets', 'the path of an ipset file (`ipset save` output), relative to the machine file');
    if (v !== undefined) ipsets = resolve(dirname(file), v);
  }

  const osf = parseOsfKey(top.get('osf'), file, at);
  const nfacct = parseNfacct(top.get('nfacct'), at, keysOf);

  if (problems.length) throw new MachineFileError(file, problems);
  return {
    hostname,
    devices,
    routes,
    ...(rules.length ? { rules } : {}),
    ...(sysctl ? { sysctl } : {}),
    failPolicy,
    ...(conntrack ? { conntrack } : {}),
    ...(modules ? { modules } : {}),
    ...(cttimeout.length ? { cttimeout } : {}),
    ...(cpu !== undefined ? { cpu } : {}),
    ...(sockets.length ? { sockets } : {}),
    ...(queues.length ? { queues } : {}),
    ...(hosts ? { hosts } : {}),
    ...(ipsets !== undefined ? { ipsets } : {}),
    ...(osf?.length ? { osf } : {}),
    ...(nfacct.length ? { nfacct } : {}),
  };
}

/** The largest fingerprint file cofw reads (OpenBSD's pf.os is 30 KiB). */
const MAX_OSF_FILE_BYTES = 16 * MiB;
const OSF_ACCEPTED = 'the path of a pf.os-format fingerprint file (what `nfnl_osf -f FILE` loads), relative to the machine file, or a list of its lines';

/**
 * `osf:`: the fingerprints `nfnl_osf -f FILE` loaded, from a file (a path
 * relative to the machine file) or inline (a list of lines, or a block of
 * text), read as nfnl_osf reads them (osf-fingers.ts).
 */
function parseOsfKey(
  entry: { pair: Pair; node: Node | null } | undefined,
  file: string,
  at: (node: Node | null | undefined, message: string) => void,
): OsfFinger[] | undefined {
  if (!entry) return undefined;
  const node = entry.node;
  const refused = (e: unknown, where: Node | null | undefined, what: string): undefined => {
    if (!(e instanceof OsfFileError)) throw e;
    at(where, `osf: ${what}: ${e.reason}`);
    return undefined;
  };
  if (isSeq(node)) {
    const lines: string[] = [];
    for (const item of node.items) {
      if (!isScalar(item) || (typeof item.value !== 'string' && typeof item.value !== 'number') || String(item.value).includes('\n')) {
        at(item as Node, `osf: each item must be one fingerprint line, such as "S4:64:1:60:M*,S,T,N,W7:.:Linux:2.6:2.6.x"`);
        return undefined;
      }
      lines.push(String(item.value));
    }
    try {
      return parseOsfFingerprints(lines.map((l) => `${l}\n`).join(''), file);
    } catch (e) {
      return refused(e, e instanceof OsfFileError ? (node.items[e.line - 1] as Node) : node, e instanceof OsfFileError ? `line ${e.line} of the list` : '');
    }
  }
  if (!isScalar(node) || typeof node.value !== 'string') {
    at(node ?? (entry.pair.key as Node), `osf must be ${OSF_ACCEPTED}`);
    return undefined;
  }
  const v = node.value;
  if (v.includes('\n')) {
    try {
      return parseOsfFingerprints(v, file);
    } catch (e) {
      return refused(e, node, e instanceof OsfFileError ? `line ${e.line} of the inline text` : '');
    }
  }
  const path = resolve(dirname(file), v);
  let text: string;
  try {
    text = readInputText(path, MAX_OSF_FILE_BYTES);
  } catch (e) {
    at(node, `osf: cannot read the fingerprint file ${path}: ${(e as Error).message}`);
    return undefined;
  }
  try {
    return parseOsfFingerprints(text, path);
  } catch (e) {
    return refused(e, node, e instanceof OsfFileError ? e.message : '');
  }
}

/**
 * `cttimeout:`: the guest's connection tracking timeout policies, a list of
 * mappings `{name, family, protocol, STATE: SECONDS...}`, each what `nfct
 * add timeout NAME FAMILY PROTOCOL STATE SECONDS...` makes (the states of
 * CTTIMEOUT_PROTOCOLS, in any case as nfct takes them; at least one). The
 * states left out take the machine's defaults for the protocol.
 */
function parseCttimeout(entry: { pair: Pair; node: Node | null } | undefined, at: At): TimeoutPolicy[] {
  const out: TimeoutPolicy[] = [];
  if (!entry) return out;
  const example = '{name: short, family: inet, protocol: tcp, established: 100, close: 10}';
  if (!isSeq(entry.node)) {
    at(entry.node ?? (entry.pair.key as Node), `cttimeout must be a list of timeout policies, such as [${example}]`);
    return out;
  }
  const names = new Set<string>();
  entry.node.items.forEach((item, i) => {
    const node = item as Node;
    if (!isMap(node)) {
      at(node, `a timeout policy is a mapping with name, family, protocol and the states' seconds, such as ${example}`);
      return;
    }
    const fields = new Map<string, Pair>();
    for (const pair of node.items) fields.set(isScalar(pair.key) ? String(pair.key.value) : '', pair);
    const scalar = (key: string): { value: unknown; node: Node } | undefined => {
      const pair = fields.get(key);
      if (!pair) return undefined;
      const v = (pair.value as Node | null) ?? (pair.key as Node);
      return { value: isScalar(v) ? v.value : undefined, node: v };
    };
    let ok = true;
    const name = scalar('name');
    if (!name) {
      at(node, `timeout policy ${i + 1} has no \`name' (what -j CT --timeout NAME names)`);
      ok = false;
    } else if (typeof name.value !== 'string' && typeof name.value !== 'number') {
      at(name.node, 'a timeout policy name must be text such as short');
      ok = false;
    } else {
      const v = String(name.value);
      if (v.length === 0 || Buffer.byteLength(v) > TIMEOUT_NAME_MAX || /[\s\0]/.test(v)) {
        at(name.node, `timeout policy name \`${v}': give 1 to ${TIMEOUT_NAME_MAX} bytes without spaces (nfct's names are at most ${TIMEOUT_NAME_MAX})`);
        ok = false;
      } else if (names.has(v)) {
        at(name.node, `timeout policy ${v} is already declared: names are one list for both families (nfct add timeout fails with "Device or resource busy")`);
        ok = false;
      } else names.add(v);
    }
    let family = Family.V4;
    const fam = scalar('family');
    if (!fam) {
      at(node, `timeout policy ${i + 1} has no \`family' (inet for iptables rules, inet6 for ip6tables rules)`);
      ok = false;
    } else if (fam.value === 'inet' || fam.value === 'inet6') family = fam.value === 'inet6' ? Family.V6 : Family.V4;
    else {
      at(fam.node, `timeout policy family \`${String(fam.value)}': accepted are inet (iptables rules) and inet6 (ip6tables rules)`);
      ok = false;
    }
    let protocol = '';
    const pr = scalar('protocol');
    if (!pr) {
      at(node, `timeout policy ${i + 1} has no \`protocol' (${Object.keys(CTTIMEOUT_PROTOCOLS).join(', ')})`);
      ok = false;
    } else {
      const v = String(pr.value).toLowerCase();
      const err = cttimeoutProtocolError(v);
      if (err) {
        at(pr.node, `timeout policy ${err}`);
        ok = false;
      } else protocol = v;
    }
    const states = protocol ? CTTIMEOUT_PROTOCOLS[protocol]!.states : undefined;
    const timeouts: Record<string, number> = {};
    for (const [key, pair] of fields) {
      if (key === 'name' || key === 'family' || key === 'protocol') continue;
      const state = key.toLowerCase();
      if (!states) continue;
      if (!states.includes(state)) {
        at(
          pair.key as Node,
          `unknown state \`${key}' for ${protocol} in timeout policy ${i + 1}; accepted: name, family, protocol and the states ${states.join(', ')}`,
        );
        ok = false;
        continue;
      }
      const v = (pair.value as Node | null) ?? null;
      const n = isScalar(v) ? v.value : undefined;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > TIMEOUT_SECONDS_MAX) {
        at(
          v ?? (pair.key as Node),
          `${protocol} ${state} must be a whole number of seconds from 0 to ${TIMEOUT_SECONDS_MAX} (the kernel keeps seconds * 250 in 32 bits)`,
        );
        ok = false;
        continue;
      }
      timeouts[state] = n;
    }
    if (states && Object.keys(timeouts).length === 0 && ok) {
      at(node, `timeout policy ${i + 1} sets no state: give at least one of ${states.join(', ')} (nfct add timeout without one fails with "Invalid argument")`);
      ok = false;
    }
    if (!ok) return;
    if (out.length === MAX_TIMEOUT_POLICIES) {
      at(node, `cofw takes at most ${MAX_TIMEOUT_POLICIES} timeout policies`);
      return;
    }
    out.push({ name: String(name!.value), family, protocol, timeouts });
  });
  return out;
}

/** The `cttimeout:` lines of a machine file for these policies. */
function cttimeoutLines(policies: readonly TimeoutPolicy[]): string[] {
  const lines = ['cttimeout:'];
  for (const p of policies) {
    const states = CTTIMEOUT_PROTOCOLS[p.protocol]!.states.filter((s) => p.timeouts[s] !== undefined).map((s) => `${s}: ${p.timeouts[s]}`);
    lines.push(`  - {name: ${JSON.stringify(p.name)}, family: ${policyFamilyName(p.family)}, protocol: ${p.protocol}, ${states.join(', ')}}`);
  }
  return lines;
}

/**
 * `modules:`: the conntrack helper modules' parameters, a mapping of module
 * name to a mapping of parameter to value (`ports` a list), as `modprobe
 * MODULE PARAM=VALUE` would set them (module-params.ts says what each does).
 */
function parseModules(
  entry: { pair: Pair; node: Node | null } | undefined,
  at: (node: Node | null | undefined, message: string) => void,
): ModuleSettings | undefined {
  if (!entry) return undefined;
  if (!isMap(entry.node)) {
    at(
      entry.node ?? (entry.pair.key as Node),
      'modules must be a mapping of module names to their parameters, such as {nf_conntrack_ftp: {ports: [21, 2121]}}',
    );
    return undefined;
  }
  const out: Record<string, Record<string, number | readonly number[]>> = {};
  for (const pair of entry.node.items) {
    const module = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = (pair.value as Node | null) ?? null;
    if (!MODULE_PARAMS[module]) {
      at(pair.key as Node, moduleParamError(module, '', undefined, out)!);
      continue;
    }
    if (!isMap(value)) {
      at(value ?? (pair.key as Node), `${module} must be a mapping of its parameters to values, such as {${Object.keys(MODULE_PARAMS[module]!)[0]}: ...}`);
      continue;
    }
    const params: Record<string, number | readonly number[]> = {};
    out[module] = params;
    for (const p of value.items) {
      const param = isScalar(p.key) ? String(p.key.value) : '';
      const node = (p.value as Node | null) ?? null;
      let v: unknown = isScalar(node) ? node.value : isSeq(node) ? node.items.map((i) => (isScalar(i) ? i.value : undefined)) : undefined;
      // A single port is a list of one.
      if (param === 'ports' && typeof v === 'number') v = [v];
      const err = moduleParamError(module, param, v, out);
      if (err) at(MODULE_PARAMS[module]![param] ? (node ?? (p.key as Node)) : (p.key as Node), err);
      else params[param] = moduleParamValue(v);
    }
  }
  return Object.keys(out).length ? out : undefined;
}

type At = (node: Node | null | undefined, message: string) => void;

/** A table: a number from 1 to 2^32-1, or local, main, default (/etc/iproute2/rt_tables); undefined (and a problem) otherwise. */
function tableId(node: Node | null, at: At): number | undefined {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'string' && TABLE_NAMES[v] !== undefined) return TABLE_NAMES[v];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= U32_MAX) return v;
  at(node, `table \`${String(v)}': accepted are a number from 1 to ${U32_MAX} and the names local (255), main (254) and default (253)`);
  return undefined;
}

/** /etc/iproute2/rt_realms' names (Debian's names only `cosmos`, 0). */
const REALM_NAMES: Readonly<Record<string, number>> = { cosmos: 0 };

/**
 * Realms as iproute2 reads them (get_rt_realms_or_raw): a number from 0
 * to 2^32-1 (decimal, 0x hexadecimal or 0 octal), taken whole as the
 * kernel's tclassid (so `realm 5` is TO realm 5), or "FROM/TO", each a
 * number from 0 to 255 or a name of /etc/iproute2/rt_realms (cosmos, 0);
 * undefined (and a problem) otherwise.
 */
function realmValue(node: Node | null, at: At): number | undefined {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX) return v;
  const num = (t: string): number | undefined => (/^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(t) ? Number(/^0[0-7]+$/.test(t) ? parseInt(t, 8) : t) : undefined);
  const one = (t: string): number | undefined => {
    const n = REALM_NAMES[t] ?? num(t);
    return n !== undefined && n <= 255 ? n : undefined;
  };
  if (typeof v === 'string') {
    const raw = num(v);
    if (raw !== undefined && raw <= U32_MAX) return raw;
    const slash = v.indexOf('/');
    const from = slash < 0 ? 0 : one(v.slice(0, slash));
    const to = slash < 0 ? one(v) : v.length > slash + 1 ? one(v.slice(slash + 1)) : 0;
    if (from !== undefined && to !== undefined) return ((from << 16) | to) >>> 0;
  }
  at(
    node,
    `realm \`${String(v)}': accepted are a number from 0 to ${U32_MAX} (the TO realm, or FROM << 16 | TO) and "FROM/TO", each a number from 0 to 255 or cosmos (ip route ... realms 3/4)`,
  );
  return undefined;
}

/** The realms as the machine file writes them: `5`, or `"3/4"` when there is a FROM realm (a number when a half is above 255). */
function realmText(realm: number): string {
  const from = realm >>> 16;
  const to = realm & 0xffff;
  if (from === 0) return String(realm);
  return from <= 255 && to <= 255 ? `"${from}/${to}"` : `0x${realm.toString(16)}`;
}

/** The priority the kernel gives a rule added without one (fib_default_rule_pref): the second rule's minus one, or 0. */
function defaultRulePriority(list: readonly RuleSpec[]): number {
  const second = list[1];
  return second && second.priority ? second.priority - 1 : 0;
}

/** `A` or `A-B`, ports 0 to 65535. */
function portRange(node: Node | null, key: string, at: At): readonly [number, number] | undefined {
  const v = isScalar(node) ? String(node.value) : '';
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
  const a = m ? Number(m[1]) : NaN;
  const b = m && m[2] !== undefined ? Number(m[2]) : a;
  if (!m || a > 65535 || b > 65535 || b < a) {
    at(node, `${key} \`${v}': accepted are a port (0 to 65535) or a range such as 1024-65535`);
    return undefined;
  }
  return [a, b];
}

/**
 * `rules:`: policy routing rules (ip rule). Each has an action, `table`
 * (a number or local, main, default) or `action` (blackhole, unreachable,
 * prohibit, nop), and selectors: from, to (prefixes), fwmark (a number,
 * or "MARK/MASK"), iif, oif (interfaces of this machine or lo), ipproto,
 * sport, dport, not; and `suppress_prefixlength` with a table. Its family
 * is that of its addresses, else `family` (ipv4, ipv6), else both: such a
 * rule is added to each family's list. Without `priority`, each family's
 * rule gets the one the kernel would give it: the priority of the second
 * rule of the list minus one (32765, 32764... after the kernel's own 0,
 * 32766, 32767), so that later rules come first, as with `ip rule add`.
 */
function parseRules(entry: { pair: Pair; node: Node | null } | undefined, devices: readonly NetDevice[], at: At, keysOf: KeysOf, str: Str): RuleSpec[] {
  if (!entry) return [];
  if (!isSeq(entry.node)) {
    at(entry.node ?? (entry.pair.key as Node), 'rules must be a list of policy routing rules, such as [{not: true, fwmark: 51820, table: 51820}]');
    return [];
  }
  const lists = new Map<Family, RuleSpec[]>([
    [
      Family.V4,
      [
        { family: Family.V4, priority: 0, action: 'table' },
        { family: Family.V4, priority: 32766, action: 'table' },
        { family: Family.V4, priority: 32767, action: 'table' },
      ],
    ],
    [
      Family.V6,
      [
        { family: Family.V6, priority: 0, action: 'table' },
        { family: Family.V6, priority: 32766, action: 'table' },
      ],
    ],
  ]);
  const out: RuleSpec[] = [];
  entry.node.items.forEach((item, i) => {
    const node = item as Node;
    const what = `rule ${i + 1}`;
    if (!isMap(node)) {
      at(
        node,
        'a rule is a mapping of selectors (from, to, fwmark, iif, oif, ipproto, sport, dport, not) and an action (table or action), such as {fwmark: 1, table: 100}',
      );
      return;
    }
    const k = keysOf(node, RULE_KEYS, what);
    let ok = true;
    const bad = (n: Node | null, message: string): void => {
      at(n, message);
      ok = false;
    };
    let family: Family | undefined;
    const fa = k.get('family');
    if (fa) {
      const v = str(fa.node, 'family', 'ipv4 or ipv6');
      if (v === 'ipv4' || v === 'inet') family = Family.V4;
      else if (v === 'ipv6' || v === 'inet6') family = Family.V6;
      else bad(fa.node, `family \`${v ?? ''}': accepted are ipv4 and ipv6 (leave it out for a rule of both families)`);
    }
    const prefixOf = (key: 'from' | 'to'): { addr: InetAddr; prefix: number } | undefined => {
      const e = k.get(key);
      if (!e) return undefined;
      const v = str(e.node, `\`${key}'`, 'a prefix such as 10.0.0.0/8, an address, or all');
      if (v === undefined) return ((ok = false), undefined);
      if (v === 'all') return undefined;
      const c = parseInetCidr(v);
      if (!c) return (bad(e.node, `${key} \`${v}': accepted are a prefix such as 10.0.0.0/8 or 2001:db8::/32, an address, and all`), undefined);
      if (family !== undefined && c.addr.family !== family)
        return (bad(e.node, `${key} ${v} is an ${familyName(c.addr.family)} prefix in a rule of family ${familyName(family)}`), undefined);
      family = c.addr.family;
      if (!networkOf(c.addr, c.prefix).equals(c.addr))
        return (bad(e.node, `${key} ${v} has host bits set for /${c.prefix}: did you mean ${networkOf(c.addr, c.prefix).toString()}/${c.prefix}?`), undefined);
      return c;
    };
    const from = prefixOf('from');
    const to = prefixOf('to');
    let priority: number | undefined;
    const pr = k.get('priority');
    if (pr) {
      const v = isScalar(pr.node) ? pr.node.value : undefined;
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX) priority = v;
      else bad(pr.node, `a rule's priority must be a whole number from 0 to ${U32_MAX} (leave it out for the kernel's choice)`);
    }
    let not = false;
    const nt = k.get('not');
    if (nt) {
      const v = isScalar(nt.node) ? nt.node.value : undefined;
      if (typeof v === 'boolean') not = v;
      else bad(nt.node, 'not must be true or false');
    }
    let fwmark: { mark: number; mask: number } | undefined;
    const fm = k.get('fwmark');
    if (fm) {
      const v = isScalar(fm.node) ? String(fm.node.value) : '';
      const m = /^(0x[0-9a-fA-F]+|\d+)(?:\/(0x[0-9a-fA-F]+|\d+))?$/.exec(v);
      const mark = m ? Number(m[1]) : NaN;
      const mask = m && m[2] !== undefined ? Number(m[2]) : undefined;
      if (!m || mark > U32_MAX || (mask !== undefined && mask > U32_MAX))
        bad(fm.node, `fwmark \`${v}': accepted are a mark such as 51820 or 0x1, optionally with a mask such as "0x1/0xff" (numbers up to 0xffffffff)`);
      // fib_nl2rule: a mark of 0 without a mask has mask 0, and matches every packet.
      else fwmark = { mark, mask: mask ?? (mark ? U32_MAX : 0) };
    }
    const ifName = (key: 'iif' | 'oif'): string | undefined => {
      const e = k.get(key);
      if (!e) return undefined;
      const v = str(e.node, `\`${key}'`, 'an interface name');
      if (v === undefined) return ((ok = false), undefined);
      const dev = devices.find((d) => d.name === v);
      if (!dev) return (bad(e.node, `${key} \`${v}' is not an interface of this machine; interfaces: ${devices.map((d) => d.name).join(', ')}`), undefined);
      if (dev.master !== undefined)
        return (bad(e.node, `${key} ${v} is a port of bridge ${dev.master}: its packets are routed as ${dev.master}'s (${key}: ${dev.master})`), undefined);
      return v;
    };
    const iif = ifName('iif');
    const oif = ifName('oif');
    let ipproto: number | undefined;
    const ip = k.get('ipproto');
    if (ip) {
      const v = str(ip.node, 'ipproto', 'a protocol such as tcp or udp, or a number');
      const n = v !== undefined ? parseProtocol(v) : undefined;
      if (n === undefined || n === 0) bad(ip.node, `ipproto \`${v ?? ''}': accepted are a protocol name such as tcp, udp or icmp and a number from 1 to 255`);
      else ipproto = n;
    }
    const sp = k.get('sport');
    const sport = sp ? portRange(sp.node, 'sport', at) : undefined;
    const dp = k.get('dport');
    const dport = dp ? portRange(dp.node, 'dport', at) : undefined;
    if ((sp && !sport) || (dp && !dport)) ok = false;
    let action: RuleAction | undefined;
    let table: number | undefined;
    const tb = k.get('table');
    const ac = k.get('action');
    if (tb && ac) bad(ac.node, 'a rule has one action: `table` (look up a table) or `action` (blackhole, unreachable, prohibit, nop), not both');
    else if (tb) {
      table = tableId(tb.node, at);
      if (table === undefined) ok = false;
      action = 'table';
    } else if (ac) {
      const v = str(ac.node, 'action', RULE_ACTIONS.join(', '));
      if (v !== undefined && (RULE_ACTIONS as readonly string[]).includes(v)) action = v as RuleAction;
      else bad(ac.node, `rule action \`${v ?? ''}': accepted are ${RULE_ACTIONS.join(', ')} (or \`table' to look up a table)`);
    } else bad(node, `${what} has no action: give \`table' (a number or local, main, default) or \`action' (${RULE_ACTIONS.join(', ')})`);
    let suppress: number | undefined;
    const su = k.get('suppress_prefixlength');
    if (su) {
      const v = isScalar(su.node) ? su.node.value : undefined;
      const max = family === Family.V4 ? 32 : 128;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
        bad(su.node, `suppress_prefixlength must be a prefix length from 0 to ${max} (routes with that many bits or fewer are ignored)`);
      else if (ac) bad(su.node, 'suppress_prefixlength goes with `table` (it ignores some of the routes the table gives)');
      else suppress = v;
    }
    const re = k.get('realm');
    const realm = re ? realmValue(re.node, at) : undefined;
    if (re && realm === undefined) ok = false;
    if (re && realm !== undefined && family === Family.V6)
      bad(re.node, "an IPv6 rule has no realms (the kernel keeps them for IPv4 rules only): leave out `realm'");
    if (!ok || action === undefined) return;
    for (const fam of family !== undefined ? [family] : [Family.V4, Family.V6]) {
      const list = lists.get(fam)!;
      const rule: RuleSpec = {
        family: fam,
        priority: priority ?? defaultRulePriority(list),
        ...(not ? { not } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(fwmark ? { fwmark } : {}),
        ...(iif !== undefined ? { iif } : {}),
        ...(oif !== undefined ? { oif } : {}),
        ...(ipproto !== undefined ? { ipproto } : {}),
        ...(sport ? { sport } : {}),
        ...(dport ? { dport } : {}),
        action,
        ...(table !== undefined ? { table } : {}),
        ...(suppress !== undefined ? { suppressPrefixlength: suppress } : {}),
        ...(realm && fam === Family.V4 ? { realm } : {}),
      };
      // After the last rule of the same or a smaller priority (fib_nl_newrule).
      let at2 = list.length;
      for (let j = 0; j < list.length; j++)
        if (list[j]!.priority > rule.priority) {
          at2 = j;
          break;
        }
      list.splice(at2, 0, rule);
      out.push(rule);
    }
  });
  return out;
}
type KeysOf = (map: YAMLMap, allowed: string[], what: string) => Map<string, { pair: Pair; node: Node | null }>;
type Str = (node: Node | null, what: string, accepted: string) => string | undefined;

/** A br_netfilter sysctl's value: true or false, or 1 or 0 as in /proc/sys/net/bridge. */
function sysctlFlag(node: Node | null, key: string, at: At, fallback: boolean): boolean {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  at(node, `${key} must be 1 or 0 (true or false), as net.bridge.${key} is written`);
  return fallback;
}

/**
 * `bridges:`: Linux bridges made of the machine's interfaces. Each has a
 * name (not an interface's), its ports (interfaces of this machine, each
 * in one bridge at most, without addresses of their own: the bridge
 * device carries them), its own addresses, a MAC (the smallest of its
 * ports' when left out, as the kernel picks it), and the br_netfilter
 * sysctls: bridge-nf-call-iptables and bridge-nf-call-ip6tables (1 by
 * default, as when br_netfilter is loaded), bridge-nf-filter-vlan-tagged
 * (0). A port may be written `{name: eth2, from: [192.0.2.128/25,
 * "02:00:00:00:02:10"]}`: frames from those networks or MACs enter the
 * bridge on it. The bridges are appended to `devices` (after the
 * interfaces, unit -1) and their ports marked with `master`.
 */
function parseBridges(entry: { pair: Pair; node: Node | null } | undefined, devices: NetDevice[], at: At, keysOf: KeysOf, str: Str): void {
  if (!entry) return;
  if (!isSeq(entry.node)) {
    at(entry.node ?? (entry.pair.key as Node), 'bridges must be a list of bridges, such as [{name: br0, ports: [eth1, eth2], addresses: [192.0.2.1/24]}]');
    return;
  }
  const taken = new Map<string, string>();
  entry.node.items.forEach((item, i) => {
    const node = item as Node;
    if (!isMap(node)) {
      at(node, 'a bridge is a mapping with name, ports, addresses and (optionally) mac and the bridge-nf-* sysctls');
      return;
    }
    const k = keysOf(node, BRIDGE_KEYS, `bridge ${i + 1}`);
    let name: string | undefined;
    const n = k.get('name');
    if (!n) at(node, `bridge ${i + 1} has no \`name' (such as br${i})`);
    else {
      const v = str(n.node, 'the bridge name', 'a name such as br0');
      if (v !== undefined) {
        if (!/^[^\s/:]{1,15}$/.test(v)) at(n.node, `bridge name \`${v}' is not valid: 1 to 15 characters without spaces, \`/' or \`:'`);
        else if (devices.some((d) => d.name === v))
          at(n.node, `bridge name \`${v}' is taken (by ${v === 'lo' ? 'loopback' : 'an interface or another bridge'}): give the bridge a name of its own`);
        else name = v;
      }
    }
    const ports: NetDevice[] = [];
    const froms = new Map<string, PortHosts>();
    const p = k.get('ports');
    if (!p) at(node, `bridge ${name ?? i + 1} has no \`ports' (the interfaces it joins, such as [eth1, eth2])`);
    else if (!isSeq(p.node) || p.node.items.length === 0)
      at(p.node ?? (p.pair.key as Node), 'ports must be a non-empty list of interfaces, such as [eth1, eth2]');
    else {
      for (const it of p.node.items) {
        let pn: Node | null = it as Node;
        let pk: Map<string, { pair: Pair; node: Node | null }> | undefined;
        if (isMap(it)) {
          pk = keysOf(it, PORT_KEYS, `a port of bridge ${name ?? i + 1}`);
          pn = pk.get('name')?.node ?? null;
          if (!pk.has('name')) {
            at(it, 'a port written as a mapping needs `name` (such as {name: eth2, from: [192.0.2.128/25]})');
            continue;
          }
        }
        const v = str(pn, 'a bridge port', 'the name of an interface of this machine, such as eth1');
        if (v === undefined) continue;
        const dev = devices.find((d) => d.name === v);
        if (!dev || dev.unit < 0) {
          at(
            pn,
            `bridge port \`${v}' is not an interface of this machine; interfaces: ${devices
              .filter((d) => d.unit >= 0)
              .map((d) => d.name)
              .join(', ')}`,
          );
          continue;
        }
        const other = taken.get(v);
        if (other !== undefined) {
          at(pn, other === name ? `port ${v} is listed twice` : `${v} is already a port of bridge ${other}: an interface joins one bridge at most`);
          continue;
        }
        if (dev.addrs.length)
          at(
            pn,
            `${v} is a port of bridge ${name ?? i + 1}, so its addresses (${dev.addrs.map((a) => `${a.addr.toString()}/${a.prefix}`).join(', ')}) would never be used: move them to the bridge's addresses`,
          );
        taken.set(v, name ?? '');
        ports.push(dev);
        const from = pk?.get('from');
        if (from) {
          const hosts = parsePortHosts(from, v, at);
          if (hosts) froms.set(v, hosts);
        }
      }
    }
    let mac: Uint8Array | undefined;
    const m = k.get('mac');
    if (m) {
      const v = isScalar(m.node) && typeof m.node.value === 'string' ? m.node.value : undefined;
      const parsed = v !== undefined ? parseMac(v) : undefined;
      if (!parsed) at(m.node, `mac must be six hex bytes such as "02:00:00:00:00:01" (quote it)`);
      else if (parsed[0]! & 1) at(m.node, `mac ${v} is a multicast address; a bridge needs a unicast one (first byte even)`);
      else mac = parsed;
    }
    // Without one, the bridge takes the smallest MAC of its ports (br_stp_recalculate_bridge_id).
    if (!mac && ports.length) mac = ports.map((d) => d.mac).reduce((a, b) => (compareMac(b, a) < 0 ? b : a));
    const addrs: IfAddress[] = [];
    const a = k.get('addresses');
    if (a) {
      if (!isSeq(a.node)) at(a.node ?? (a.pair.key as Node), 'addresses must be a list such as [192.0.2.1/24]');
      else
        for (const it of a.node.items) {
          const v = isScalar(it) ? String(it.value) : '';
          const c = parseInetCidr(v);
          const refused = c ? notAnInterfaceAddress(c.addr) : undefined;
          if (!c || !/\//.test(v))
            at(it as Node, `address \`${v}' must be an IPv4 or IPv6 address with its prefix length, such as 192.0.2.1/24 or 2001:db8::1/64`);
          else if (refused) at(it as Node, `address ${v} cannot be an interface address (${refused})`);
          else if (devices.some((d) => d.addrs.some((x) => x.addr.equals(c.addr))))
            at(it as Node, `address ${c.addr.toString()} is already on ${devices.find((d) => d.addrs.some((x) => x.addr.equals(c.addr)))!.name}`);
          else addrs.push(ifAddress(c.addr, c.prefix));
        }
    }
    const flag = (key: string, fallback: boolean): boolean => {
      const e = k.get(key);
      return e ? sysctlFlag(e.node, key, at, fallback) : fallback;
    };
    const bridge: BridgeConfig = {
      ports: ports.map((d) => d.name),
      callIptables: flag('bridge-nf-call-iptables', true),
      callIp6tables: flag('bridge-nf-call-ip6tables', true),
      filterVlanTagged: flag('bridge-nf-filter-vlan-tagged', false),
    };
    if (name === undefined || !mac || !ports.length) return;
    for (const port of ports) {
      const idx = devices.indexOf(port);
      const from = froms.get(port.name);
      devices[idx] = { ...port, master: name, ...(from ? { from } : {}) };
    }
    const mtu = Math.min(...ports.map((d) => d.mtu));
    devices.push({ name, index: devices.length + 1, unit: -1, mac, mtu, addrs, bridge });
  });
}

function compareMac(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A port's `from:`: networks (either family; a bare address is a host) and MACs behind it. */
function parsePortHosts(from: { pair: Pair; node: Node | null }, port: string, at: At): PortHosts | undefined {
  if (!isSeq(from.node)) {
    at(from.node ?? (from.pair.key as Node), `from must be a list of networks and MACs behind ${port}, such as [192.0.2.128/25, "02:00:00:00:02:10"]`);
    return undefined;
  }
  const nets: IfAddress[] = [];
  const macs: Uint8Array[] = [];
  for (const it of from.node.items) {
    const v = isScalar(it) ? String(it.value) : '';
    const mac = /^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$/.test(v) ? parseMac(v) : undefined;
    if (mac) {
      macs.push(mac);
      continue;
    }
    const c = parseInetCidr(v);
    if (!c)
      at(
        it as Node,
        `\`${v}' behind ${port}: accepted are networks such as 192.0.2.128/25 or 2001:db8:2::/64, addresses, and MACs such as "02:00:00:00:02:10" (quoted)`,
      );
    else nets.push({ addr: networkOf(c.addr, c.prefix), prefix: c.prefix });
  }
  return { nets, macs };
}

/**
 * `hosts:`: the guest's /etc/hosts lines beyond Debian's defaults, a
 * mapping of host name to one address or a list, of either family (IPv4
 * addresses serve iptables rules, IPv6 ones ip6tables rules). A name must
 * be one a rule can name (no blanks, `,`, `/`, `!` or `#`) and not read as
 * an address itself (iptables would never look it up).
 */
function parseHosts(
  entry: { pair: Pair; node: Node | null } | undefined,
  at: (node: Node | null | undefined, message: string) => void,
): Record<string, InetAddr[]> | undefined {
  if (!entry) return undefined;
  if (!isMap(entry.node)) {
    at(
      entry.node ?? (entry.pair.key as Node),
      'hosts must be a mapping of host names to addresses, such as { web1: 192.0.2.10, db: [198.51.100.5, 2001:db8::5] }',
    );
    return undefined;
  }
  const out: Record<string, InetAddr[]> = {};
  for (const pair of entry.node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const key = pair.key as Node;
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.length > 253) {
      at(key, `host name \`${name}' is not one a rule can name: letters, digits, \`.', \`-' and \`_', up to 253 characters`);
      continue;
    }
    if (parseInetAddr(name) || /^[0-9.]+$/.test(name) || /^0x/i.test(name)) {
      at(key, `host name \`${name}' reads as an address, so iptables would never look it up: choose a name with a letter`);
      continue;
    }
    const value = (pair.value as Node | null) ?? null;
    const items: Array<Node | null> = isSeq(value) ? (value.items as Node[]) : [value];
    if (!items.length) at(value ?? key, `host ${name} has no address: give one, or a list`);
    for (const it of items) {
      const v = isScalar(it) ? String(it.value) : '';
      const a = parseInetAddr(v);
      if (!a) at(it ?? key, `host ${name}: \`${v}' must be an IPv4 or IPv6 address without a prefix, such as 192.0.2.10 or 2001:db8::10`);
      else (out[name] ??= []).push(a);
    }
  }
  return out;
}

/** A local address for `defaultMachine`: an IPv4 number or an address of either family, bare or with its prefix. */
export type LocalAddress = number | InetAddr | { readonly addr: number | InetAddr; readonly prefix: number };

/**
 * The machine without a machine file: one interface eth0 holding the given
 * addresses (a bare IPv4 address is taken as /24, a bare IPv6 one as /64),
 * a default route out of eth0 (and an IPv6 one, ::/0, when an address is
 * IPv6), fail-closed.
 */
export function defaultMachine(localAddrs: ReadonlyArray<LocalAddress>, failPolicy: FailPolicy = 'closed'): MachineSpec {
  const addrs = localAddrs.map((a) => {
    if (typeof a === 'number') return ifAddress(a, 24);
    if (a instanceof InetAddr) return ifAddress(a, a.family === Family.V6 ? 64 : 24);
    return ifAddress(a.addr, a.prefix);
  });
  const eth0: NetDevice = { name: 'eth0', index: 2, unit: 0, mac: Uint8Array.from([2, 0, 0, 0, 0, 1]), mtu: 1500, addrs };
  const routes: RouteSpec[] = [{ dst: InetAddr.any(Family.V4), prefix: 0, dev: 'eth0' }];
  if (addrs.some((a) => a.addr.family === Family.V6)) routes.push({ dst: InetAddr.any(Family.V6), prefix: 0, dev: 'eth0' });
  return { hostname: 'cofw', devices: [loopback(), eth0], routes, failPolicy };
}

/** The machine file text of a spec (what `defaultMachine` or a guess produced, for the user to edit). */
export function machineFileText(spec: MachineSpec): string {
  const lines = [`hostname: ${spec.hostname}`, 'interfaces:'];
  for (const d of spec.devices) {
    if (d.unit < 0) continue;
    lines.push(
      `  - name: ${d.name}`,
      `    mac: "${formatMac(d.mac)}"`,
      `    addresses: [${d.addrs.map((a) => `${a.addr.toString()}/${a.prefix}`).join(', ')}]`,
    );
    if (d.mtu !== 1500) lines.push(`    mtu: ${d.mtu}`);
    if (d.gro) lines.push('    gro: true');
    if (d.group) lines.push(`    group: ${d.group}`);
    if (d.cpu !== undefined) lines.push(`    cpu: ${d.cpu}`);
    if (d.txQueues !== undefined) lines.push(`    txqueues: ${d.txQueues}`);
  }
  if (spec.routes.length) {
    lines.push('routes:');
    for (const r of spec.routes) {
      // `default` is read back as IPv4's unless a gateway says otherwise: the IPv6 default is written ::/0.
      lines.push(`  - to: ${r.prefix === 0 && r.dst.family === Family.V4 ? 'default' : `${r.dst.toString()}/${r.prefix}`}`);
      if (r.type !== undefined && r.type !== 'unicast') {
        if (r.prefix === 0 && r.dst.family === Family.V4) lines[lines.length - 1] = `  - to: 0.0.0.0/0`;
        lines.push(`    type: ${r.type}`);
      } else {
        if (r.via !== undefined) lines.push(`    via: ${r.via.toString()}`);
        lines.push(`    dev: ${r.dev}`);
      }
      if (r.table !== undefined && r.table !== RT_TABLE_MAIN) lines.push(`    table: ${r.table}`);
      if (r.realm) lines.push(`    realm: ${realmText(r.realm)}`);
    }
  }
  if (spec.rules?.length) {
    lines.push('rules:');
    for (const r of spec.rules) {
      const f = [`family: ${r.family === Family.V6 ? 'ipv6' : 'ipv4'}`, `priority: ${r.priority}`];
      if (r.not) f.push('not: true');
      if (r.from) f.push(`from: ${r.from.addr.toString()}/${r.from.prefix}`);
      if (r.to) f.push(`to: ${r.to.addr.toString()}/${r.to.prefix}`);
      if (r.fwmark) f.push(`fwmark: "0x${r.fwmark.mark.toString(16)}/0x${r.fwmark.mask.toString(16)}"`);
      if (r.iif !== undefined) f.push(`iif: ${r.iif}`);
      if (r.oif !== undefined) f.push(`oif: ${r.oif}`);
      if (r.ipproto !== undefined) f.push(`ipproto: ${r.ipproto}`);
      if (r.sport) f.push(`sport: "${r.sport[0]}-${r.sport[1]}"`);
      if (r.dport) f.push(`dport: "${r.dport[0]}-${r.dport[1]}"`);
      f.push(r.action === 'table' ? `table: ${r.table}` : `action: ${r.action}`);
      if (r.suppressPrefixlength !== undefined) f.push(`suppress_prefixlength: ${r.suppressPrefixlength}`);
      if (r.realm) f.push(`realm: ${realmText(r.realm)}`);
      lines.push(`  - {${f.join(', ')}}`);
    }
  }
  lines.push(`fail: ${spec.failPolicy}`);
  if (spec.cpu !== undefined) lines.push(`cpu: ${spec.cpu}`);
  const ct = spec.conntrack;
  if (ct && (ct.max !== undefined || ct.tcpLoose !== undefined || ct.tcpBeLiberal !== undefined)) {
    lines.push('conntrack:');
    if (ct.max !== undefined) lines.push(`  max: ${ct.max}`);
    if (ct.tcpLoose !== undefined) lines.push(`  tcp_loose: ${ct.tcpLoose}`);
    if (ct.tcpBeLiberal !== undefined) lines.push(`  tcp_be_liberal: ${ct.tcpBeLiberal}`);
  }
  if (spec.sockets?.length) {
    lines.push('sockets:');
    for (const so of spec.sockets) {
      const fields = [`proto: ${so.proto < 0 ? 'any' : protocolName(so.proto)}`];
      if (so.port !== undefined) fields.push(`port: ${so.port}`);
      fields.push(`uid: ${so.uid}`, `gid: ${so.gid}`);
      if (so.groups?.length) fields.push(`groups: [${so.groups.join(', ')}]`);
      if (so.cgroup !== undefined) fields.push(`cgroup: "${so.cgroup}"`);
      if (so.classid !== undefined) fields.push(`classid: ${so.classid}`);
      lines.push(`  - {${fields.join(', ')}}`);
    }
  }
  if (spec.queues?.length) {
    lines.push('queues:');
    for (const q of spec.queues) lines.push(`  ${q.num}: ${q.verdict}`);
  }
  const hosts = Object.entries(spec.hosts ?? {});
  if (hosts.length) {
    lines.push('hosts:');
    for (const [name, addrs] of hosts) lines.push(`  ${name}: ${addrs.length === 1 ? addrs[0]!.toString() : `[${addrs.map((a) => a.toString()).join(', ')}]`}`);
  }
  if (spec.ipsets !== undefined) lines.push(`ipsets: ${JSON.stringify(spec.ipsets)}`);
  if (spec.osf?.length) lines.push('osf:', ...spec.osf.map((f) => `  - ${JSON.stringify(formatOsfFinger(f))}`));
  if (spec.nfacct?.length) {
    lines.push('nfacct:');
    for (const o of spec.nfacct) {
      const f = [`name: ${JSON.stringify(o.name)}`];
      if (o.quota) f.push(`quota: {${o.quota.mode}: "${o.quota.value}"}`);
      if (o.packets !== undefined) f.push(`packets: "${o.packets}"`);
      if (o.bytes !== undefined) f.push(`bytes: "${o.bytes}"`);
      lines.push(`  - {${f.join(', ')}}`);
    }
  }
  const sysctls = BOOL_SYSCTLS.filter(([, field]) => spec.sysctl?.[field] !== undefined).map(([name, field]) => `  ${name}: ${spec.sysctl![field] ? 1 : 0}`);
  // The conntrack sysctls `conntrack:` above does not hold.
  for (const s of NF_SYSCTLS_EXTRA) {
    const v = ct ? s.get(ct) : undefined;
    if (v !== undefined) sysctls.push(`  net.netfilter.${s.name}: ${v}`);
  }
  if (sysctls.length) lines.push('sysctl:', ...sysctls);
  const modules = Object.entries(spec.modules ?? {});
  if (modules.length) {
    lines.push('modules:');
    for (const [m, params] of modules)
      lines.push(
        `  ${m}: {${Object.entries(params)
          .map(([k, v]) => `${k}: ${typeof v === 'number' ? v : `[${v.join(', ')}]`}`)
          .join(', ')}}`,
      );
  }
  if (spec.cttimeout?.length) lines.push(...cttimeoutLines(spec.cttimeout));
  return lines.join('\n') + '\n';
}

/** A counter or quota: a whole number from 0 to 2^64-1 (quoted above 2^53, where YAML numbers lose digits). */
function u64Of(node: Node | null): bigint | undefined {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) <= U64_MAX) return BigInt(v);
  return undefined;
}

/**
 * `nfacct:`: the accounting objects `nfacct add` would make before the
 * rules load, in order: each `{name, quota: {bytes: N} or {packets: N},
 * packets, bytes}` (quota and starting counters optional).
 */
function parseNfacct(entry: { pair: Pair; node: Node | null } | undefined, at: At, keysOf: KeysOf): NfacctSpec[] {
  const out: NfacctSpec[] = [];
  if (!entry) return out;
  if (!isSeq(entry.node)) {
    at(entry.node ?? (entry.pair.key as Node), 'nfacct must be a list of accounting objects, such as [{name: http}, {name: capped, quota: {bytes: 1000000}}]');
    return out;
  }
  entry.node.items.forEach((item, i) => {
    const node = item as Node;
    if (!isMap(node)) {
      at(node, 'an accounting object is a mapping with name, and optionally quota ({bytes: N} or {packets: N}), packets and bytes, such as {name: http}');
      return;
    }
    const k = keysOf(node, NFACCT_KEYS, `accounting object ${i + 1}`);
    const n = k.get('name');
    let name: string | undefined;
    if (!n) at(node, `accounting object ${i + 1} has no \`name' (what -m nfacct --nfacct-name names)`);
    else {
      const v = isScalar(n.node) && (typeof n.node.value === 'string' || typeof n.node.value === 'number') ? String(n.node.value) : undefined;
      const bytes = v === undefined ? 0 : Buffer.byteLength(v);
      if (v === undefined || bytes === 0 || bytes >= NFACCT_NAME_MAX || v.includes('\n') || v.includes('\0'))
        at(n.node, `an accounting object's name must be text of 1 to ${NFACCT_NAME_MAX - 1} bytes on one line (NFACCT_NAME_MAX)`);
      else if (out.some((o) => o.name === v)) at(n.node, `accounting object \`${v}' is listed twice (nfacct add refuses an existing name)`);
      else name = v;
    }
    let quota: NfacctSpec['quota'];
    const q = k.get('quota');
    if (q) {
      const qk = isMap(q.node) ? keysOf(q.node, ['bytes', 'packets'], `the quota of accounting object ${name ?? i + 1}`) : undefined;
      if (!qk || qk.size !== 1) at(q.node ?? (q.pair.key as Node), 'a quota is {bytes: N} or {packets: N} (nfacct add NAME byte N, or packet N)');
      else {
        const [mode, e] = [...qk.entries()][0]!;
        const value = u64Of(e.node);
        if (value === undefined) at(e.node, `a quota of ${mode} must be a whole number from 0 to ${U64_MAX} (quoted above 2^53)`);
        else quota = { mode: mode as 'bytes' | 'packets', value };
      }
    }
    const counters: { packets?: bigint; bytes?: bigint } = {};
    for (const key of ['packets', 'bytes'] as const) {
      const e = k.get(key);
      if (!e) continue;
      const v = u64Of(e.node);
      if (v === undefined) at(e.node, `an accounting object's starting ${key} must be a whole number from 0 to ${U64_MAX} (quoted above 2^53)`);
      else if (v > 0n) counters[key] = v;
    }
    if (name !== undefined) out.push({ name, ...(quota ? { quota } : {}), ...counters });
  });
  return out;
}

/** What the guesser proposes, with how it decided (print it so the user can correct it). */
export interface LocalGuess {
  readonly addrs: number[];
  readonly how: string;
}

/** Bounds of the guesser's tables, so that a capture of any size (or a flood of forged addresses) is read in bounded memory. */
const GUESS_MAX_MACS = 4096;
const GUESS_MAX_COUNTERPARTS = 64;
const GUESS_MAX_ADDRS_PER_MAC = 256;
const GUESS_MAX_SOURCES = 4096;
const GUESS_MAX_PEERS = 256;
/** At most this many addresses are proposed. */
export const GUESS_MAX_RESULT = 4;

/**
 * Proposes the firewall's own addresses from a first pass over a capture.
 *
 * How: the firewall's MAC is taken to be the one that exchanges frames
 * with the most distinct other MACs (a router talks with every host of
 * its segments and with the next router; a host, or an attacker flooding
 * the firewall from one MAC, talks with the router alone), then the one on
 * one side of the most IPv4 frames. The zero MAC of captures without a
 * link layer (raw IP, PPP) and group MACs are never candidates. Its
 * addresses are (1) the sender addresses of the ARP packets it sends (the
 * ARP sender MAC being the frame's), else (2) the IPv4 sources of frames
 * it sends with TTL 64 or 255 (Linux's initial TTLs: forwarded packets
 * arrive decremented), most frequent first, else (3) the address that
 * exchanges packets in both directions with the most distinct peers (a
 * scanner sending to many addresses that do not answer does not count).
 * Each is assumed to be a /24; at most GUESS_MAX_RESULT are proposed; every
 * table is bounded.
 */
export class LocalAddressGuesser {
  private readonly macFrames = new Map<string, number>();
  private readonly counterparts = new Map<string, Set<string>>();
  private readonly arpBy = new Map<string, Map<number, number>>();
  private readonly initialTtlBy = new Map<string, Map<number, number>>();
  /** Per source address: the destinations it sent to. */
  private readonly sentTo = new Map<number, Set<number>>();
  private frames = 0;

  private static bump<K>(m: Map<K, number>, k: K, cap: number): void {
    const n = m.get(k);
    if (n !== undefined) m.set(k, n + 1);
    else if (m.size < cap) m.set(k, 1);
  }

  private static tableFor<K, V>(m: Map<K, V>, k: K, make: () => V, cap: number): V | undefined {
    let v = m.get(k);
    if (v === undefined && m.size < cap) m.set(k, (v = make()));
    return v;
  }

  observe(data: Uint8Array): void {
    if (data.length < 14) return;
    this.frames++;
    const dst = formatMac(data, 0);
    const src = formatMac(data, 6);
    // The zero MAC is what captures without a link layer get; group MACs are never a host's own.
    const srcOk = !(data[6]! & 1) && src !== '00:00:00:00:00:00';
    const dstOk = !(data[0]! & 1) && dst !== '00:00:00:00:00:00';
    let off = 12;
    let type = (data[12]! << 8) | data[13]!;
    while ((type === 0x8100 || type === 0x88a8) && data.length >= off + 6) {
      off += 4;
      type = (data[off]! << 8) | data[off + 1]!;
    }
    if (type === ETH_P_PPP_SES && pppoeSessionEthertype(data, off + 2)) {
      type = pppoeSessionEthertype(data, off + 2);
      off += PPPOE_SES_HLEN;
    }
    off += 2;
    if (type === 0x0806 && data.length >= off + 28) {
      const sip = readIPv4(data, off + 14);
      // The ARP sender hardware address must be the frame's source: a proxy or a forger announcing for another MAC does not count.
      if (sip !== 0 && srcOk && formatMac(data, off + 8) === src) {
        const m = LocalAddressGuesser.tableFor(this.arpBy, src, () => new Map<number, number>(), GUESS_MAX_MACS);
        if (m) LocalAddressGuesser.bump(m, sip, GUESS_MAX_ADDRS_PER_MAC);
      }
      return;
    }
    if (type !== 0x0800 || data.length < off + 20) return;
    if (srcOk) LocalAddressGuesser.bump(this.macFrames, src, GUESS_MAX_MACS);
    if (dstOk) LocalAddressGuesser.bump(this.macFrames, dst, GUESS_MAX_MACS);
    if (srcOk && dstOk && src !== dst) {
      const a = LocalAddressGuesser.tableFor(this.counterparts, src, () => new Set<string>(), GUESS_MAX_MACS);
      if (a && a.size < GUESS_MAX_COUNTERPARTS) a.add(dst);
      const b = LocalAddressGuesser.tableFor(this.counterparts, dst, () => new Set<string>(), GUESS_MAX_MACS);
      if (b && b.size < GUESS_MAX_COUNTERPARTS) b.add(src);
    }
    const ttl = data[off + 8]!;
    const sa = readIPv4(data, off + 12);
    const da = readIPv4(data, off + 16);
    if ((ttl === 64 || ttl === 255) && srcOk) {
      const m = LocalAddressGuesser.tableFor(this.initialTtlBy, src, () => new Map<number, number>(), GUESS_MAX_MACS);
      if (m) LocalAddressGuesser.bump(m, sa, GUESS_MAX_ADDRS_PER_MAC);
    }
    const p = LocalAddressGuesser.tableFor(this.sentTo, sa, () => new Set<number>(), GUESS_MAX_SOURCES);
    if (p && p.size < GUESS_MAX_PEERS) p.add(da);
  }

  propose(): LocalGuess {
    let busiest: string | undefined;
    let bestParts = 0;
    let most = 0;
    for (const [mac, n] of this.macFrames) {
      const parts = this.counterparts.get(mac)?.size ?? 0;
      if (parts > bestParts || (parts === bestParts && n > most)) [busiest, bestParts, most] = [mac, parts, n];
    }
    const usable = (a: number): boolean => a >>> 24 !== 127 && a >>> 24 !== 0 && a >>> 28 < 0xe && a !== 0xffffffff;
    // Most frequent first, then in address order; at most GUESS_MAX_RESULT.
    const top = (m: Map<number, number> | undefined): number[] =>
      [...(m ?? new Map<number, number>())]
        .filter(([a]) => usable(a))
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, GUESS_MAX_RESULT)
        .map(([a]) => a)
        .sort((a, b) => a - b);
    const side = `on one side of ${most} of ${this.frames} frames, talking with ${bestParts}${bestParts >= GUESS_MAX_COUNTERPARTS ? ' or more' : ''} other MACs`;
    if (busiest) {
      const arp = top(this.arpBy.get(busiest));
      if (arp.length) return { addrs: arp, how: `the addresses MAC ${busiest} (${side}) announces in ARP` };
      const ttl = top(this.initialTtlBy.get(busiest));
      if (ttl.length)
        return {
          addrs: ttl,
          how: `IPv4 sources of frames sent by MAC ${busiest} (${side}) with an initial TTL (64 or 255), i.e. not forwarded`,
        };
    }
    // Peers in both directions: it sent to them and they sent to it.
    let best: number | undefined;
    let bestPeers = 0;
    for (const [a, to] of this.sentTo) {
      if (!usable(a) || to.size <= bestPeers) continue;
      let both = 0;
      for (const d of to) if (this.sentTo.get(d)?.has(a)) both++;
      if (both > bestPeers) [best, bestPeers] = [a, both];
    }
    if (best !== undefined) return { addrs: [best], how: `the address exchanging packets both ways with the most distinct peers (${bestPeers})` };
    return { addrs: [], how: 'no IPv4 traffic to guess from' };
  }
}
