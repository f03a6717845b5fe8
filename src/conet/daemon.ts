/**
 * The host side of conet: the daemon that takes frames from the captures
 * (as a bridged NIC takes them from the wire), decides where each enters
 * the guest, numbers it, keeps it while it is in flight (sent to the guest,
 * fate not yet back), and pairs every fate the guest reports with its
 * frame. Only in-flight frames are held.
 *
 * The ingress decision:
 * 1. A frame whose IPv4 source is one of the guest's own addresses is
 *    locally generated: it takes the OUTPUT path.
 * 2. A pcapng interface name that names a guest interface (`eth1`) decides
 *    the receiving unit.
 * 3. Any other IPv4 frame enters on the unit of the route back to its
 *    source (connected subnets first, the default route last).
 * 4. Frames that are not IPv4 (ARP...) enter on the named unit or eth0; the
 *    guest's bridge passes them unfiltered (fate Bridged).
 *
 * Conservation: every frame submitted gets exactly one fate of its own;
 * generated packets are counted apart. A fate for an unknown frame, a
 * second fate for a frame, or a frame left without one at the end is an
 * internal error (ConservationError), never a silent mismatch.
 */
import { Fib } from '../machine/fib.js';
import type { FateMsg, FrameMsg } from '../machine/passage.js';
import type { FailPolicy, MachineSpec } from '../machine/spec.js';
import { FateKind } from '../netfilter/fate.js';
import { readIPv4 } from '../packet/addr.js';
import type { NetDevice } from '../netfilter/types.js';

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
  return { off: off + 2, type };
}

/** Decides the ingress of one frame (see the module comment). */
export function decideIngress(frame: { data: Uint8Array; ifName?: string | undefined }, fib: Fib, devices: readonly NetDevice[]): Ingress {
  const named = frame.ifName !== undefined ? devices.find((d) => d.name === frame.ifName && d.unit >= 0) : undefined;
  const first = devices.find((d) => d.unit >= 0)?.unit ?? 0;
  const { off, type } = etherPayload(frame.data);
  if (type === 0x0800 && frame.data.length >= off + 20) {
    const saddr = readIPv4(frame.data, off + 12);
    if (fib.isLocal(saddr)) return { unit: named?.unit ?? first, output: true };
    if (named) return { unit: named.unit, output: false };
    const dev = fib.deviceFor(saddr);
    return { unit: dev && dev.unit >= 0 ? dev.unit : first, output: false };
  }
  return { unit: named?.unit ?? first, output: false };
}

/** A frame the host has handed to the guest and not yet seen a fate for. */
export interface InFlight {
  readonly frameNo: number;
  readonly tsNs: bigint;
  readonly data: Uint8Array;
  readonly origLen: number;
  readonly unit: number;
  readonly output: boolean;
  readonly file: string;
  readonly index: number;
}

/** A fate paired with what the host knows of its frame. */
export interface Outcome {
  readonly fate: FateMsg;
  /** The captured frame this fate belongs to; absent for generated packets. */
  readonly frame?: InFlight;
  /** Time to write it with: the frame's capture time, or the guest's clock for generated packets. */
  readonly tsNs: bigint;
}

/** What a frame source gives the daemon (CaptureFrame has it). */
export interface SourceFrame {
  readonly tsNs: bigint;
  readonly data: Uint8Array;
  readonly origLen: number;
  readonly ifName?: string | undefined;
  readonly file: string;
  readonly index: number;
}

const OWN_FATE = new Set<FateKind>([
  FateKind.Forwarded,
  FateKind.Delivered,
  FateKind.Sent,
  FateKind.DroppedByRule,
  FateKind.DroppedByPolicy,
  FateKind.DroppedByStack,
  FateKind.Bridged,
  FateKind.FailPolicy,
]);

export class ConetDaemon {
  readonly fib: Fib;
  private readonly inFlight = new Map<number, InFlight>();
  private nextFrameNo = 1;
  framesIn = 0;
  /** Own fates received (each captured frame exactly one). */
  fated = 0;
  /** Generated packets reported (Generated, GeneratedDropped). */
  generated = 0;
  readonly byKind = new Map<FateKind, number>();

  constructor(
    private readonly spec: MachineSpec,
    private readonly sink: (o: Outcome) => void,
  ) {
    this.fib = new Fib(spec);
  }

  /** Frames in flight now. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Numbers a captured frame, decides its ingress and keeps it in flight; returns the message for the guest. */
  submit(f: SourceFrame): { unit: number; msg: FrameMsg } {
    const ing = decideIngress(f, this.fib, this.spec.devices);
    const frameNo = this.nextFrameNo++;
    this.framesIn++;
    this.inFlight.set(frameNo, { frameNo, tsNs: f.tsNs, data: f.data, origLen: f.origLen, unit: ing.unit, output: ing.output, file: f.file, index: f.index });
    return { unit: ing.unit, msg: { frameNo, tsNs: f.tsNs, output: ing.output, data: f.data } };
  }

  /** A fate from the guest. */
  fate(f: FateMsg): void {
    this.byKind.set(f.kind, (this.byKind.get(f.kind) ?? 0) + 1);
    if (!OWN_FATE.has(f.kind)) {
      this.generated++;
      this.sink({ fate: f, tsNs: f.tsNs });
      return;
    }
    const fr = this.inFlight.get(f.frameNo);
    if (!fr) {
      throw new ConservationError(`fate kind ${f.kind} for frame ${f.frameNo}, which is not in flight (${f.frameNo < this.nextFrameNo ? 'it already has a fate' : 'never sent'})`);
    }
    this.inFlight.delete(f.frameNo);
    this.fated++;
    this.sink({ fate: f, frame: fr, tsNs: fr.tsNs });
  }

  /** Gives every frame still in flight the fail policy's fate (after the guest stopped). */
  failInFlight(policy: FailPolicy, reason: string): void {
    const frames = [...this.inFlight.keys()].sort((a, b) => a - b);
    for (const n of frames) this.fate(failFate(n, this.inFlight.get(n)!.tsNs, policy, reason));
  }

  /** A captured frame that never reaches the guest (it has stopped): numbered and given the fail policy's fate. */
  failNew(f: SourceFrame, policy: FailPolicy, reason: string): void {
    const { msg } = this.submit(f);
    this.fate(failFate(msg.frameNo, f.tsNs, policy, reason));
  }

  /** Frames in = own fates, and nothing left in flight. Throws ConservationError otherwise. */
  assertConservation(): void {
    if (this.inFlight.size) {
      const some = [...this.inFlight.keys()].slice(0, 5).join(', ');
      throw new ConservationError(`${this.inFlight.size} frame(s) never got a fate (frames ${some}${this.inFlight.size > 5 ? ', ...' : ''})`);
    }
    let own = 0;
    for (const [k, n] of this.byKind) if (OWN_FATE.has(k)) own += n;
    if (own !== this.framesIn || this.fated !== this.framesIn) {
      throw new ConservationError(`frames in ${this.framesIn} != fates of captured frames ${own}`);
    }
  }
}

function failFate(frameNo: number, tsNs: bigint, _policy: FailPolicy, reason: string): FateMsg {
  return { kind: FateKind.FailPolicy, frameNo, unit: -1, reason, tsNs };
}
