/**
 * `-m bpf` (net/netfilter/xt_bpf.c, extensions/libxt_bpf.c), both
 * families: `--bytecode "N,code jt jf k,..."` runs a classic BPF program
 * (what `nfbpf_compile RAW 'filter'` or `tcpdump -y RAW -ddd 'filter'`
 * print) on the packet, whose data starts at its IPv4 or IPv6 header; the
 * rule matches when the program returns anything but 0. `--object-pinned
 * PATH` (an eBPF program pinned in the BPF file system) is refused: the
 * guest has no BPF file system and runs no eBPF programs. Neither option
 * can be inverted.
 *
 * Parsing follows libxt_bpf's sscanf: the count, a comma, then each
 * instruction after a comma as four decimal numbers (a sign and leading
 * white space accepted, values kept modulo their field's size: code 16
 * bits, jt and jf 8, k 32; what follows the fourth number up to the next
 * comma is ignored), at most 64 instructions (XT_BPF_MAX_NUM_INSTR).
 * iptables-save prints `--bytecode "N,code jt jf k,..."` in decimal.
 *
 * At load the kernel's classic BPF checks (bpf_check_classic,
 * check_load_and_stores) refuse, with EINVAL: an unknown instruction, a
 * division or modulo by the constant 0, a shift by a constant of 32 or
 * more, a scratch cell past M[15], a jump past the last instruction, an
 * unknown ancillary load (k at or above SKF_AD_OFF), a last instruction
 * that is not a return, and a scratch cell read before it is written on
 * some path. cofw names the instruction and the reason.
 *
 * Running follows the kernel's conversion to eBPF (bpf_convert_filter):
 * A and X start at 0; arithmetic is unsigned 32-bit, a shift by X shifts
 * by X mod 32, a division or modulo by an X of 0 ends the program with 0;
 * a packet load (`ld [k]`, `ld [x + k]`, `ldx 4*([k]&0xf)`) outside the
 * packet ends it with 0. Offsets from SKF_NET_OFF read from the network
 * header; offsets from SKF_LL_OFF from the link-layer header, when the
 * packet has one (received packets; not those the firewall sends itself).
 * `len` is the IP packet's length. The ancillary loads read the packet's
 * metadata as on the reference kernel's veth interfaces: protocol
 * (0x0800/0x86dd), pkttype, ifindex and hatype of skb->dev (the input
 * device in PREROUTING, INPUT and FORWARD, the output device in
 * POSTROUTING, none in OUTPUT, where the program ends returning A), mark,
 * payload offset (the flow dissector's), queue (skb->queue_mapping: 0 as
 * received, `SET --map-queue` sets it), rxhash and the VLAN fields (0), the CPU (0, as `-m cpu`), a pseudo-random number, netlink attribute
 * lookups and `A ^= X`.
 *
 * @example
 * -A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j ACCEPT
 */
