/**
 * Properties of the passage page and its message codecs: every decoder
 * takes any payload to a message or a PassageError, never another
 * exception; what an encoder writes decodes to what was encoded; the page
 * hands back, in order, exactly the messages written into it whatever
 * their sizes; and a page of any bytes yields valid messages within the
 * page, then a PassageError or the end, in a bounded number of steps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Assembler,
  FATE_HEADER,
  FateDecoder,
  FateEncoder,
  FateRecord,
  MessageBuffer,
  Module,
  MsgType,
  PassageError,
  PassagePage,
  chunks,
  decodeBlkRead,
  decodeBlkReply,
  decodeBoot,
  decodeBooted,
  decodeConsole,
  decodeFrame,
  decodeInitFailed,
  decodeSave,
  decodeTerminate,
  encodeBlkRead,
  encodeBlkReply,
  encodeBoot,
  encodeBooted,
  encodeConsole,
  encodeFrame,
  encodeInitFailed,
  encodeSave,
  encodeTerminate,
  type BootMsg,
} from '../../src/machine/passage/index.js';
import { parseMachineFile } from '../../src/machine/machine-file.js';
import { FateKind, type Fate } from '../../src/netfilter/fate.js';
import { params } from './config.js';

/** Any payload, and ones that start like a valid message of some kind. */
const payload = fc.oneof({ weight: 3, arbitrary: fc.uint8Array({ maxLength: 96 }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4 }) });

/** Runs `f`; anything thrown but a PassageError fails the property. */
function decodes(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof PassageError)) throw e;
    expect(e.message).not.toMatch(/\bundefined\b|\bNaN\b/);
    return undefined;
  }
}

const DECODERS: Array<[string, (b: Uint8Array) => unknown]> = [
  ['boot', decodeBoot],
  ['block read', decodeBlkRead],
  ['block reply', decodeBlkReply],
  ['frame', decodeFrame],
  ['booted', decodeBooted],
  ['init failure', decodeInitFailed],
  ['console', decodeConsole],
  ['save', decodeSave],
  ['terminate', decodeTerminate],
];

/** Encoded messages of every kind, damaged: flipped bytes, cut or extended. */
const damagedMessage = (enc: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(enc, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.option(fc.nat()), fc.uint8Array({ maxLength: 3 }))
    .map(([b, flips, cut, extra]) => {
      const o = Uint8Array.from(b);
      for (const [i, v] of flips) if (o.length) o[i % o.length] = v;
      if (cut === null) return o;
      return Uint8Array.from([...o.subarray(0, cut % (o.length + 1)), ...extra]);
    });

const specs = [
  parseMachineFile(
    `hostname: a
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:1::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
    mtu: 9000
routes:
  - to: default
    via: 198.51.100.254
  - to: ::/0
    via: 2001:db8:1::fe
conntrack:
  max: 77
  tcp_loose: false
`,
    'a.yaml',
  ),
  parseMachineFile('interfaces:\n  - name: wan\n    addresses: []\nfail: open\n', 'b.yaml'),
];

const text = fc.string({ maxLength: 40, unit: 'grapheme' });
const bootMsg: fc.Arbitrary<BootMsg> = fc
  .record({
    bootTsNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    rulesFile: text,
    spec: fc.constantFrom(...specs),
    trace: fc.array(
      fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
      { maxLength: 3 },
    ),
    rules6File: fc.option(text.filter((s) => s !== '')),
  })
  .map(({ rules6File, ...m }) => (rules6File === null ? m : { ...m, rules6File }));

const encoded = fc.oneof(
  bootMsg.map(encodeBoot),
  fc.record({ offset: fc.nat(), length: fc.nat(16 * 1024) }).map(encodeBlkRead),
  fc
    .record({ request: fc.integer({ min: 48, max: 51 }), status: fc.integer({ min: -4095, max: 0 }), value: fc.nat(), data: fc.uint8Array({ maxLength: 20 }) })
    .map(encodeBlkReply),
  fc
    .record({
      frameNo: fc.nat(),
      tsNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      output: fc.boolean(),
      truncated: fc.boolean(),
      data: fc.uint8Array({ maxLength: 40 }),
    })
    .map(encodeFrame),
  fc.record({ rules: fc.nat(), tables: fc.nat() }).map(encodeBooted),
  fc
    .record({ ruleFile: fc.boolean(), errors: fc.array(fc.record({ file: text, line: fc.nat(), column: fc.nat(), message: text }), { maxLength: 3 }) })
    .map(encodeInitFailed),
  fc.record({ level: fc.integer({ min: 0, max: 7 }), sinceBootNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), text }).map(encodeConsole),
  fc.record({ counters: fc.boolean(), text, ipv6: fc.boolean() }).map(encodeSave),
  fc.record({ reason: fc.constantFrom(0, 1, 2, 3, 4, 7, 8, 9), frameNo: fc.nat(), text }).map(encodeTerminate),
);

