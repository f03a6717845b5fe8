/** The wording of damage messages, shared by the readers. */
import { GzipBombError, GzipCheckError } from './gunzip.js';

export const CUT_SHORT_ADVICE = 'the capture was probably copied while still being written: copy it again once the capture has finished';

/**
 * `record 57 at byte 8812` (classic pcap) or
 * `block 9 (Enhanced Packet Block) at byte 8812, after record 56,` (pcapng).
 */
export function where(file: string, kind: 'record' | 'block', n: number, offset: number, recordsBefore: number, blockName?: string): string {
  return kind === 'record'
    ? `${file}: record ${n} at byte ${offset}`
    : `${file}: block ${n}${blockName ? ` (${blockName})` : ''} at byte ${offset}, after record ${recordsBefore},`;
}

export function keptNote(recordsBefore: number): string {
  if (recordsBefore === 0) return 'no record came before it';
  return recordsBefore === 1 ? 'the 1 record before it was read' : `the ${recordsBefore} records before it were read`;
}

/** Message for a stream that ended with an error (damaged or truncated gzip data). */
export function streamErrorText(err: Error, gzip: boolean): string {
  if (err instanceof GzipCheckError)
    return `${err.message}: its data was read to the end, as \`zcat\` reads it, but may be damaged; recompress the original capture if you have it`;
  if (err instanceof GzipBombError)
    return `${err.message}; reading stopped here. If the capture is genuine, decompress it first (\`zcat in.pcap.gz > in.pcap\`) and give cofw the decompressed file`;
  return gzip
    ? `the gzip-compressed data ends early or is damaged here (${err.message}); recompress the original capture, or keep what is readable with \`zcat\``
    : `reading the file failed here (${err.message}); check the disk or copy the file again`;
}
