/**
 * Which frames `cofw trace` follows: a list (`--frames 3,7-9`), the frames
 * a filter matches (`--match 'tcp and dport 22'`, src/packet/filter.ts), or
 * every frame of the connection of one frame (`--flow N`: same protocol and
 * the same addresses and ports in either direction; for ICMP, the same
 * addresses either way). Frames are numbered from 1 in the order the
 * replay reads them (captures merged by timestamp), as the captures were
 * read before any NAT, so `--flow` follows a connection by the addresses
 * it has on the wire on each side of the capture point.
 *
 * @example
 * const ranges = await selectFrames(['a.pcap'], { match: compileFilter('udp and port 53') });
 */
import { openCaptures } from '../capture/index.js';
import type { FrameFilter } from '../packet/filter.js';
import { Flow, readFrameFlow } from '../packet/flow.js';
import { InputError } from './errors.js';

/** Most frames one trace follows (each prints a screenful; the console keeps 100,000 lines). */
export const MAX_TRACED_FRAMES = 1000;

export interface FrameSelection {
  match?: FrameFilter;
  flow?: number;
}

/** Frame numbers (sorted) as ranges: [1, 2, 3, 7] -> [[1, 3], [7, 7]]. */
export function toRanges(frames: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const n of frames) {
    const last = out.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

function sameConnection(a: Flow, b: Flow): boolean {
  if (a.proto !== b.proto || a.family !== b.family) return false;
  const ports = a.l4 && b.l4 && a.icmpType < 0;
  if (a.src.equals(b.src) && a.dst.equals(b.dst)) return !ports || (a.sport === b.sport && a.dport === b.dport);
  if (a.src.equals(b.dst) && a.dst.equals(b.src)) return !ports || (a.sport === b.dport && a.dport === b.sport);
  return false;
}

/**
 * The frames to trace, as ranges, and how many matched (more than
 * MAX_TRACED_FRAMES: only the first are traced). Throws InputError when
 * `--flow` names a frame the captures do not have, or one that is not IP.
 */
export async function selectFrames(
  captures: string[],
  sel: FrameSelection,
  signal?: AbortSignal,
): Promise<{ ranges: Array<[number, number]>; matched: number }> {
  const frames: number[] = [];
  let matched = 0;
  const flow = new Flow();
  let want: FrameFilter | undefined = sel.match;
  if (sel.flow !== undefined) {
    const target = new Flow();
    let n = 0;
    let found = false;
    for await (const f of openCaptures(captures).frames) {
      if (++n < sel.flow) continue;
      if (!readFrameFlow(f.data, target))
        throw new InputError(`--flow ${sel.flow}: frame ${sel.flow} is not IPv4 or IPv6; give the number of a frame of the connection`);
      found = true;
      break;
    }
    if (!found) throw new InputError(`--flow ${sel.flow}: the captures have ${n} frames; give the number of a frame of the connection`);
    const t = target;
    // The target's addresses stay: `target` is read no more.
    want = (f) => !!f && sameConnection(f, t);
  }
  let n = 0;
  for await (const f of openCaptures(captures).frames) {
    if (signal?.aborted) break;
    n++;
    const ip = readFrameFlow(f.data, flow);
    if (want!(ip ? flow : null)) {
      matched++;
      if (frames.length < MAX_TRACED_FRAMES) frames.push(n);
    }
  }
  return { ranges: toRanges(frames), matched };
}