describe('the passage message codecs', () => {
  it('decode any payload to a message or a PassageError', () => {
    fc.assert(
      fc.property(fc.oneof(payload, damagedMessage(encoded)), (b) => {
        for (const [, decode] of DECODERS) decodes(() => decode(b));
      }),
      params(1000),
    );
  });

  it('decode what they encode to what was encoded', () => {
    const same =
      <T>(enc: (m: T) => Uint8Array, dec: (b: Uint8Array) => T, norm: (m: T) => unknown = (m) => m) =>
      (m: T): void => {
        expect(norm(dec(enc(m)))).toEqual(norm(m));
      };
    const bootView = (m: BootMsg) => ({
      ...m,
      spec: JSON.parse(
        JSON.stringify(m.spec, (_k, v: unknown) =>
          v instanceof Uint8Array ? [...v] : typeof v === 'object' && v && 'toString' in v && 'family' in v ? String(v) : v,
        ),
      ),
    });
    fc.assert(fc.property(bootMsg, same(encodeBoot, decodeBoot, bootView)), params(200));
    fc.assert(
      fc.property(
        fc.record({
          frameNo: fc.nat(),
          tsNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          output: fc.boolean(),
          truncated: fc.boolean(),
          data: fc.uint8Array({ maxLength: 40 }),
        }),
        same(encodeFrame, decodeFrame),
      ),
      params(200),
    );
    fc.assert(
      fc.property(
        fc.record({ level: fc.integer({ min: 0, max: 7 }), sinceBootNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), text }),
        same(encodeConsole, decodeConsole),
      ),
      params(200),
    );
    fc.assert(
      fc.property(
        fc.record({ ruleFile: fc.boolean(), errors: fc.array(fc.record({ file: text, line: fc.nat(), column: fc.nat(), message: text }), { maxLength: 3 }) }),
        same(encodeInitFailed, decodeInitFailed),
      ),
      params(200),
    );
    fc.assert(
      fc.property(fc.record({ reason: fc.constantFrom(0, 1, 2, 3, 4, 7, 8, 9), frameNo: fc.nat(), text }), same(encodeTerminate, decodeTerminate)),
      params(200),
    );
  });

  it('fate records: the decoder takes any definition or record to a fate or a PassageError, and what the encoder writes back to the fates', () => {
    const fateArb: fc.Arbitrary<Fate> = fc
      .record({
        // Outbound (11) is settled by the host and never crosses the page.
        kind: fc.integer({ min: 1, max: 10 }),
        unit: fc.integer({ min: -1, max: 15 }),
        frameNo: fc.nat(),
        site: fc.option(
          fc.record({
            table: fc.constantFrom('filter', 'nat', 'raw'),
            chain: fc.constantFrom('INPUT', 'FORWARD', 'x'.repeat(40)),
            rule: fc.nat(5),
            ipv6: fc.boolean(),
          }),
        ),
        reason: fc.option(text),
        frame: fc.option(fc.uint8Array({ maxLength: 30 })),
      })
      .map((f) => {
        const out: { -readonly [K in keyof Fate]: Fate[K] } = { kind: f.kind as FateKind, unit: f.unit, frameNo: f.frameNo };
        if (f.site) out.site = f.site.ipv6 ? f.site : { table: f.site.table, chain: f.site.chain, rule: f.site.rule };
        if (f.reason !== null) out.reason = f.reason;
        if (f.frame) out.frame = f.frame;
        return out;
      });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fateArb, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), { maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
        (fates, flips) => {
          const buf = new MessageBuffer(1 << 20);
          const enc = new FateEncoder(buf);
          for (const [f, ts] of fates) enc.fate(f, Number(ts >> 32n), Number(ts & 0xffffffffn));
          // Read the run back: definitions and records in order.
          const dec = new FateDecoder();
          const rec = new FateRecord();
          const got: unknown[] = [];
          const walk = (bytes: Uint8Array, strict: boolean): void => {
            const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            for (let o = 0; o + 8 <= bytes.length;) {
              const type = dv.getUint16(o + 2, true);
              const size = dv.getUint32(o + 4, true);
              if (o + 8 + size > bytes.length) break;
              const run = () => {
                if (type === MsgType.Intern) dec.intern(bytes, o + 8, size);
                else {
                  dec.decode(rec, bytes, dv, o + 8, size);
                  got.push({ kind: rec.kind, unit: rec.unit, frameNo: rec.frameNo, site: rec.site, reason: rec.reason, frame: rec.frame, ts: rec.tsNs });
                }
              };
              if (strict) run();
              else decodes(run);
              o += 8 + size;
            }
          };
          walk(buf.bytes.subarray(0, buf.len), true);
          const want = fates.map(([f, ts]) => ({
            kind: f.kind,
            unit: f.unit,
            frameNo: f.frameNo >>> 0,
            site: f.site ? { ...f.site, table: f.site.table.slice(0, 255), chain: f.site.chain.slice(0, 255) } : undefined,
            reason: f.reason,
            frame: f.frame ?? undefined,
            ts,
          }));
          expect(got).toEqual(want);
          // Damaged: a fate or a PassageError for each message.
          const bad = buf.bytes.slice(0, buf.len);
          for (const [i, v] of flips) if (bad.length) bad[8 + (i % Math.max(1, bad.length - 8))] = v;
          const d2 = new FateDecoder();
          const dv2 = new DataView(bad.buffer);
          for (let o = 0; o + 8 <= bad.length;) {
            const size = dv2.getUint32(o + 4, true);
            if (o + 8 + size > bad.length) break;
            const type = dv2.getUint16(o + 2, true);
            decodes(() => (type === MsgType.Intern ? d2.intern(bad, o + 8, size) : d2.decode(rec, bad, dv2, o + 8, size)));
            o += 8 + size;
          }
          // Any payload as a record or a definition.
          decodes(() => d2.decode(rec, bad, dv2, 0, Math.min(bad.length, FATE_HEADER + 4)));
        },
      ),
      params(500),
    );
  });
});

