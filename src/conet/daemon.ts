/**
 * The host side of conet: the daemon that takes frames from the captures
 * (as a bridged NIC takes them from the wire), decides where each enters
 * the guest, numbers it, keeps it while it is in flight (sent to the guest,
 * fate not yet back), and pairs every fate the guest reports with its
 * frame. Only in-flight frames are held, in a ring indexed by frame number
 * (no object per frame: a frame of a capture's batch is kept as the batch
 * and its place in it), with a map for the rare frame the guest keeps
 * longer (a fragment waiting for the rest).
 *
 * The ingress decision:
 * 1. A frame whose IPv4 or IPv6 source is one of the guest's own addresses
 *    is locally generated: it takes the OUTPUT path, unless the capture
 *    says it was received (a pcapng interface name that names a guest
 *    interface and the inbound direction flag): then it arrives on that
 *    interface, as a spoofed or reflected packet with the firewall's own
 *    source would.
 * 2. A pcapng interface name that names a guest interface (`eth1`) decides
 *    the receiving unit.
 * 3. Any other IPv4 or IPv6 frame enters on the unit of the route back to
 *    its source in its family's table (connected subnets first, the default
 *    route last).
 * 4. Other frames (ARP...) enter on the named unit or eth0; the guest's
 *    bridge passes them unfiltered (fate Bridged), as it passes IPv6 for now.
 * 5. When the interface so decided is a bridge (machine file `bridges:`),
 *    the frame enters by one of its ports: the port whose `from:` names
 *    its source MAC, else its source address (longest prefix; for ARP the
 *    sender's), else the bridge's first port. A pcapng interface name
 *    that names a port decides, as for any interface.
 *
 * Conservation: every frame submitted gets exactly one fate of its own;
 * generated packets are counted apart. A fate for an unknown frame, a
 * second fate for a frame, or a frame left without one at the end is an
 * internal error (ConservationError), never a silent mismatch.
 */
import { Fib } from '../net/fib.js';
import type { FateMsg } from '../machine/passage/index.js';
import type { FailPolicy, MachineSpec } from '../machine/spec.js';
import { FateKind } from '../netfilter/fate.js';
import { readIPv4 } from '../packet/addr.js';
import { Family, InetAddr } from '../packet/inet-addr.js';
import { ETH_P_PPP_SES, PPPOE_SES_HLEN, pppoeSessionEthertype } from '../packet/pppoe.js';
import type { NetDevice } from '../netfilter/types.js';
import { bigintNs, nsecOfBigint, nsecOfWords, secOfBigint, secOfWords } from '../capture/timestamp.js';
import type { FrameBatch } from '../capture/batch.js';

/** The host's accounting does not add up: a bug in cofw, never in the input. */
export class ConservationError extends Error {
  override readonly name = 'ConservationError';
}

export interface Ingress {
  /** conet unit the frame is delivered to. */
  readonly unit: number;
  /** Locally generated: handed to the guest's OUTPUT path. */
  readonly output: boolean;
}

/** Offset of the network header after Ethernet and any 802.1Q/802.1ad tags, and its ethertype. */
export function etherPayload(data: Uint8Array): { off: number; type: number } {
  if (data.length < 14) return { off: data.length, type: -1 };
  let off = 12;
  let type = (data[12]! << 8) | data[13]!;
  while ((type === 0x8100 || type === 0x88a8) && data.length >= off + 6) {
    off += 4;
    type = (data[off]! << 8) | data[off + 1]!;
  }
  // PPPoE session frames: the IP packet they carry.
  if (type === ETH_P_PPP_SES) {
    const inner = pppoeSessionEthertype(data, off + 2);
    if (inner) return { off: off + 2 + PPPOE_SES_HLEN, type: inner };
  }
  return { off: off + 2, type };
}

/**
 * The port of bridge `br` a frame from `src` (its source address, or
 * null) enters by: the port whose `from:` names the frame's source MAC,
 * else the one whose `from:` holds `src` (longest prefix), else the first.
 */
