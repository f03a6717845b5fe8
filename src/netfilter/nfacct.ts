/**
 * Extended accounting objects (net/netfilter/nfnetlink_acct.c), what the
 * `nfacct` tool makes with `nfacct add NAME [byte|packet QUOTA]` and
 * `-m nfacct --nfacct-name NAME` counts into.
 *
 * An object belongs to the network namespace: every rule of either family
 * naming it counts into the same packets and bytes (nfnl_acct_update: one
 * packet, skb->len bytes: the IP packet with its header, IPv6's too). An
 * object with a quota (NFACCT_F_QUOTA_BYTES or NFACCT_F_QUOTA_PKTS) is over
 * it once the counter it watches passes the quota (nfnl_acct_overquota:
 * `now > quota`); its `overquota` flag, which `nfacct list` shows, is set
 * already when the counter reaches the quota (`now >= quota`), by the first
 * packet that reaches a rule from then on.
 *
 * The guest's objects come from the machine file (`nfacct:`), made in its
 * order before the rules load, as `nfacct add` runs before
 * iptables-restore; they are listed in that order, as the kernel lists its
 * objects (added at the tail).
 *
 * @example
 * const o = new NfacctObject({ name: 'capped', quota: { mode: 'bytes', value: 1000n } });
 * o.count(60); // false: under the quota
 * nfacctList([o]); // '{ pkts = 00000000000000000001, bytes = ... } = capped;\n'
 */
import type { GuestServices } from './types.js';
import { guestTable } from './matches/shared-state.js';

/** NFACCT_NAME_MAX: names of at most 31 bytes. */
export const NFACCT_NAME_MAX = 32;

/** An accounting object as the machine file declares it (`nfacct add`, with starting counters as `nfacct restore` gives them). */
export interface NfacctSpec {
  readonly name: string;
  /** The quota: bytes (NFACCT_F_QUOTA_BYTES, `nfacct add NAME byte N`) or packets (NFACCT_F_QUOTA_PKTS, `packet N`). */
  readonly quota?: { readonly mode: 'bytes' | 'packets'; readonly value: bigint };
  /** Starting counters (0 when absent). */
  readonly packets?: bigint;
  readonly bytes?: bigint;
}

/** One object's counters in the guest. */
export class NfacctObject {
  /** Packets and bytes counted in this guest (added to the starting counters). */
  packets = 0;
  bytes = 0;
  /** NFACCT_F_OVERQUOTA. */
  overquota = false;
  /** What the watched counter may still grow by before it passes the quota (quota - start); Infinity without a quota. */
  private readonly room: number;
  private readonly byBytes: boolean;

  constructor(readonly spec: NfacctSpec) {
    const q = spec.quota;
    this.byBytes = q?.mode === 'bytes';
    this.room = q ? Number(q.value - (this.byBytes ? (spec.bytes ?? 0n) : (spec.packets ?? 0n))) : Infinity;
  }

  /** nfacct_mt: counts the packet (skb->len `len`) and says whether the rule matches (no quota, or over it). */
  count(len: number): boolean {
    this.packets++;
    this.bytes += len;
    if (this.room === Infinity) return true;
    const now = this.byBytes ? this.bytes : this.packets;
    if (now >= this.room) this.overquota = true;
    return now > this.room;
  }

  /** The packets counted, starting counter included. */
  totalPackets(): bigint {
    return (this.spec.packets ?? 0n) + BigInt(this.packets);
  }

  totalBytes(): bigint {
    return (this.spec.bytes ?? 0n) + BigInt(this.bytes);
  }
}

/** The guest's object named `spec.name`, made on first use. */
export function nfacctObject(svc: GuestServices, spec: NfacctSpec): NfacctObject {
  return guestTable(svc, `nfacct:${spec.name}`, () => new NfacctObject(spec));
}

/** `%.20` PRIu64: twenty digits, zero-padded. */
function u20(n: bigint): string {
  return n.toString().padStart(20, '0');
}

/** One object's line as `nfacct list` prints it (libnetfilter_acct's plain format), with its newline. */
export function nfacctLine(o: { name: string; packets: bigint; bytes: bigint; quota?: NfacctSpec['quota']; overquota: boolean }): string {
  const q = o.quota ? `, quota = ${u20(o.quota.value)}, mode = ${o.quota.mode === 'bytes' ? 'byte' : 'packet'}, overquota = ${o.overquota ? 'yes' : 'no'}` : '';
  return `{ pkts = ${u20(o.packets)}, bytes = ${u20(o.bytes)}${q} } = ${o.name};\n`;
}

/** `nfacct list` of the objects, in their order. */
export function nfacctList(objects: readonly NfacctObject[]): string {
  return objects
    .map((o) =>
      nfacctLine({
        name: o.spec.name,
        packets: o.totalPackets(),
        bytes: o.totalBytes(),
        ...(o.spec.quota ? { quota: o.spec.quota } : {}),
        overquota: o.overquota,
      }),
    )
    .join('');
}

const LINE = /^\{ pkts = (\d+), bytes = (\d+)(?:, quota = (\d+), mode = (byte|packet), overquota = (yes|no))? \} = (.*);$/;

/** One `nfacct list` line read back. */
export interface NfacctListed {
  readonly name: string;
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly quota?: NfacctSpec['quota'];
  readonly overquota: boolean;
}

/** Reads `nfacct list` text (what nfacctList writes); throws on a line it does not know. */
export function parseNfacctList(text: string): NfacctListed[] {
  const out: NfacctListed[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not an nfacct list line: ${line}`);
    out.push({
      name: m[6]!,
      packets: BigInt(m[1]!),
      bytes: BigInt(m[2]!),
      ...(m[3] !== undefined ? { quota: { mode: m[4] === 'byte' ? ('bytes' as const) : ('packets' as const), value: BigInt(m[3]) } } : {}),
      overquota: m[5] === 'yes',
    });
  }
  return out;
}

/**
 * Several guests' `nfacct list` texts of the same objects as one guest's:
 * each guest started from the same starting counters (`specs`) and counted
 * the packets it saw, so the sum of what they added is exact. Objects with a
 * quota are not merged here (such a replay runs on one worker): the first
 * guest's flag stands. Undefined when no guest has a list.
 */
export function mergeNfacctLists(texts: ReadonlyArray<string | undefined>, specs: readonly NfacctSpec[]): string | undefined {
  const have = texts.filter((t): t is string => t !== undefined);
  if (!have.length) return undefined;
  if (have.length === 1) return have[0];
  const lists = have.map(parseNfacctList);
  const first = lists[0]!;
  if (lists.some((l) => l.length !== first.length || l.some((o, i) => o.name !== first[i]!.name))) {
    throw new Error('merging nfacct lists: the guests listed different objects');
  }
  const extra = BigInt(have.length - 1);
  return first
    .map((o, i) => {
      const spec = specs.find((s) => s.name === o.name);
      let packets = -extra * (spec?.packets ?? 0n);
      let bytes = -extra * (spec?.bytes ?? 0n);
      let overquota = false;
      for (const l of lists) {
        packets += l[i]!.packets;
        bytes += l[i]!.bytes;
        overquota ||= l[i]!.overquota;
      }
      return nfacctLine({ name: o.name, packets, bytes, ...(o.quota ? { quota: o.quota } : {}), overquota });
    })
    .join('');
}
