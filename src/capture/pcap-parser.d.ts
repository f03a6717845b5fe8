/** Types for the parts of `pcap-parser` (0.2.x, CommonJS) that cofw uses. */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';
  export interface PcapGlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }
  export interface PcapPacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }
  export interface PcapParser extends EventEmitter {
    stream: Readable;
    /** Internal flag: once set, the parser ignores further input. */
    errored?: boolean;
  }
  export function parse(input: string | Readable): PcapParser;
  const _default: { parse: typeof parse };
  export default _default;
}