describe('the passage page', () => {
  /** A message a sender may write: to a destination that accepts its type. */
  const msg = fc.oneof(
    fc.record({ from: fc.constant(Module.LINUX), to: fc.constant(Module.DAEMON), type: fc.constantFrom(MsgType.Fate, MsgType.Intern) }),
    fc.record({ from: fc.constant(Module.DAEMON), to: fc.integer({ min: Module.CONET0, max: Module.CONET_END }), type: fc.constant(MsgType.Frame) }),
    fc.record({ from: fc.constant(Module.LINUX), to: fc.constant(Module.MONITOR), type: fc.constantFrom(MsgType.Save, MsgType.Booted, MsgType.Terminate) }),
    fc.record({ from: fc.constant(Module.MONITOR), to: fc.constant(Module.LINUX), type: fc.constantFrom(MsgType.Boot, MsgType.Shutdown, MsgType.BlkReply) }),
  );

  it('hands back, in order, exactly the messages written, whatever their sizes and however reads and writes interleave', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1024, 1500, 4096),
        fc.array(fc.oneof(fc.tuple(msg, fc.integer({ min: 0, max: 1200 }), fc.boolean()), fc.constant('read' as const)), { maxLength: 60 }),
        (size, ops) => {
          const page = new PassagePage(size);
          const asm = new Assembler();
          const pending: Array<{ from: number; to: number; type: number; data: Uint8Array }> = [];
          const queue: Array<{ from: number; to: number; type: number; more: boolean; data: Uint8Array }> = [];
          const got: typeof pending = [];
          const readOne = (): void => {
            const m = page.read();
            if (!m) return;
            const whole = asm.push(m);
            if (whole) got.push({ from: whole.from, to: whole.to, type: whole.type, data: whole.data });
          };
          let n = 0;
          for (const op of ops) {
            if (op === 'read') {
              readOne();
              continue;
            }
            const [m, len, inPlace] = op;
            const data = Uint8Array.from({ length: len }, (_, i) => (i * 7 + n++) & 255);
            pending.push({ ...m, data });
            const parts = chunks(data, page.maxChunk);
            parts.forEach((p, i) => queue.push({ ...m, more: i < parts.length - 1, data: p }));
            // Write what fits; the rest waits for reads (the writer yields).
            while (queue.length) {
              const q = queue[0]!;
              let ok: boolean;
              if (inPlace) {
                const at = page.reserve(q.from, q.to, q.type, q.data.length, q.more);
                ok = at >= 0;
                if (ok) page.bytes.set(q.data, at);
              } else ok = page.write(q.from, q.to, q.type, q.data, q.more);
              if (!ok) break;
              queue.shift();
            }
          }
          for (let guard = 0; (queue.length || !page.empty) && guard < 10_000; guard++) {
            readOne();
            while (queue.length && page.write(queue[0]!.from, queue[0]!.to, queue[0]!.type, queue[0]!.data, queue[0]!.more)) queue.shift();
          }
          expect(queue).toEqual([]);
          expect(page.empty).toBe(true);
          expect(got).toEqual(pending);
        },
      ),
      params(150),
    );
  });

  it('reads a page of any bytes as valid messages within it, then a PassageError or the end, in bounded steps', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1024, 2048),
        fc.uint8Array({ minLength: 0, maxLength: 2048 }),
        fc.tuple(fc.nat(), fc.nat(), fc.nat()),
        (size, bytes, [r, w, used]) => {
          const page = new PassagePage(size);
          page.bytes.set(bytes.subarray(0, size));
          // Control words: any, or plausible.
          if (r % 2) {
            page.view.setUint32(0, r % page.capacity, true);
            page.view.setUint32(4, w % page.capacity, true);
            page.view.setUint32(8, used % (page.capacity + 1), true);
          }
          for (let step = 0; step < 1000; step++) {
            let at: number;
            try {
              at = page.next();
            } catch (e) {
              if (!(e instanceof PassageError)) throw e;
              return;
            }
            if (at < 0) return;
            expect(at + page.msgSize).toBeLessThanOrEqual(page.bytes.length);
            expect(at).toBeGreaterThanOrEqual(16 + 8);
          }
          throw new Error('next() did not end in 1000 steps');
        },
      ),
      params(2000),
    );
  });
});