export function bridgePort(br: NetDevice, devices: readonly NetDevice[], frame: Uint8Array, src: InetAddr | null): number {
  const ports = br.bridge!.ports.map((n) => devices.find((d) => d.name === n)).filter((d): d is NetDevice => d !== undefined && d.unit >= 0);
  if (frame.length >= 12) for (const p of ports) if (p.from?.macs.some((m) => m.every((b, i) => b === frame[6 + i]))) return p.unit;
  let best: NetDevice | undefined;
  let bestLen = -1;
  if (src)
    for (const p of ports)
      for (const n of p.from?.nets ?? [])
        if (n.addr.family === src.family && n.prefix > bestLen && src.inNet(n.addr, InetAddr.mask(src.family, n.prefix))) {
          best = p;
          bestLen = n.prefix;
        }
  return (best ?? ports[0])?.unit ?? 0;
}

/** Decides the ingress of one frame (see the module comment). */
export function decideIngress(
  frame: { data: Uint8Array; ifName?: string | undefined; direction?: 'in' | 'out' | undefined },
  fib: Fib,
  devices: readonly NetDevice[],
): Ingress {
  const byName = frame.ifName !== undefined ? devices.find((d) => d.name === frame.ifName && (d.unit >= 0 || d.bridge)) : undefined;
  const first = devices.find((d) => d.unit >= 0)?.unit ?? 0;
  const { off, type } = etherPayload(frame.data);
  let src: InetAddr | null = null;
  if (type === 0x0800 && frame.data.length >= off + 20) src = InetAddr.v4(readIPv4(frame.data, off + 12));
  else if (type === 0x86dd && frame.data.length >= off + 40) src = new InetAddr().readV6(frame.data, off + 8);
  else if (type === 0x0806 && frame.data.length >= off + 18) src = InetAddr.v4(readIPv4(frame.data, off + 14));
  const unitOf = (dev: NetDevice | null | undefined): number | undefined =>
    !dev ? undefined : dev.unit >= 0 ? dev.unit : dev.bridge ? bridgePort(dev, devices, frame.data, src) : undefined;
  const named = unitOf(byName);
  // Received, says the capture: arriving on the named interface whatever its source.
  if (named !== undefined && frame.direction === 'in') return { unit: named, output: false };
  if (src && type !== 0x0806) {
    const v6 = src.family === Family.V6;
    if (v6 ? fib.v6.isLocal(src) : fib.isLocalV4(src.w0)) return { unit: named ?? first, output: true };
    if (named !== undefined) return { unit: named, output: false };
    return { unit: unitOf(v6 ? fib.v6.deviceFor(src) : fib.deviceForV4(src.w0)) ?? first, output: false };
  }
  if (named !== undefined) return { unit: named, output: false };
  // ARP: by a bridge's port when the route back to its sender is the bridge (else on the first interface, as other frames).
  if (src) {
    const dev = fib.deviceForV4(src.w0);
    if (dev?.bridge) return { unit: bridgePort(dev, devices, frame.data, src), output: false };
  }
  return { unit: first, output: false };
}

/**
 * A Linux cooked capture (SLL, SLL2) keeps the packet type the receiving
 * kernel gave a frame but not its link-layer destination, which the reader
 * leaves zero. The conet bridge hands the guest an Ethernet frame whose
 * destination says the same as the packet type, since the guest's stack
 * (and `-m pkttype`, LOG's MAC=) reads it from there: broadcast
 * ff:ff:ff:ff:ff:ff, IPv4 multicast 01:00:5e plus the group's low 23 bits
 * (IPv6 33:33 plus its low 32), to this host the receiving interface's
 * MAC. Other types (another host's, outgoing) and frames whose destination
 * is not zero are left as they are.
 */
