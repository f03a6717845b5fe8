/**
 * Properties of the machine-file reader: any text (machine files built from
 * their grammar, damaged, or not YAML at all) gives a MachineSpec or a
 * MachineFileError whose problems each have a line and a column in the
 * file, never another exception; and a spec it accepts is written by
 * machineFileText in a form that reads back to the same spec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MachineFileError, machineFileText, parseMachineFile } from '../../src/machine/machine-file.js';
import type { MachineSpec } from '../../src/machine/spec.js';
import { params, timeout } from './config.js';

const oneOf = <T>(...v: T[]): fc.Arbitrary<T> => fc.constantFrom(...v);
const ODD = [
  '',
  '~',
  'null',
  '[]',
  '{}',
  '-1',
  '0x10',
  '1e3',
  '"',
  "'",
  '&a',
  '*a',
  '!!binary AAAA',
  '? x',
  '|',
  '>',
  '%',
  '@',
  '`',
  '\t',
  '\u00e9',
  '\u0000',
  '\ufeff',
];
const scalar = (vals: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 8, arbitrary: oneOf(...vals) }, { weight: 1, arbitrary: oneOf(...ODD) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

const ADDRS = [
  '198.51.100.1/24',
  '192.0.2.1/24',
  '10.0.0.1/8',
  '2001:db8:1::1/64',
  '2001:db8:2::1/48',
  '203.0.113.9/32',
  '127.0.0.2/8',
  '224.0.0.1/4',
  '::1/128',
  'ff02::1/16',
  '198.51.100.1',
  '300.1.1.1/24',
  '192.0.2.1/33',
  '2001:db8::1/129',
  '0.0.0.0/0',
];

const iface = fc
  .record({
    name: fc.option(scalar(['eth0', 'eth1', 'wan', 'lan0', 'lo', 'a/b', 'averyveryverylongname', 'eth0'])),
    mac: fc.option(scalar(['"02:00:00:00:00:01"', '"02:00:00:00:01:01"', '"03:00:00:00:00:01"', '02:00:00:00:00:09', '"zz:00:00:00:00:01"'])),
    addresses: fc.option(fc.array(scalar(ADDRS), { maxLength: 3 })),
    mtu: fc.option(scalar(['1500', '9000', '68', '67', '65536', '1400'])),
    extra: fc.option(oneOf('gro: true', 'speed: 10', 'name2: x')),
  })
  .map((i) => {
    const lines: string[] = [];
    if (i.name !== null) lines.push(`name: ${i.name}`);
    if (i.mac !== null) lines.push(`mac: ${i.mac}`);
    if (i.addresses !== null) lines.push(`addresses: [${i.addresses.join(', ')}]`);
    if (i.mtu !== null) lines.push(`mtu: ${i.mtu}`);
    if (i.extra !== null) lines.push(i.extra);
    return lines.length ? lines.map((l, k) => `${k ? '    ' : '  - '}${l}`).join('\n') : '  - {}';
  });

const route = fc
  .record({
    to: fc.option(scalar(['default', '0.0.0.0/0', '::/0', '10.0.0.0/8', '2001:db8:9::/48', '192.0.2.128/25', '10.0.0.1/8'])),
    via: fc.option(scalar(['198.51.100.254', '192.0.2.254', '2001:db8:1::fe', '10.9.9.9', 'fe80::1'])),
    dev: fc.option(scalar(['eth0', 'eth1', 'eth7', 'lo'])),
  })
  .map((r) => {
    const lines: string[] = [];
    if (r.to !== null) lines.push(`to: ${r.to}`);
    if (r.via !== null) lines.push(`via: ${r.via}`);
    if (r.dev !== null) lines.push(`dev: ${r.dev}`);
    return lines.length ? lines.map((l, k) => `${k ? '    ' : '  - '}${l}`).join('\n') : '  - {}';
  });

/** A machine file from the grammar of the format, with odd values now and then. */
const machineFile = fc
  .record({
    hostname: fc.option(scalar(['cofw-edge', 'fw1', 'a.b-c', '-bad', 'x'.repeat(70)])),
    interfaces: fc.option(fc.array(iface, { maxLength: 3 })),
    routes: fc.option(fc.array(route, { maxLength: 3 })),
    fail: fc.option(scalar(['closed', 'open', 'maybe'])),
    conntrack: fc.option(
      fc.tuple(fc.option(scalar(['262144', '1', '0', '-5', '2147483648'])), fc.option(scalar(['true', 'false', 'yes'])), fc.option(scalar(['true', 'false']))),
    ),
    unknown: fc.option(oneOf('extra: 1', 'Interfaces: []', '# a comment')),
  })
  .map((m) => {
    const out: string[] = [];
    if (m.hostname !== null) out.push(`hostname: ${m.hostname}`);
    if (m.interfaces !== null) out.push(m.interfaces.length ? `interfaces:\n${m.interfaces.join('\n')}` : 'interfaces: []');
    if (m.routes !== null) out.push(m.routes.length ? `routes:\n${m.routes.join('\n')}` : 'routes: []');
    if (m.fail !== null) out.push(`fail: ${m.fail}`);
    if (m.conntrack !== null) {
      const [max, loose, liberal] = m.conntrack;
      const c = [
        max !== null ? `  max: ${max}` : '',
        loose !== null ? `  tcp_loose: ${loose}` : '',
        liberal !== null ? `  tcp_be_liberal: ${liberal}` : '',
      ].filter(Boolean);
      out.push(c.length ? `conntrack:\n${c.join('\n')}` : 'conntrack: {}');
    }
    if (m.unknown !== null) out.push(m.unknown);
    return out.join('\n') + '\n';
  });