import { Family } from '../../packet/inet-addr.js';
import { cStrtoumax } from '../args.js';
import { Hook, type NetDevice, type Skb, type XtParams } from '../types.js';
import { CheckError, defineMatch, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { checkUses } from './util.js';

/** XT_BPF_MAX_NUM_INSTR. */
export const BPF_MAX_INSNS = 64;
/** BPF_MEMWORDS: the scratch cells M[0..15]. */
const MEMWORDS = 16;

// Classic BPF opcodes (linux/bpf_common.h, linux/filter.h).
const LD = 0x00;
const LDX = 0x01;
const ST = 0x02;
const STX = 0x03;
const ALU = 0x04;
const JMP = 0x05;
const RET = 0x06;
const MISC = 0x07;
const W = 0x00;
const H = 0x08;
const B = 0x10;
const IMM = 0x00;
const ABS = 0x20;
const IND = 0x40;
const MEM = 0x60;
const LEN = 0x80;
const MSH = 0xa0;
const K = 0x00;
const X = 0x08;
const A = 0x10;
const ADD = 0x00;
const SUB = 0x10;
const MUL = 0x20;
const DIV = 0x30;
const OR = 0x40;
const AND = 0x50;
const LSH = 0x60;
const RSH = 0x70;
const NEG = 0x80;
const MOD = 0x90;
const XOR = 0xa0;
const JA = 0x00;
const JEQ = 0x10;
const JGT = 0x20;
const JGE = 0x30;
const JSET = 0x40;
const TAX = 0x00;
const TXA = 0x80;

/** SKF_AD_OFF, SKF_NET_OFF, SKF_LL_OFF as unsigned 32-bit k values. */
const SKF_AD_OFF = 0xfffff000;
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** The ancillary loads (SKF_AD_*), by offset from SKF_AD_OFF. */
export const enum Anc {
  Protocol = 0,
  PktType = 4,
  IfIndex = 8,
  NlAttr = 12,
  NlAttrNest = 16,
  Mark = 20,
  Queue = 24,
  HaType = 28,
  RxHash = 32,
  Cpu = 36,
  AluXorX = 40,
  VlanTag = 44,
  VlanTagPresent = 48,
  PayOffset = 52,
  Random = 56,
  VlanTpid = 60,
}
const ANCILLARY = new Set([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]);

/** The instructions chk_code_allowed lets through. */
const ALLOWED = new Set<number>([
  ...[ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH].flatMap((op) => [ALU | op | K, ALU | op | X]),
  ALU | NEG,
  LD | W | ABS,
  LD | H | ABS,
  LD | B | ABS,
  LD | W | LEN,
  LD | W | IND,
  LD | H | IND,
  LD | B | IND,
  LD | IMM,
  LD | MEM,
  LDX | W | LEN,
  LDX | B | MSH,
  LDX | IMM,
  LDX | MEM,
  ST,
  STX,
  MISC | TAX,
  MISC | TXA,
  RET | K,
  RET | A,
  JMP | JA,
  ...[JEQ, JGE, JGT, JSET].flatMap((op) => [JMP | op | K, JMP | op | X]),
]);

/** A classic BPF program, one instruction per index. */
export interface BpfProgram {
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
}

export interface BpfConfig {
  readonly prog: BpfProgram;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'bytecode', args: 1 },
  { name: 'object-pinned', args: 1 },
];

/** scanf's %u (%hu, %hhu): decimal strtoul kept modulo 2^bits, or undefined when no number starts at `from`. */
function scanUnsigned(text: string, from: number, bits: 8 | 16 | 32): { value: number; end: number } | undefined {
  const r = cStrtoumax(text, from, 10);
  if (r.end === from) return undefined;
  return { value: Number(BigInt.asUintN(bits, r.value)), end: r.end };
}

/** libxt_bpf's bpf_parse_string: the program in `text`, or an OptionError with iptables' message. */
export function parseBytecode(text: string, use?: OptionUse): BpfProgram {
  const fail = (msg: string): never => {
    throw new OptionError(`bpf: ${msg}`, use);
  };
  const head = scanUnsigned(text, 0, 16);
  if (!head || text[head.end] !== ',') fail('error parsing program length');
  const len = head!.value;
  if (len === 0) fail('illegal zero length program');
  if (len > BPF_MAX_INSNS) fail('number of instructions exceeds maximum');
  const prog: BpfProgram = { code: new Uint16Array(len), jt: new Uint8Array(len), jf: new Uint8Array(len), k: new Uint32Array(len) };
  let i = 0;
  let token = 0;
  for (;;) {
    const comma = text.indexOf(',', token);
    if (comma < 0 || comma + 1 >= text.length) break;
    token = comma + 1;
    if (i >= len) fail('real program length exceeds the encoded length parameter');
    const code = scanUnsigned(text, token, 16);
    const jt = code && scanUnsigned(text, code.end, 8);
    const jf = jt && scanUnsigned(text, jt.end, 8);
    const k = jf && scanUnsigned(text, jf.end, 32);
    if (!k) fail(`error at instr ${i}`);
    prog.code[i] = code!.value;
    prog.jt[i] = jt!.value;
    prog.jf[i] = jf!.value;
    prog.k[i] = k!.value;
    i++;
  }
  if (i !== len) fail('parsed program length is less than the encoded length parameter');
  return prog;
}