export function restoreDestination(frame: Uint8Array, pktType: number, ifMac: Uint8Array | undefined): void {
  if (frame.length < 14 || frame[0] || frame[1] || frame[2] || frame[3] || frame[4] || frame[5]) return;
  if (pktType === 0) {
    if (ifMac && ifMac.length === 6) frame.set(ifMac, 0);
  } else if (pktType === 1) {
    frame.fill(0xff, 0, 6);
  } else if (pktType === 2) {
    const { off, type } = etherPayload(frame);
    if (type === 0x0800 && frame.length >= off + 20) frame.set([0x01, 0x00, 0x5e, frame[off + 17]! & 0x7f, frame[off + 18]!, frame[off + 19]!], 0);
    else if (type === 0x86dd && frame.length >= off + 40) frame.set([0x33, 0x33, frame[off + 36]!, frame[off + 37]!, frame[off + 38]!, frame[off + 39]!], 0);
    else frame.set([0x01, 0x00, 0x5e, 0, 0, 0], 0);
  }
}

/** What a frame source gives the daemon (CaptureFrame has it). */
export interface SourceFrame {
  /** Its time: seconds since 1970 and nanoseconds in that second (see CaptureFrame). */
  readonly tsSec: number;
  readonly tsNsec: number;
  /** The same as one BigInt (read only for what is rare: a fate the host gives it). */
  readonly tsNs: bigint;
  readonly data: Uint8Array;
  readonly origLen: number;
  readonly ifName?: string | undefined;
  /** pcapng direction flag: `in` with an interface name makes the frame arrive there even from an own address. */
  readonly direction?: 'in' | 'out' | undefined;
  readonly file: string;
  readonly index: number;
}

/**
 * A frame of a batch (FrameBatch) as a SourceFrame: one record the daemon
 * points at each frame in turn, valid during the call it is handed to.
 * Its `data` is made (a view) only when read.
 */
class BatchFrame implements SourceFrame {
  private b: FrameBatch | undefined;
  private i = 0;
  private view: Uint8Array | undefined;

  set(b: FrameBatch, i: number): this {
    this.b = b;
    this.i = i;
    this.view = undefined;
    return this;
  }

  get tsSec(): number {
    return this.b!.tsSec[this.i]!;
  }
  get tsNsec(): number {
    return this.b!.tsNsec[this.i]!;
  }
  get tsNs(): bigint {
    return bigintNs(this.tsSec, this.tsNsec);
  }
  get data(): Uint8Array {
    return (this.view ??= this.b!.data(this.i));
  }
  get origLen(): number {
    return this.b!.origLen[this.i]!;
  }
  get ifName(): string | undefined {
    return this.b!.extra[this.i]?.ifName;
  }
  get direction(): 'in' | 'out' | undefined {
    return this.b!.extra[this.i]?.direction;
  }
  get file(): string {
    return this.b!.file[this.i]!;
  }
  get index(): number {
    return this.b!.index[this.i]!;
  }
}

/**
 * Where every fate goes, paired with what the host knows of its frame:
 * `frame` is the captured frame it belongs to (absent for generated
 * packets; a frame submitted from a batch is a reused record, valid during
 * the call), `unit` the conet unit that frame entered on (-1 without one),
 * `tsSec` and `tsNsec` the time to write it with (the frame's capture time,
 * or the guest's clock for generated packets), in seconds since 1970 and
 * nanoseconds in that second. `fate` may be a reused record:
 * valid during the call. `output` says the frame took the OUTPUT path
 * (locally generated).
 */
export type OutcomeSink = (fate: FateMsg, frame: SourceFrame | undefined, unit: number, tsSec: number, tsNsec: number, output?: boolean) => void;

/** In the ring's unit slot: the frame took the OUTPUT path (units are below 16). */
const OUTPUT_BIT = 64;

/** Kinds that are a captured frame's own fate (the others are generated packets). */
const OWN_FATE: boolean[] = [];
for (const k of [
  FateKind.Forwarded,
  FateKind.Delivered,
  FateKind.Sent,
  FateKind.DroppedByRule,
  FateKind.DroppedByPolicy,
  FateKind.DroppedByStack,
  FateKind.Bridged,
  FateKind.FailPolicy,
  FateKind.Outbound,
])
  OWN_FATE[k] = true;

