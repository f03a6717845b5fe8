import { describe, expect, it } from 'vitest';
import { FateKind } from '../../netfilter/fate.js';
import { defaultMachine } from '../machine-file.js';
import {
  Assembler,
  Module,
  MsgType,
  PassageError,
  PassagePage,
  Termination,
  chunks,
  cobd,
  conet,
  decodeBlkRead,
  decodeBlkReply,
  decodeBoot,
  decodeConsole,
  decodeFrame,
  decodeInitFailed,
  decodeSave,
  decodeTerminate,
  encodeBlkRead,
  encodeBlkReply,
  encodeBoot,
  encodeConsole,
  FateDecoder,
  FateEncoder,
  FateRecord,
  MessageBuffer,
  encodeFrame,
  encodeInitFailed,
  encodeSave,
  encodeTerminate,
} from './index.js';

const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

describe('passage page encodings', () => {
  it('round-trips a frame delivery', () => {
    const f = { frameNo: 7, tsNs: 1_700_000_000_123_456_789n, output: true, truncated: false, data: bytes(60) };
    expect(decodeFrame(encodeFrame(f))).toEqual(f);
    const cut = { ...f, output: false, truncated: true };
    expect(decodeFrame(encodeFrame(cut))).toEqual(cut);
  });
  it('round-trips fate records with site, reason and leaving frame; sites and reasons cross once', () => {
    const page = new PassagePage(4096);
    const buf = new MessageBuffer(page.maxChunk);
    const enc = new FateEncoder(buf);
    const f = { kind: FateKind.DroppedByRule, frameNo: 3, unit: -1, site: { table: 'filter', chain: 'INPUT', rule: 4 }, reason: 'why' };
    const g = { kind: FateKind.Forwarded, frameNo: 9, unit: 1, frame: bytes(42) };
    enc.fate(f, 5n);
    enc.fate(g, 6n);
    enc.fate({ ...f, frameNo: 4, reason: undefined }, 7n);
    expect(page.writeMessages(buf.bytes, buf.view, 0, buf.len)).toBe(buf.len);
    const dec = new FateDecoder();
    const rec = new FateRecord();
    const got: unknown[] = [];
    const types: number[] = [];
    for (let at = page.next(); at >= 0; at = page.next()) {
      types.push(page.msgType);
      if (page.msgType === MsgType.Intern) dec.intern(page.bytes, at, page.msgSize);
      else {
        dec.decode(rec, page.bytes, page.view, at, page.msgSize);
        got.push({ ...rec });
      }
    }
    // Two definitions (the site, the reason), then three records naming them by number.
    expect(types).toEqual([MsgType.Intern, MsgType.Intern, MsgType.Fate, MsgType.Fate, MsgType.Fate]);
    expect(got).toEqual([{ ...f, tsNs: 5n }, { ...g, tsNs: 6n }, { ...f, frameNo: 4, reason: undefined, tsNs: 7n }]);
    expect(dec.sites).toEqual([{ table: 'filter', chain: 'INPUT', rule: 4 }]);
  });
  it('round-trips console, block, boot, terminate, init failure and save messages', () => {
    expect(decodeConsole(encodeConsole({ level: 4, sinceBootNs: 1_234_567_000n, text: 'héllo' }))).toEqual({ level: 4, sinceBootNs: 1_234_567_000n, text: 'héllo' });
    expect(decodeBlkRead(encodeBlkRead({ offset: 70_000, length: 4096 }))).toEqual({ offset: 70_000, length: 4096 });
    const rep = { request: MsgType.BlkRead, status: 0, value: 70_000, data: bytes(10) };
    expect(decodeBlkReply(encodeBlkReply(rep))).toEqual(rep);
    const spec = { ...defaultMachine([0xc6336401]), routes: [{ dst: 0, prefix: 0, via: 0xc63364fe, dev: 'eth0' }] };
    const boot = decodeBoot(encodeBoot({ bootTsNs: 99n, rulesFile: 'r.v4', spec }));
    expect(boot.rulesFile).toBe('r.v4');
    expect(boot.spec).toEqual(spec);
    expect(decodeTerminate(encodeTerminate({ reason: Termination.PANIC, frameNo: 12, text: 'oops' }))).toEqual({ reason: 3, frameNo: 12, text: 'oops' });
    const init = { ruleFile: true, errors: [{ file: 'r.v4', line: 3, column: 9, message: 'bad port' }] };
    expect(decodeInitFailed(encodeInitFailed(init))).toEqual(init);
    expect(decodeSave(encodeSave({ counters: true, text: '*filter\nCOMMIT\n' }))).toEqual({ counters: true, text: '*filter\nCOMMIT\n' });
  });
  it('rejects payloads that lie about their contents', () => {
    const decodeFate = (b: Uint8Array): void => new FateDecoder().decode(new FateRecord(), b, new DataView(b.buffer), 0, b.length);
    expect(() => decodeFate(new Uint8Array([99, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/unknown fate kind 99/);
    expect(() => decodeFate(new Uint8Array([1, 0, 1]))).toThrow(PassageError);
    // A site or reason the guest never defined.
    expect(() => decodeFate(new Uint8Array([4, 0xff, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]))).toThrow(/drop site 7 was never defined/);
    expect(() => decodeFate(new Uint8Array([6, 0xff, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/reason 0 was never defined/);
    // Definitions out of order.
    expect(() => new FateDecoder().intern(new Uint8Array([2, 5, 0, 0, 0, 0, 0]), 0, 7)).toThrow(/out of order/);
    expect(() => decodeTerminate(new Uint8Array([42, 0, 0, 0, 0]))).toThrow(/unknown reason 42/);
    expect(() => decodeBlkRead(encodeBlkRead({ offset: 0, length: 1 << 20 }))).toThrow(/at most/);
  });
});

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

describe('MessageBuffer growth', () => {
  it('keeps a message being written when the buffer grows under it', () => {
    const page = new PassagePage(256 * 1024);
    const buf = new MessageBuffer(page.maxChunk);
    const enc = new FateEncoder(buf);
    // Fill the buffer to just below its first size, then define many sites with long names.
    const filler = new Uint8Array(16 * 1024 - 40);
    buf.put(Module.LINUX, Module.CONSOLE, MsgType.ConsoleLine, filler);
    for (let i = 0; i < 50; i++) {
      enc.fate({ kind: FateKind.DroppedByRule, frameNo: i + 1, unit: -1, site: { table: 'filter', chain: `chain-with-a-long-name-${i}`, rule: i + 1 } }, 0n);
    }
    expect(page.writeMessages(buf.bytes, buf.view, 0, buf.len)).toBe(buf.len);
    let fates = 0;
    for (let at = page.next(); at >= 0; at = page.next()) if (page.msgType === MsgType.Fate) fates++;
    expect(fates).toBe(50);
  });
});
