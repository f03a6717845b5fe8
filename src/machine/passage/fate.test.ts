import { describe, expect, it } from 'vitest';
import { FateKind } from '../../netfilter/fate.js';
import { MessageBuffer } from './buffer.js';
import { FateDecoder, FateEncoder, FateRecord } from './fate.js';
import { MsgType } from './modules.js';
import { PassageError, PassagePage } from './page.js';

const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

describe('fate records', () => {
  it('round-trips fate records with site, reason and leaving frame; sites and reasons cross once', () => {
    const page = new PassagePage(4096);
    const buf = new MessageBuffer(page.maxChunk);
    const enc = new FateEncoder(buf);
    const f = { kind: FateKind.DroppedByRule, frameNo: 3, unit: -1, site: { table: 'filter', chain: 'INPUT', rule: 4 }, reason: 'why' };
    const g = { kind: FateKind.Forwarded, frameNo: 9, unit: 1, frame: bytes(42) };
    enc.fate(f, 0, 5);
    enc.fate(g, 0, 6);
    enc.fate({ ...f, frameNo: 4, reason: undefined }, 1, 7, true);
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
        // The leaving frame viewed in place is the frame the copy holds, in the page's own bytes.
        const view = rec.frameView();
        if (view) {
          expect(view.buffer).toBe(page.bytes.buffer);
          expect([...view]).toEqual([...rec.frame!]);
        } else expect(rec.frame).toBeUndefined();
        got.push({ ...rec });
      }
    }
    // Two definitions (the site, the reason), then three records naming them by number.
    expect(types).toEqual([MsgType.Intern, MsgType.Intern, MsgType.Fate, MsgType.Fate, MsgType.Fate]);
    expect(got).toEqual([
      { ...f, tsNs: 5n, opensMark: false },
      { ...g, tsNs: 6n, opensMark: false },
      // The third stands for its frame's mark too (FATE_OPENS_MARK).
      { ...f, frameNo: 4, reason: undefined, tsNs: 4_294_967_303n, opensMark: true },
    ]);
    expect(dec.sites).toEqual([{ table: 'filter', chain: 'INPUT', rule: 4 }]);
  });
  it('rejects fate records and definitions that lie about their contents', () => {
    const decodeFate = (b: Uint8Array): void => new FateDecoder().decode(new FateRecord(), b, new DataView(b.buffer), 0, b.length);
    expect(() => decodeFate(new Uint8Array([99, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/unknown fate kind 99/);
    expect(() => decodeFate(new Uint8Array([1, 0, 1]))).toThrow(PassageError);
    // A site or reason the guest never defined.
    expect(() => decodeFate(new Uint8Array([4, 0xff, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]))).toThrow(/drop site 7 was never defined/);
    expect(() => decodeFate(new Uint8Array([6, 0xff, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/reason 0 was never defined/);
    // Definitions out of order.
    expect(() => new FateDecoder().intern(new Uint8Array([2, 5, 0, 0, 0, 0, 0]), 0, 7)).toThrow(/out of order/);
  });
});