/** Slots in the in-flight ring; frames kept longer than a ring's worth of later frames move to a map. */
const RING = 1 << 16;
const MASK = RING - 1;

export class ConetDaemon {
  readonly fib: Fib;
  // Frames in flight, by frame number: a ring for the common case (fates come back within a batch or
  // two), a map for the few the guest keeps for long (fragments waiting for reassembly).
  private readonly ringFrame: Array<SourceFrame | undefined> = new Array<SourceFrame | undefined>(RING).fill(undefined);
  // A frame submitted from a batch: the batch and its place there (ringFrame undefined).
  private readonly ringBatch: Array<FrameBatch | undefined> = new Array<FrameBatch | undefined>(RING).fill(undefined);
  private readonly ringIdx = new Int32Array(RING);
  /** The record a batch's frame is handed to the sink as. */
  private readonly batchFrame = new BatchFrame();
  private readonly ringNo = new Float64Array(RING);
  private readonly ringUnit = new Int8Array(RING);
  private readonly held = new Map<number, { frame: SourceFrame; unit: number }>();
  private inFlight = 0;
  private nextFrameNo = 1;
  private readonly firstUnit: number;
  /** The IPv6 source of the frame being decided (reused). */
  private readonly src6 = new InetAddr();
  framesIn = 0;
  /** Own fates received (each captured frame exactly one). */
  fated = 0;
  /** Generated packets reported (Generated, GeneratedDropped). */
  generated = 0;
  /** Fates received, by kind (index: FateKind). */
  readonly byKind: number[] = new Array<number>(16).fill(0);
  /** The ingress `submit` decided last: conet unit, and whether it is the OUTPUT path. */
  unit = 0;
  output = false;

  constructor(
    private readonly spec: MachineSpec,
    private readonly sink: OutcomeSink,
  ) {
    this.fib = new Fib(spec);
    this.firstUnit = spec.devices.find((d) => d.unit >= 0)?.unit ?? 0;
    this.bridges = spec.devices.some((d) => d.bridge);
  }

  /** The machine declares bridges: every frame takes decideIngress (which picks bridge ports). */
  private readonly bridges: boolean;

  /** Frames in flight now. */
  get pending(): number {
    return this.inFlight;
  }

  /** Decides the ingress (into `unit`, `output`) without allocating for the common case. */
  private ingress(f: SourceFrame): void {
    if (f.ifName !== undefined || this.bridges) {
      const i = decideIngress(f, this.fib, this.spec.devices);
      this.unit = i.unit;
      this.output = i.output;
      return;
    }
    this.ingressOf(f.data, 0, f.data.length);
  }

  /** `ingress` of frame `i` of a batch, read in place. */
  private ingressAt(b: FrameBatch, i: number): void {
    const x = b.extra[i];
    if (x?.ifName !== undefined || this.bridges) {
      const r = decideIngress({ data: b.data(i), ifName: x?.ifName, direction: x?.direction }, this.fib, this.spec.devices);
      this.unit = r.unit;
      this.output = r.output;
      return;
    }
    this.ingressOf(b.buf[i]!, b.start[i]!, b.len[i]!);
  }

  /** The common case of `ingress`: the Ethernet frame of `len` bytes at d[at] (no interface name, no bridges). */
  private ingressOf(d: Uint8Array, at: number, len: number): void {
    let type = len >= 14 ? (d[at + 12]! << 8) | d[at + 13]! : -1;
    let off = 12;
    while ((type === 0x8100 || type === 0x88a8) && len >= off + 6) {
      off += 4;
      type = (d[at + off]! << 8) | d[at + off + 1]!;
    }
    if (type === ETH_P_PPP_SES) {
      // Rare: PPPoE reads the frame as a view of its own.
      const v = d.subarray(at, at + len);
      if (pppoeSessionEthertype(v, off + 2)) {
        type = pppoeSessionEthertype(v, off + 2);
        off += PPPOE_SES_HLEN;
      }
    }
    off += 2;
    this.output = false;
    this.unit = this.firstUnit;
    if (type !== 0x0800 || len < off + 20) {
      if (type === 0x86dd && len >= off + 40) this.ingress6(this.src6.readV6(d, at + off + 8));
      return;
    }
    off += at;
    const saddr = ((d[off + 12]! << 24) | (d[off + 13]! << 16) | (d[off + 14]! << 8) | d[off + 15]!) >>> 0;
    if (this.fib.isLocalV4(saddr)) {
      this.output = true;
      return;
    }
    const dev = this.fib.deviceForV4(saddr);
    if (dev && dev.unit >= 0) this.unit = dev.unit;
  }