/** The program as iptables-save prints it: `N,code jt jf k,...`. */
export function formatBytecode(p: BpfProgram): string {
  const parts = [String(p.code.length)];
  for (let i = 0; i < p.code.length; i++) parts.push(`${p.code[i]} ${p.jt[i]} ${p.jf[i]} ${p.k[i]}`);
  return `${parts[0]},${parts.slice(1).join(',')}`;
}

/**
 * bpf_check_classic and check_load_and_stores: why the kernel refuses the
 * program (EINVAL), or undefined when it takes it.
 */
export function classicBpfProblem(p: BpfProgram): string | undefined {
  const n = p.code.length;
  const at = (pc: number, why: string): string => `instruction ${pc} (${p.code[pc]} ${p.jt[pc]} ${p.jf[pc]} ${p.k[pc]}) ${why}`;
  for (let pc = 0; pc < n; pc++) {
    const code = p.code[pc]!;
    const k = p.k[pc]!;
    if (!ALLOWED.has(code)) return at(pc, `is not a classic BPF instruction the kernel accepts (code ${code})`);
    switch (code) {
      case ALU | DIV | K:
      case ALU | MOD | K:
        if (k === 0) return at(pc, `divides by the constant 0`);
        break;
      case ALU | LSH | K:
      case ALU | RSH | K:
        if (k >= 32) return at(pc, `shifts by ${k}, 32 or more`);
        break;
      case LD | MEM:
      case LDX | MEM:
      case ST:
      case STX:
        if (k >= MEMWORDS) return at(pc, `names scratch cell M[${k}]; there are 16, M[0] to M[15]`);
        break;
      case JMP | JA:
        if (k >= n - pc - 1) return at(pc, `jumps past the program's last instruction`);
        break;
      case JMP | JEQ | K:
      case JMP | JEQ | X:
      case JMP | JGE | K:
      case JMP | JGE | X:
      case JMP | JGT | K:
      case JMP | JGT | X:
      case JMP | JSET | K:
      case JMP | JSET | X:
        if (pc + p.jt[pc]! + 1 >= n || pc + p.jf[pc]! + 1 >= n) return at(pc, `jumps past the program's last instruction`);
        break;
      case LD | W | ABS:
      case LD | H | ABS:
      case LD | B | ABS:
        if (k >= SKF_AD_OFF && !ANCILLARY.has(k - SKF_AD_OFF)) {
          return at(pc, `loads ancillary data SKF_AD_OFF+${k - SKF_AD_OFF}, which the kernel does not know`);
        }
        break;
    }
  }
  const last = p.code[n - 1]!;
  if (last !== (RET | K) && last !== (RET | A)) return at(n - 1, 'is the last and not a return (code 6 or 22)');
  // check_load_and_stores: a cell is read only after every path to the read wrote it.
  const masks = new Uint16Array(n).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    valid &= masks[pc]!;
    const code = p.code[pc]!;
    const k = p.k[pc]!;
    if (code === ST || code === STX) valid |= 1 << k;
    else if (code === (LD | MEM) || code === (LDX | MEM)) {
      if (!(valid & (1 << k))) return at(pc, `reads scratch cell M[${k}] before the program has written it on every path there`);
    } else if (code === (JMP | JA)) {
      masks[pc + 1 + k] = masks[pc + 1 + k]! & valid;
      valid = 0xffff;
    } else if ((code & 0x07) === JMP) {
      const t = pc + 1 + p.jt[pc]!;
      const f = pc + 1 + p.jf[pc]!;
      masks[t] = masks[t]! & valid;
      masks[f] = masks[f]! & valid;
      valid = 0xffff;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Running

/** The scratch cells, reused (a program never reads a cell it has not written). */
const M = new Uint32Array(MEMWORDS);
/** A load outside the packet. */
const FAULT = -1;
/** A load in bytes the capture cut off. */
const CUT = -2;

/** The byte at `i` of the frame that starts with the link-layer header `mac` and goes on with `data`. */
function frameByte(mac: Uint8Array, data: Uint8Array, i: number): number {
  return i < mac.length ? mac[i]! : data[i - mac.length]!;
}

/**
 * bpf_skb_load_helper_{8,16,32} on the packet (skb->data at the network
 * header, skb->len its length): the big-endian value of `size` bytes at
 * `offset` (an int), FAULT when outside, CUT when in bytes the capture
 * did not keep.
 */
function load(skb: Skb, offset: number, size: number): number {
  let v = 0;
  if (offset >= SKF_NET_OFF) {
    const off = offset >= 0 ? offset : offset - SKF_NET_OFF;
    if (off + size > skb.totLen) return FAULT;
    if (off + size > skb.len) return CUT;
    const d = skb.data;
    for (let i = 0; i < size; i++) v = v * 256 + d[off + i]!;
    return v;
  }
  if (offset < SKF_LL_OFF) return FAULT;
  const mac = skb.mac;
  if (mac === null) return FAULT;
  const off = offset - SKF_LL_OFF;
  if (off + size > mac.length + skb.totLen) return FAULT;
  if (off + size > mac.length + skb.len) return CUT;
  for (let i = 0; i < size; i++) v = v * 256 + frameByte(mac, skb.data, off + i);
  return v;
}

/** skb->dev while the packet is in a hook: the input device, the output device in POSTROUTING, none in OUTPUT. */
export function skbDev(par: XtParams): NetDevice | null {
  return par.hook === Hook.PostRouting ? par.outDev : par.hook === Hook.LocalOut ? null : par.inDev;
}

/** ARPHRD_LOOPBACK and ARPHRD_ETHER: dev->type. */
const hatype = (d: NetDevice): number => (d.name === 'lo' ? 772 : 1);

/** sizeof the transport header __skb_get_poff skips, by protocol. */
function l4Size(skb: Skb, proto: number, thoff: number): number {
  switch (proto) {
    case 6: {
      if (thoff + 13 > skb.len) return 0;
      return Math.max(20, (skb.data[thoff + 12]! & 0xf0) >> 2);
    }
    case 17:
    case 136:
    case 1:
    case 58:
    case 2:
      return 8;
    case 33:
    case 132:
      return 12;
  }
  return 0;
}

/**
 * skb_get_poff: where the payload starts as the flow dissector sees it
 * (the transport header's offset plus its length; a later fragment's
 * transport offset), 0 when it cannot read the headers. An IPv4 or IPv6
 * packet inside IPv4 or IPv6 (protocols 4, 41) is followed.
 */
function payOffset(skb: Skb): number {
  const d = skb.data;
  let family = skb.family;
  let nh = 0;
  for (let depth = 0; depth < 15; depth++) {
    let proto: number;
    let off: number;
    if (family === Family.V4) {
      if (nh + 20 > skb.len) return 0;
      const ihl = d[nh]! & 0x0f;
      if (ihl < 5) return 0;
      off = nh + ihl * 4;
      proto = d[nh + 9]!;
      const frag = ((d[nh + 6]! << 8) | d[nh + 7]!) & 0x3fff;
      if (frag & 0x1fff) return off;
      if (frag) return off + l4Size(skb, proto, off); // a first fragment
    } else {
      if (nh + 40 > skb.len) return 0;
      off = nh + 40;
      proto = d[nh + 6]!;
      for (;;) {
        if (proto === 0 || proto === 43 || proto === 60) {
          if (off + 2 > skb.len) return 0;
          proto = d[off]!;
          off += (d[off + 1]! + 1) * 8;
        } else if (proto === 44) {
          if (off + 8 > skb.len) return 0;
          proto = d[off]!;
          const later = ((d[off + 2]! << 8) | d[off + 3]!) & 0xfff8;
          off += 8;
          if (later) return off;
          return off + l4Size(skb, proto, off);
        } else break;
      }
    }
    if (proto === 4 || proto === 41) {
      family = proto === 4 ? Family.V4 : Family.V6;
      nh = off;
      continue;
    }
    return off + l4Size(skb, proto, off);
  }
  return 0;
}

/** nla_find over the packet from `at` to its end: the offset of the first attribute of `type`, or 0. */
function nlaFind(skb: Skb, at: number, end: number, type: number): number {
  const d = skb.data;
  let rem = end - at;
  let p = at;
  while (rem >= 4) {
    const len = d[p]! | (d[p + 1]! << 8);
    if (len < 4 || len > rem) break;
    if (((d[p + 2]! | (d[p + 3]! << 8)) & 0x3fff) === type) return p;
    const step = (len + 3) & ~3;
    p += step;
    rem -= step;
  }
  return 0;
}

/** bpf_skb_get_nlattr(_nest): A is the offset, X the attribute type. */
function nlattr(skb: Skb, a: number, x: number, nest: boolean): number {
  const len = skb.len;
  if (len < 4 || a > len - 4) return 0;
  if (!nest) return nlaFind(skb, a, len, x);
  const nlaLen = skb.data[a]! | (skb.data[a + 1]! << 8);
  if (nlaLen > len - a) return 0;
  return nlaFind(skb, a + 4, a + nlaLen, x);
}

/** The guest's prandom for SKF_AD_RANDOM: a fixed-seed xorshift, so that replays repeat. */
let rnd = 0x2545f491;
function random(): number {
  rnd ^= rnd << 13;
  rnd ^= rnd >>> 17;
  rnd ^= rnd << 5;
  return rnd >>> 0;
}

/** An ancillary load: A's new value, or the value the program ends with (`end` set). */
function ancillary(skb: Skb, par: XtParams, anc: number, a: number, x: number, out: { end: boolean }): number {
  switch (anc) {
    case Anc.Protocol:
      return skb.family === Family.V6 ? 0x86dd : 0x0800;
    case Anc.PktType:
      return skb.pktType & 7;
    case Anc.IfIndex:
    case Anc.HaType: {
      const dev = skbDev(par);
      if (dev === null) {
        out.end = true;
        return a;
      }
      return anc === Anc.IfIndex ? dev.index : hatype(dev);
    }
    case Anc.NlAttr:
    case Anc.NlAttrNest:
      return nlattr(skb, a, x, anc === Anc.NlAttrNest);
    case Anc.Mark:
      return skb.mark >>> 0;
    case Anc.Queue:
      return skb.queueMapping;
    case Anc.Cpu:
      return (par.cpu ?? 0) >>> 0;
    case Anc.AluXorX:
      return (a ^ x) >>> 0;
    case Anc.PayOffset:
      return payOffset(skb);
    case Anc.Random:
      return random();
  }
  return 0; // rxhash, VLAN tag, its presence and TPID
}

const ancOut = { end: false };

/**
 * Runs the program on the packet: its return value (unsigned). A load in
 * bytes the capture cut off sets `par.hotdrop` and returns 0.
 */
export function runBpf(p: BpfProgram, skb: Skb, par: XtParams): number {
  let a = 0;
  let x = 0;
  const n = p.code.length;
  for (let pc = 0; pc < n; pc++) {
    const code = p.code[pc]!;
    const k = p.k[pc]!;
    switch (code) {
      case RET | K:
        return k;
      case RET | A:
        return a;
      case LD | W | ABS:
      case LD | H | ABS:
      case LD | B | ABS:
      case LD | W | IND:
      case LD | H | IND:
      case LD | B | IND: {
        if ((code & 0xe0) === ABS && k >= SKF_AD_OFF) {
          ancOut.end = false;
          const v = ancillary(skb, par, k - SKF_AD_OFF, a, x, ancOut);
          if (ancOut.end) return v;
          a = v;
          break;
        }
        const size = (code & 0x18) === W ? 4 : (code & 0x18) === H ? 2 : 1;
        const offset = (code & 0xe0) === IND ? (x + k) | 0 : k | 0;
        const v = load(skb, offset, size);
        if (v < 0) {
          if (v === CUT) par.hotdrop = true;
          return 0;
        }
        a = v;
        break;
      }
      case LDX | B | MSH: {
        const v = load(skb, k | 0, 1);
        if (v < 0) {
          if (v === CUT) par.hotdrop = true;
          return 0;
        }
        x = (v & 0xf) << 2;
        break;
      }
      case LD | W | LEN:
        a = skb.totLen;
        break;
      case LDX | W | LEN:
        x = skb.totLen;
        break;
      case LD | IMM:
        a = k;
        break;
      case LDX | IMM:
        x = k;
        break;
      case LD | MEM:
        a = M[k]!;
        break;
      case LDX | MEM:
        x = M[k]!;
        break;
      case ST:
        M[k] = a;
        break;
      case STX:
        M[k] = x;
        break;
      case MISC | TAX:
        x = a;
        break;
      case MISC | TXA:
        a = x;
        break;
      case JMP | JA:
        pc += k;
        break;
      case JMP | JEQ | K:
        pc += a === k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case JMP | JEQ | X:
        pc += a === x ? p.jt[pc]! : p.jf[pc]!;
        break;
      case JMP | JGT | K:
        pc += a > k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case JMP | JGT | X:
        pc += a > x ? p.jt[pc]! : p.jf[pc]!;
        break;
      case JMP | JGE | K:
        pc += a >= k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case JMP | JGE | X:
        pc += a >= x ? p.jt[pc]! : p.jf[pc]!;
        break;
      case JMP | JSET | K:
        pc += a & k ? p.jt[pc]! : p.jf[pc]!;
        break;
      case JMP | JSET | X:
        pc += a & x ? p.jt[pc]! : p.jf[pc]!;
        break;
      case ALU | NEG:
        a = -a >>> 0;
        break;
      default: {
        // ALU with K or X.
        const v = code & X ? x : k;
        switch (code & 0xf0) {
          case ADD:
            a = (a + v) >>> 0;
            break;
          case SUB:
            a = (a - v) >>> 0;
            break;
          case MUL:
            a = Math.imul(a, v) >>> 0;
            break;
          case DIV:
            if (v === 0) return 0;
            a = Math.floor(a / v) >>> 0;
            break;
          case MOD:
            if (v === 0) return 0;
            a = (a % v) >>> 0;
            break;
          case OR:
            a = (a | v) >>> 0;
            break;
          case AND:
            a = (a & v) >>> 0;
            break;
          case XOR:
            a = (a ^ v) >>> 0;
            break;
          case LSH:
            a = (a << (v & 31)) >>> 0;
            break;
          case RSH:
            a = a >>> (v & 31);
            break;
        }
      }
    }
  }
  return 0; // not reached: the check makes the last instruction a return
}

export const bpfMatch = defineMatch<BpfConfig>({
  name: 'bpf',
  options: OPTIONS,
  parse(uses) {
    checkUses('bpf', uses);
    const pinned = uses.find((u) => u.spec.name === 'object-pinned');
    if (pinned) {
      throw new OptionError(
        `bpf: --object-pinned ${pinned.args[0] ?? ''} names an eBPF program pinned in the BPF file system; cofw's guest has no BPF file system and runs no eBPF programs: give the program as classic BPF with --bytecode (nfbpf_compile RAW 'filter', or tcpdump -y RAW -ddd 'filter' joined with commas after the count)`,
        pinned,
      );
    }
    const u = uses.find((x) => x.spec.name === 'bytecode');
    if (!u) throw new OptionError('bpf: one of --bytecode or --pinned is required');
    return { prog: parseBytecode(u.args[0] ?? '', u) };
  },
  check(c) {
    const why = classicBpfProblem(c.prog);
    if (why) throw new CheckError(`bpf: the kernel's classic BPF check refuses the program: ${why} (Invalid argument)`);
  },
  save(c) {
    return `--bytecode "${formatBytecode(c.prog)}"`;
  },
  match(c, skb, par) {
    return runBpf(c.prog, skb, par) !== 0 && !par.hotdrop;
  },
});
