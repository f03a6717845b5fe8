/**
 * The host side of cobd: files (or bytes) attached as the guest's block
 * devices. The guest reaches them only through block request messages
 * (OPEN, STAT, READ, CLOSE); the host answers each with a reply message.
 * Reads go to the file at the asked offset, so a large rule file is never
 * held in host memory as a whole.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface BlockDevice {
  /** What is attached, for messages (a path, or a description). */
  readonly name: string;
  open(): void;
  size(): number;
  /** Up to `length` bytes at `offset` (fewer at the end). */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** A file on the host, opened when the guest opens the device. */
export function fileBlockDevice(path: string): BlockDevice {
  let fd: number | undefined;
  const need = (): number => {
    if (fd === undefined) throw new Error(`${path}: block device not open`);
    return fd;
  };
  return {
    name: path,
    open() {
      if (fd === undefined) fd = openSync(path, 'r');
    },
    size() {
      return fstatSync(need()).size;
    },
    read(offset, length) {
      const b = new Uint8Array(length);
      const n = readSync(need(), b, 0, length, offset);
      return b.subarray(0, n);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Bytes held by the host (rules given as text). */
export function memoryBlockDevice(name: string, data: Uint8Array): BlockDevice {
  return {
    name,
    open() {},
    size: () => data.length,
    read: (offset, length) => data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length)),
    close() {},
  };
}
