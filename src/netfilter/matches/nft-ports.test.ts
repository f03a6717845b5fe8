import { describe, expect, it } from 'vitest';
import { compilePorts, matchPorts, nativeSave, translatedFields, type NativeFields } from './nft-ports.js';

const ANY: [number, number] = [0, 65535];
const f = (o: Partial<NativeFields>): NativeFields => ({ spts: ANY, dpts: ANY, invSrc: false, invDst: false, ...o });

/** A TCP header's first four bytes at offset 0: source and destination port. */
const ports = (s: number, d: number): Uint8Array => new Uint8Array([s >> 8, s & 255, d >> 8, d & 255]);

describe('tcp and udp ports as nf_tables tests them', () => {
  it('tests no port for a range 0:65535, inverted or not (iptables-nft gives it no expression)', () => {
    const t = compilePorts(ANY, true, ANY, true);
    expect(t.testSrc || t.testDst).toBe(false);
    expect(matchPorts(t, ports(1, 2), 0, 4)).toBe(true);
  });

  it('tests an inverted range from 0 as "greater than its end"', () => {
    const t = compilePorts(ANY, false, [0, 100], true);
    expect(matchPorts(t, ports(1, 100), 0, 4)).toBe(false);
    expect(matchPorts(t, ports(1, 101), 0, 4)).toBe(true);
  });
});

describe('the one match iptables-save rebuilds from payload expressions (recorded from iptables 1.8.9)', () => {
  it.each([
    // -p tcp ! --dport 0:100 saves as --dport 101:65535
    [[f({ dpts: [0, 100], invDst: true })], '--dport 101:65535'],
    // --dport 0:100 -m tcp --dport 5: the later single port replaces both ends
    [[f({ dpts: [0, 100] }), f({ dpts: [5, 5] })], '--dport 5'],
    // ! --dport 7 -m tcp --dport 5: the inversion stays
    [[f({ dpts: [7, 7], invDst: true }), f({ dpts: [5, 5] })], '! --dport 5'],
    // --dport 5 ... -m tcp --sport 7 --tcp-flags SYN SYN: ports first, then flags
    [[f({ dpts: [5, 5] }), f({ spts: [7, 7], flgMask: 2, flgCmp: 2 })], '--sport 7 --dport 5 --tcp-flags SYN SYN'],
    // ! --sport 5 -m tcp --sport 0:100: "at most 100" sets the end only
    [[f({ spts: [5, 5], invSrc: true }), f({ spts: [0, 100] })], '! --sport 5:100'],
    // ! --syn -m tcp --syn
    [[f({ flgMask: 0x17, flgCmp: 2, invFlags: true }), f({ flgMask: 0x17, flgCmp: 2 })], '! --tcp-flags FIN,SYN,RST,ACK SYN'],
    // ! --sport 1 ! --dport 2: one 32-bit compare, read back as both
    [[f({ spts: [1, 1], dpts: [2, 2], invSrc: true, invDst: true })], '! --sport 1 ! --dport 2'],
  ] as const)('%j saves as %s', (ms, text) => {
    expect(nativeSave(ms)?.text).toBe(text);
  });

  it('puts the match where the first expression is, and prints none when there is no expression', () => {
    expect(nativeSave([f({ dpts: ANY, invDst: true }), f({ spts: [3, 3] })])).toEqual({ first: 1, text: '--sport 3' });
    expect(nativeSave([f({ dpts: ANY, invDst: true })])).toBeUndefined();
    expect(nativeSave([f({ flgMask: 0, flgCmp: 0, invFlags: true })])).toBeUndefined();
  });

  it('leaves to xt_tcpudp (and to their place as written) a tcp match with --tcp-option and one that tests nothing', () => {
    expect(translatedFields('tcp', { ...f({ dpts: [5, 5] }), option: 5 })).toBeUndefined();
    expect(translatedFields('tcp', f({}))).toBeUndefined();
    expect(translatedFields('udp', f({}))).toBeUndefined();
    expect(translatedFields('udp', f({ invSrc: true }))).toBeDefined();
    expect(translatedFields('multiport', f({ dpts: [5, 5] }))).toBeUndefined();
  });
});