  /** The ingress of an IPv6 frame from `saddr`, in the IPv6 table. */
  private ingress6(saddr: InetAddr): void {
    if (this.fib.v6.isLocal(saddr)) {
      this.output = true;
      return;
    }
    const dev = this.fib.v6.deviceFor(saddr);
    if (dev && dev.unit >= 0) this.unit = dev.unit;
  }

  /**
   * Numbers a captured frame, decides its ingress (left in `unit` and
   * `output`) and keeps it in flight; returns its frame number.
   */
  submit(f: SourceFrame): number {
    this.ingress(f);
    const frameNo = this.take();
    this.ringFrame[frameNo & MASK] = f;
    return frameNo;
  }

  /** `submit` of frame `i` of a batch: kept as the batch and the place (no object made). */
  submitAt(b: FrameBatch, i: number): number {
    this.ingressAt(b, i);
    const frameNo = this.take();
    const slot = frameNo & MASK;
    this.ringBatch[slot] = b;
    this.ringIdx[slot] = i;
    return frameNo;
  }

  /** Numbers the next frame and gives it its slot in the ring (the frame left to the caller), the ingress decided. */
  private take(): number {
    const frameNo = this.nextFrameNo++;
    this.framesIn++;
    const slot = frameNo & MASK;
    // A frame still in flight a ring's worth of frames later is one the guest holds: move it aside, as a
    // copy (a captured frame is a view into a piece of the file, which it would otherwise keep in memory).
    const old = this.ringFrame[slot];
    const oldBatch = this.ringBatch[slot];
    if (old) this.held.set(this.ringNo[slot]!, { frame: { ...old, tsNs: old.tsNs, data: old.data.slice() }, unit: this.ringUnit[slot]! });
    else if (oldBatch) {
      const f = oldBatch.frame(this.ringIdx[slot]!);
      f.data = f.data.slice();
      this.held.set(this.ringNo[slot]!, { frame: f, unit: this.ringUnit[slot]! });
    }
    this.ringFrame[slot] = undefined;
    this.ringBatch[slot] = undefined;
    this.ringNo[slot] = frameNo;
    this.ringUnit[slot] = this.output ? this.unit | OUTPUT_BIT : this.unit;
    this.inFlight++;
    return frameNo;
  }

  /** Forgets a frame just submitted whose fate is accounted elsewhere (a shard run: the merge accounts every frame). */
  forget(frameNo: number): void {
    const slot = frameNo & MASK;
    if (this.ringNo[slot] === frameNo && (this.ringFrame[slot] || this.ringBatch[slot])) {
      this.ringFrame[slot] = undefined;
      this.ringBatch[slot] = undefined;
      this.inFlight--;
    }
  }

