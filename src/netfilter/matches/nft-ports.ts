/**
 * The tcp and udp matches as the nf_tables kernel evaluates them.
 *
 * iptables-nft (1.8.9, the iptables Debian ships) does not hand `-m tcp` and
 * `-m udp` to the kernel's xt_tcpudp: it translates them into native payload
 * expressions (add_nft_tcpudp, add_nft_tcp), unless the rule uses
 * `--tcp-option`. Recorded with the kernel oracle, that means:
 * - a non-first fragment is read as if its payload began with the transport
 *   header (nft's payload expression does not look at the fragment offset):
 *   `! --dport 22` can match one, and nothing is hot-dropped;
 * - a field that lies beyond the end of the packet does not match, and the
 *   packet is not dropped (xt_tcpudp would drop a short header);
 * - single source and destination ports with the same inversion are
 *   compared as one 32-bit word: `! --sport A ! --dport B` matches unless
 *   both are equal (xt would need both to differ);
 * - a port range 0:65535 without `!` is not tested at all.
 */

export const enum PortMode {
  /** Both ports single, same inversion: one 4-byte compare. */
  Combined,
  /** Each side tested on its own when present. */
  Separate,
}

export interface PortTest {
  readonly mode: PortMode;
  readonly testSrc: boolean;
  readonly testDst: boolean;
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly invSrc: boolean;
  readonly invDst: boolean;
}

export function compilePorts(spts: readonly [number, number], invSrc: boolean, dpts: readonly [number, number], invDst: boolean): PortTest {
  const combined = spts[0] !== 0 && spts[0] === spts[1] && dpts[0] !== 0 && dpts[0] === dpts[1] && invSrc === invDst;
  return {
    mode: combined ? PortMode.Combined : PortMode.Separate,
    testSrc: spts[0] !== 0 || spts[1] < 65535 || invSrc,
    testDst: dpts[0] !== 0 || dpts[1] < 65535 || invDst,
    spts,
    dpts,
    invSrc,
    invDst,
  };
}

/** Ports of the transport header at `th` of a first fragment whose packet is `len` bytes long. */
export function matchPorts(t: PortTest, d: Uint8Array, th: number, len: number): boolean {
  if (t.mode === PortMode.Combined) {
    if (th + 4 > len) return false;
    const eq = ((d[th]! << 8) | d[th + 1]!) === t.spts[0] && ((d[th + 2]! << 8) | d[th + 3]!) === t.dpts[0];
    return eq !== t.invSrc;
  }
  if (t.testSrc) {
    if (th + 2 > len) return false;
    const p = (d[th]! << 8) | d[th + 1]!;
    if ((p >= t.spts[0] && p <= t.spts[1]) === t.invSrc) return false;
  }
  if (t.testDst) {
    if (th + 4 > len) return false;
    const p = (d[th + 2]! << 8) | d[th + 3]!;
    if ((p >= t.dpts[0] && p <= t.dpts[1]) === t.invDst) return false;
  }
  return true;
}

/**
 * A port option as iptables-save prints it back from nf_tables: an inverted
 * range that starts at 0 is stored as "greater than its end" and read back
 * as the complementary range, not inverted (`! --dport 0:1023` saves as
 * `--dport 1024:65535`). Other ranges print as written. Empty when the
 * option tests nothing (0:65535 without `!`).
 */
export function savePortOption(name: 'sport' | 'dport', range: readonly [number, number], inv: boolean, native: boolean): string {
  let [lo, hi] = range;
  if (lo === 0 && hi === 65535 && !inv) return '';
  if (native && inv && lo === 0 && hi > 0 && hi < 65535) {
    [lo, hi, inv] = [hi + 1, 65535, false];
  }
  return `${inv ? '! ' : ''}--${name} ${lo === hi ? lo : `${lo}:${hi}`}`;
}