/** A machine file the reader should mostly accept: unique names, MACs and addresses, routes on them. */
const goodFile = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }),
    addrs: fc.array(fc.subarray(['198.51.100.1/24', '2001:db8:1::1/64', '10.1.0.1/16', '2001:db8:5::1/48', '172.16.0.1/12'], { maxLength: 2 }), {
      minLength: 3,
      maxLength: 3,
    }),
    mtus: fc.array(fc.option(fc.integer({ min: 68, max: 65535 })), { minLength: 3, maxLength: 3 }),
    routes: fc.array(
      fc.tuple(
        oneOf('default', '::/0', '10.0.0.0/8', '2001:db8:9::/48', '0.0.0.0/0'),
        fc.option(oneOf('198.51.100.254', '2001:db8:1::fe')),
        fc.option(fc.nat(2)),
      ),
      { maxLength: 3 },
    ),
    hostname: oneOf('cofw-edge', 'fw1', 'a.b-c'),
    fail: fc.option(oneOf('closed', 'open')),
    ct: fc.option(fc.tuple(fc.option(fc.integer({ min: 1, max: 2 ** 31 - 1 })), fc.option(fc.boolean()), fc.option(fc.boolean()))),
  })
  .map((m) => {
    const out = [`hostname: ${m.hostname}`, 'interfaces:'];
    const used = new Set<string>();
    for (let i = 0; i < m.n; i++) {
      const addrs = m.addrs[i]!.filter((a) => !used.has(a));
      addrs.forEach((a) => used.add(a));
      out.push(`  - name: eth${i}`, `    mac: "02:00:00:00:0${i}:01"`, `    addresses: [${addrs.join(', ')}]`);
      if (m.mtus[i] !== null) out.push(`    mtu: ${m.mtus[i]}`);
    }
    if (m.routes.length) {
      out.push('routes:');
      for (const [to, via, dev] of m.routes) {
        out.push(`  - to: ${to}`);
        if (via !== null) out.push(`    via: ${via}`);
        if (dev !== null && dev < m.n) out.push(`    dev: eth${dev}`);
      }
    }
    if (m.fail !== null) out.push(`fail: ${m.fail}`);
    if (m.ct !== null) {
      out.push('conntrack:');
      const [max, loose, lib] = m.ct;
      if (max !== null) out.push(`  max: ${max}`);
      if (loose !== null) out.push(`  tcp_loose: ${loose}`);
      if (lib !== null) out.push(`  tcp_be_liberal: ${lib}`);
      if (max === null && loose === null && lib === null) out[out.length - 1] = 'conntrack: {}';
    }
    return out.join('\n') + '\n';
  });