  /** A fate from the guest (`f` may be a reused record). */
  fate(f: FateMsg): void {
    const kind = f.kind;
    if (!OWN_FATE[kind]) {
      this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
      if (kind !== FateKind.Copy) this.generated++;
      const w = f as { tsHi?: number; tsLo?: number };
      if (w.tsHi !== undefined && w.tsLo !== undefined) this.sink(f, undefined, -1, secOfWords(w.tsHi, w.tsLo), nsecOfWords(w.tsHi, w.tsLo));
      else this.sink(f, undefined, -1, secOfBigint(f.tsNs), nsecOfBigint(f.tsNs));
      return;
    }
    const n = f.frameNo;
    const slot = n & MASK;
    let frame: SourceFrame | undefined;
    let unit = -1;
    let b: FrameBatch | undefined;
    if (this.ringNo[slot] === n && ((frame = this.ringFrame[slot]) || (b = this.ringBatch[slot]))) {
      unit = this.ringUnit[slot]!;
      if (b) {
        frame = this.batchFrame.set(b, this.ringIdx[slot]!);
        this.ringBatch[slot] = undefined;
      } else this.ringFrame[slot] = undefined;
    } else {
      const h = this.held.get(n);
      if (!h)
        throw new ConservationError(
          `fate kind ${kind} for frame ${n}, which is not in flight (${n < this.nextFrameNo ? 'it already has a fate' : 'never sent'})`,
        );
      this.held.delete(n);
      frame = h.frame;
      unit = h.unit;
    }
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    this.inFlight--;
    this.fated++;
    this.sink(f, frame!, unit & ~OUTPUT_BIT, frame!.tsSec, frame!.tsNsec, (unit & OUTPUT_BIT) !== 0);
  }

  /** Frame numbers in flight, in order. */
  private inFlightNumbers(): number[] {
    const out = [...this.held.keys()];
    for (let i = 0; i < RING; i++) if (this.ringFrame[i] || this.ringBatch[i]) out.push(this.ringNo[i]!);
    return out.sort((a, b) => a - b);
  }

  /** Gives every frame still in flight the fail policy's fate (after the guest stopped). */
  failInFlight(policy: FailPolicy, reason: string): void {
    if (this.inFlight === 0) return;
    for (const n of this.inFlightNumbers()) {
      const slot = n & MASK;
      const b = this.ringNo[slot] === n ? this.ringBatch[slot] : undefined;
      const fr = this.ringNo[slot] === n && this.ringFrame[slot] ? this.ringFrame[slot]! : b ? undefined : this.held.get(n)!.frame;
      const i = this.ringIdx[slot]!;
      this.fate(failFate(n, fr ? fr.tsNs : bigintNs(b!.tsSec[i]!, b!.tsNsec[i]!), policy, reason));
    }
  }

  /** Gives a submitted frame that is not sent to the guest its host-side fate (e.g. Outbound). */
  settle(frameNo: number, tsNs: bigint, kind: FateKind, reason: string): void {
    this.fate({ kind, frameNo, unit: -1, reason, tsNs });
  }

  /** A captured frame that never reaches the guest (it has stopped): numbered and given the fail policy's fate. */
  failNew(f: SourceFrame, policy: FailPolicy, reason: string): void {
    const n = this.submit(f);
    this.fate(failFate(n, f.tsNs, policy, reason));
  }

  /** `failNew` of frame `i` of a batch. */
  failNewAt(b: FrameBatch, i: number, policy: FailPolicy, reason: string): void {
    const n = this.submitAt(b, i);
    this.fate(failFate(n, bigintNs(b.tsSec[i]!, b.tsNsec[i]!), policy, reason));
  }

  /** Frames in = own fates, and nothing left in flight. Throws ConservationError otherwise. */
  assertConservation(): void {
    if (this.inFlight) {
      const all = this.inFlightNumbers();
      const some = all.slice(0, 5).join(', ');
      throw new ConservationError(`${all.length} frame(s) never got a fate (frames ${some}${all.length > 5 ? ', ...' : ''})`);
    }
    let own = 0;
    for (let k = 0; k < this.byKind.length; k++) if (OWN_FATE[k]) own += this.byKind[k]!;
    if (own !== this.framesIn || this.fated !== this.framesIn) {
      throw new ConservationError(`frames in ${this.framesIn} != fates of captured frames ${own}`);
    }
  }
}

function failFate(frameNo: number, tsNs: bigint, _policy: FailPolicy, reason: string): FateMsg {
  return { kind: FateKind.FailPolicy, frameNo, unit: -1, reason, tsNs };
}
