import { describe, expect, it } from 'vitest';
import { MessageBuffer } from './buffer.js';
import { Assembler, chunks } from './chunks.js';
import { Module, MsgType, cobd, conet } from './modules.js';
import { PassageError, PassagePage } from './page.js';

const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

describe('passage page ring', () => {
  it('writes and reads messages in order, validated', () => {
    const p = new PassagePage(1024);
    expect(p.write(Module.DAEMON, conet(2), MsgType.Frame, bytes(10))).toBe(true);
    expect(p.write(Module.LINUX, Module.CONSOLE, MsgType.ConsoleLine, bytes(5))).toBe(true);
    expect(p.read()).toMatchObject({ from: Module.DAEMON, to: 10, type: MsgType.Frame, more: false, data: bytes(10) });
    expect(p.read()).toMatchObject({ from: Module.LINUX, to: Module.CONSOLE, type: MsgType.ConsoleLine });
    expect(p.read()).toBeNull();
    expect(p.empty).toBe(true);
  });

  it('reports a full page to the writer, and wraps around the end of the ring', () => {
    const p = new PassagePage(1024);
    let n = 0;
    while (p.write(Module.DAEMON, conet(0), MsgType.Frame, bytes(100, n))) n++;
    expect(n).toBe(Math.floor(p.capacity / 108));
    expect(p.free).toBeLessThan(108);
    // Drain some, write more: the next messages wrap around the end.
    for (let i = 0; i < 3; i++) expect(p.read()!.data[0]).toBe(i);
    for (let i = 0; i < 3; i++) expect(p.write(Module.DAEMON, conet(0), MsgType.Frame, bytes(100, 100 + i))).toBe(true);
    const seen: number[] = [];
    for (let m = p.read(); m; m = p.read()) seen.push(m.data[0]!);
    expect(seen).toEqual([...Array.from({ length: n - 3 }, (_, i) => i + 3), 100, 101, 102]);
    // Many rounds of wrap-around keep contents intact.
    for (let r = 0; r < 50; r++) {
      const d = Uint8Array.from({ length: 37 + r }, (_, i) => (i * 7 + r) & 255);
      expect(p.write(Module.LINUX, cobd(31), MsgType.BlkRead, d)).toBe(true);
      expect(p.read()!.data).toEqual(d);
    }
  });

  it('never wraps a message: the end of the ring is padded, and a forged padding or overlong message is rejected', () => {
    const p = new PassagePage(1024);
    for (let i = 0; i < 9; i++) expect(p.write(Module.DAEMON, conet(0), MsgType.Frame, bytes(100, i))).toBe(true);
    for (let i = 0; i < 3; i++) p.read();
    // 36 bytes left at the end: padding, then the message at offset 0, payload contiguous.
    const at = p.reserve(Module.DAEMON, conet(1), MsgType.Frame, 100);
    expect(at).toBe(16 + 8);
    const ring = new DataView(p.buffer);
    expect(ring.getUint16(16 + 972 + 2, true)).toBe(0); // PAD
    // The padding claims to be shorter than the rest of the ring.
    ring.setUint32(16 + 972 + 4, 20, true);
    for (let i = 0; i < 6; i++) p.read();
    expect(() => p.read()).toThrow(/padding at ring offset 972/);
    // A message whose size runs past the end of the ring.
    const q = new PassagePage(1024);
    for (let i = 0; i < 9; i++) q.write(Module.DAEMON, conet(0), MsgType.Frame, bytes(100, i));
    for (let i = 0; i < 8; i++) q.read();
    new DataView(q.buffer).setUint32(16 + 864 + 4, 140, true);
    new DataView(q.buffer).setUint32(8, 1000, true);
    expect(() => q.read()).toThrow(/runs past the end of the ring/);
  });

  it('takes a run of messages written elsewhere, as many whole ones as fit', () => {
    const p = new PassagePage(1024);
    const b = new MessageBuffer(p.maxChunk);
    for (let i = 0; i < 20; i++) b.put(Module.LINUX, Module.CONSOLE, MsgType.ConsoleLine, bytes(92, i));
    // 10 messages of 100 bytes fill the 1008-byte ring.
    expect(p.writeMessages(b.bytes, b.view, 0, b.len)).toBe(1000);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push(p.read()!.data[0]!);
    // 3 read: 8 bytes left at the end are padded, 3 more go in at offset 0.
    expect(p.writeMessages(b.bytes, b.view, 1000, b.len)).toBe(1300);
    for (let m = p.read(); m; m = p.read()) seen.push(m.data[0]!);
    expect(p.writeMessages(b.bytes, b.view, 1300, b.len)).toBe(b.len);
    for (let m = p.read(); m; m = p.read()) seen.push(m.data[0]!);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // A payload larger than a chunk is split by the buffer.
    const c = new MessageBuffer(100);
    c.put(Module.LINUX, Module.MONITOR, MsgType.Save, bytes(250));
    expect(c.len).toBe(3 * 8 + 250);
  });

  it('rejects a message with a bad module number', () => {
    const p = new PassagePage(1024);
    p.write(Module.DAEMON, conet(0), MsgType.Frame, bytes(4));
    p.rawBytes()[16 + 1] = 200;
    expect(() => p.read()).toThrow(/destination module 200 is out of range/);
    const q = new PassagePage(1024);
    q.write(Module.DAEMON, conet(0), MsgType.Frame, bytes(4));
    q.rawBytes()[16] = 77;
    expect(() => q.read()).toThrow(/sender module 77/);
  });

  it('rejects a size beyond the page', () => {
    const p = new PassagePage(1024);
    p.write(Module.DAEMON, conet(0), MsgType.Frame, bytes(4));
    new DataView(p.buffer).setUint32(16 + 4, 1_000_000, true);
    expect(() => p.read()).toThrow(/size 1000000 goes beyond the page/);
  });

  it('rejects a type the destination does not know', () => {
    const p = new PassagePage(1024);
    p.write(Module.DAEMON, conet(0), MsgType.Fate, bytes(4));
    expect(() => p.read()).toThrow(/type 17 is not one CONET0 accepts/);
    const q = new PassagePage(1024);
    q.write(Module.LINUX, Module.CONSOLE, 999, bytes(1));
    expect(() => q.read()).toThrow(PassageError);
  });

  it('splits and joins messages larger than a chunk', () => {
    const p = new PassagePage(4096);
    const big = Uint8Array.from({ length: 5000 }, (_, i) => i & 255);
    const parts = chunks(big, p.maxChunk);
    expect(parts.length).toBeGreaterThan(1);
    const asm = new Assembler();
    let whole = null;
    for (let i = 0; i < parts.length; i++) {
      expect(p.write(Module.LINUX, Module.MONITOR, MsgType.Save, parts[i]!, i < parts.length - 1)).toBe(true);
      const got = asm.push(p.read()!);
      if (i < parts.length - 1) expect(got).toBeNull();
      else whole = got;
    }
    expect(whole!.data).toEqual(big);
    expect(asm.pending).toBe(false);
  });
});