/** Text damaged at the character level: characters replaced, removed or inserted. */
const damaged = fc.tuple(machineFile, fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 3 })), { maxLength: 3 })).map(([t, edits]) => {
  let s = t;
  for (const [at, del, ins] of edits) {
    const i = s.length ? at % s.length : 0;
    s = s.slice(0, i) + ins + s.slice(i + del);
  }
  return s;
});

/** Nesting the YAML parser has to walk: flow sequences and block mappings many levels deep. */
const nested = (n: number, flow: boolean): string =>
  flow ? `interfaces: ${'['.repeat(n)}${']'.repeat(n)}\n` : Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
const deep = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.boolean()).map(([n, flow]) => nested(n, flow));

const anyText = fc.oneof(
  { weight: 2, arbitrary: goodFile },
  { weight: 4, arbitrary: machineFile },
  { weight: 4, arbitrary: damaged },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: deep },
);

/** Parses `text`; anything but a spec or a MachineFileError with positions fails the property. */
function parse(text: string): MachineSpec | undefined {
  try {
    return parseMachineFile(text, 'prop.yaml');
  } catch (e) {
    if (!(e instanceof MachineFileError)) throw e;
    const lines = text.split(/\r\n|\r|\n/).length;
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) {
      expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1, `line ${p.line} of ${lines}: ${p.message}`).toBe(true);
      expect(Number.isInteger(p.column) && p.column >= 1, `column ${p.column}: ${p.message}`).toBe(true);
      for (const leak of ['undefined', 'NaN', '[object Object]']) if (!text.includes(leak)) expect(p.message).not.toContain(leak);
    }
    return undefined;
  }
}

/** What machineFileText must keep of a spec. */
const view = (s: MachineSpec): unknown => ({
  hostname: s.hostname,
  failPolicy: s.failPolicy,
  // `conntrack: {}` is the kernel's defaults, as no conntrack key is.
  conntrack: s.conntrack && Object.keys(s.conntrack).length ? s.conntrack : undefined,
  devices: s.devices.map((d) => ({
    ...d,
    mac: Buffer.from(d.mac).toString('hex'),
    addrs: d.addrs.map((a) => `${a.addr.toString()}/${a.prefix} ${a.broadcast?.toString() ?? ''}`),
  })),
  routes: s.routes.map((r) => `${r.dst.toString()}/${r.prefix} via ${r.via?.toString() ?? '-'} dev ${r.dev}`),
});

describe('the machine-file reader', () => {
  it(
    'reads any text into a spec or a MachineFileError with positions, nothing else',
    () => {
      fc.assert(
        fc.property(anyText, (text) => {
          parse(text);
        }),
        params(500),
      );
    },
    timeout(30_000),
  );

  it.each([
    [3000, true],
    [3000, false],
  ])('reads YAML nested %i levels deep (flow: %s) into a MachineFileError, not a stack overflow', (n, flow) => {
    expect(parse(nested(n, flow))).toBeUndefined();
  });

  it(
    'reads back what machineFileText writes of any spec it accepts',
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(fc.oneof(goodFile, machineFile), (text) => {
          const spec = parse(text);
          if (!spec) return;
          accepted++;
          const again = parse(machineFileText(spec));
          expect(again, machineFileText(spec)).toBeDefined();
          expect(view(again!)).toEqual(view(spec));
        }),
        params(500),
      );
      expect(accepted).toBeGreaterThan(50);
    },
    timeout(30_000),
  );
});
