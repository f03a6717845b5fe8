/**
 * The progress line of a long replay on a terminal, drawn with cli-progress:
 *
 *   cofw: [=========---------------------] 31% | 1204224 frames | 181342 frames/s | ETA 0:14
 *
 * The percentage and the ETA are of the bytes of the captures read so far
 * (each capture's last record's offset, over the files' sizes), so a
 * capture of big frames and one of small ones progress alike. A gzip
 * capture's offsets are of its decompressed bytes, which its size does not
 * tell: with one among the captures, the line shows frames and frames/s
 * only. Shown only when the stream is a terminal (`isTTY`); the caller also
 * leaves it out with --quiet. `stop` clears the line.
 *
 * @example
 * const p = ReplayProgress.start(process.stderr, ['a.pcap', 'b.pcapng']);
 * replay({ ..., onProgress: (n, at) => p?.update(n, at) });
 * p?.stop();
 */
import cliProgress from 'cli-progress';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Where the replay is: the capture of the last frame read and that record's byte offset. */
export interface ProgressPosition {
  file: string;
  offset: number;
}

/** A stream the line is drawn on: process.stderr, or a test's stand-in. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Is the file gzip-compressed (its first two bytes 1f 8b)? */
function gzipped(path: string): boolean {
  const b = Buffer.alloc(2);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export class ReplayProgress {
  private readonly bar: cliProgress.SingleBar;
  private readonly offsets = new Map<string, number>();
  private readonly started = Date.now();
  private done = 0;

  private constructor(
    stream: ProgressStream,
    /** The captures' total bytes, or 0 when the offsets cannot be compared with it (gzip). */
    private readonly total: number,
  ) {
    const format = total ? 'cofw: [{bar}] {percentage}% | {frames} frames | {rate} frames/s | ETA {eta_formatted}' : 'cofw: {frames} frames | {rate} frames/s';
    this.bar = new cliProgress.SingleBar({
      stream,
      format,
      barsize: 30,
      clearOnComplete: true,
      hideCursor: false,
      linewrap: false,
      fps: 5,
      etaBuffer: 50,
      noTTYOutput: false,
    });
    this.bar.start(total || 1, 0, { frames: 0, rate: 0 });
  }

  /**
   * A progress line on `stream` for a replay of `captures`, or undefined
   * when the stream is not a terminal.
   */
  static start(stream: ProgressStream, captures: readonly string[]): ReplayProgress | undefined {
    if (!stream.isTTY) return undefined;
    let total = 0;
    for (const c of captures) {
      try {
        if (gzipped(c)) {
          total = 0;
          break;
        }
        total += statSync(c).size;
      } catch {
        total = 0;
        break;
      }
    }
    return new ReplayProgress(stream, total);
  }

  /** `frames` replayed so far; `at` the last one's capture and offset. */
  update(frames: number, at?: ProgressPosition): void {
    if (at) this.offsets.set(at.file, at.offset);
    let bytes = 0;
    for (const o of this.offsets.values()) bytes += o;
    this.done = frames;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(frames / seconds) : 0;
    this.bar.update(this.total ? Math.min(bytes, this.total) : 0, { frames, rate });
  }

  /** Clears the line (the report follows on stdout, messages on stderr). */
  stop(): void {
    // A full bar before stopping, so that clearOnComplete clears it.
    this.bar.update(this.total || 1, { frames: this.done });
    this.bar.stop();
  }
}
