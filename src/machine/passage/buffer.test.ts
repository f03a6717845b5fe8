import { describe, expect, it } from 'vitest';
import { FateKind } from '../../netfilter/fate.js';
import { MessageBuffer } from './buffer.js';
import { FateEncoder } from './fate.js';
import { Module, MsgType } from './modules.js';
import { PassagePage } from './page.js';

describe('MessageBuffer growth', () => {
  it('keeps a message being written when the buffer grows under it', () => {
    const page = new PassagePage(256 * 1024);
    const buf = new MessageBuffer(page.maxChunk);
    const enc = new FateEncoder(buf);
    // Fill the buffer to just below its first size, then define many sites with long names.
    const filler = new Uint8Array(16 * 1024 - 40);
    buf.put(Module.LINUX, Module.CONSOLE, MsgType.ConsoleLine, filler);
    for (let i = 0; i < 50; i++) {
      enc.fate({ kind: FateKind.DroppedByRule, frameNo: i + 1, unit: -1, site: { table: 'filter', chain: `chain-with-a-long-name-${i}`, rule: i + 1 } }, 0, 0);
    }
    expect(page.writeMessages(buf.bytes, buf.view, 0, buf.len)).toBe(buf.len);
    let fates = 0;
    for (let at = page.next(); at >= 0; at = page.next()) if (page.msgType === MsgType.Fate) fates++;
    expect(fates).toBe(50);
  });
});
