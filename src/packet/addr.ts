/**
 * IPv4 addresses as unsigned 32-bit numbers (host order), the form every
 * hot-path comparison in cofw uses.
 *
 * @example
 * parseIPv4('192.0.2.1') === 0xc0000201; formatIPv4(0xc0000201) === '192.0.2.1'
 */

/** Parses a dotted quad; returns undefined when the text is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** The netmask of a prefix length: 24 -> 0xffffff00. */
export function prefixMask(prefix: number): number {
  return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The prefix length of a contiguous mask, or -1 when the mask has holes. */
export function maskPrefix(mask: number): number {
  mask >>>= 0;
  let n = 0;
  while (n < 32 && mask & (0x80000000 >>> n)) n++;
  return prefixMask(n) === mask ? n : -1;
}

/** Reads a big-endian IPv4 address at `off`. */
export function readIPv4(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function writeIPv4(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 255;
  b[off + 2] = (v >>> 8) & 255;
  b[off + 3] = v & 255;
}

/** A MAC address as `aa:bb:cc:dd:ee:ff` (lower case, as the kernel prints it). */
export function formatMac(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i]!.toString(16).padStart(2, '0'));
  return out.join(':');
}

/** Parses `aa:bb:cc:dd:ee:ff` (or with dashes); undefined when malformed. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}
