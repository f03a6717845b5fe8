/**
 * The library entry point: the names a library user relies on are there,
 * and the README's quick start works through them alone.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as cofw from './index.js';
import {
  CaptureError,
  defaultMachine,
  formatIPv4,
  formatReport,
  loadMachineFile,
  loadRuleset,
  MachineFileError,
  machineFileText,
  openCaptures,
  parseCidr,
  parseIPv4,
  parseMachineFile,
  replay,
  RuleFileErrors,
  ruleText,
  saveRuleset,
  type ReplayResult,
} from './index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const at = (p: string): string => join(repo, p);

describe('cofw library entry point', () => {
  it('exports exactly the documented values', () => {
    // Removing or renaming one of these breaks library users: change README.md's "Library" section with it.
    expect(Object.keys(cofw).sort()).toEqual(
      [
        'CaptureError',
        'ConservationError',
        'Family',
        'InetAddr',
        'parseIPv6',
        'parseInetAddr',
        'translations',
        'FLOW_TABLE_CAP',
        'LocalAddressGuesser',
        'MachineFileError',
        'OutputError',
        'RuleFileError',
        'RuleFileErrors',
        'defaultMachine',
        'formatIPv4',
        'formatReport',
        'htmlReport',
        'jsonReport',
        'REPORT_VERSION',
        'loadMachineFile',
        'loadRuleset',
        'machineFileText',
        'openCaptureWriter',
        'openCaptures',
        'parseCidr',
        'parseIPv4',
        'parseMachineFile',
        'replay',
        'ruleText',
        'saveRuleset',
        'ExpectationRun',
        'ExpectFileError',
        'formatExpectations',
        'junitXml',
        'parseExpectations',
        'RuleSets',
        'findShadowed',
        'formatShadowed',
      ].sort(),
    );
  });

  it('loads and saves a rule file', () => {
    const rs = loadRuleset('*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', 'inline.v4');
    const input = rs.tables.get('filter')?.chains.get('INPUT');
    expect(input?.policy).toBe('DROP');
    expect(input?.rules.map(ruleText)).toEqual(['-p tcp -m tcp --dport 22 -j ACCEPT']);
    expect(saveRuleset(rs)).toContain('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n');
    expect(() => loadRuleset('*filter\n-A INPUT -j NOSUCHTARGET\nCOMMIT\n', 'bad.v4')).toThrow(RuleFileErrors);
  });

  it('builds machines from files, text and addresses', () => {
    expect(loadMachineFile(at('machines/sample.yaml')).devices.map((d) => d.name)).toEqual(['lo', 'eth0', 'eth1']);
    const spec = parseMachineFile('interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [192.0.2.1/24]\n', 'inline.yaml');
    expect(spec.devices.map((d) => d.name)).toEqual(['lo', 'eth0']);
    expect(() => parseMachineFile('interfaces: 3\n', 'bad.yaml')).toThrow(MachineFileError);
    const c = parseCidr('198.51.100.1/24');
    expect(c && formatIPv4(c.addr)).toBe('198.51.100.1');
    expect(machineFileText(defaultMachine([parseIPv4('192.0.2.1')!]))).toContain('addresses: [192.0.2.1/24]');
    expect(() => openCaptures([at('rules/sample.v4')])).toThrow(CaptureError);
  });

  describe('replays the sample as `npm start` does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-index-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reports, saves counters and writes the dropped capture', async () => {
      const dropped = join(dir, 'dropped.pcapng');
      const r: ReplayResult = await replay({
        rulesFile: at('rules/sample.v4'),
        rulesText: readFileSync(at('rules/sample.v4'), 'utf8'),
        machine: loadMachineFile(at('machines/sample.yaml')),
        captures: [at('pcaps/sample.pcap')],
        dropped,
      });
      expect(r.framesIn).toBeGreaterThan(0);
      expect(r.drops.sites.length).toBeGreaterThan(0);
      expect(r.save).toMatch(/^\[\d+:\d+\] -A /m);
      expect(statSync(dropped).size).toBeGreaterThan(0);
      const text = formatReport(r, { captures: ['pcaps/sample.pcap'], rulesFile: 'rules/sample.v4', machine: 'machines/sample.yaml', top: 5 });
      expect(text).toContain('pcaps/sample.pcap');
      expect(text.endsWith('\n')).toBe(true);
    });
  });
});
