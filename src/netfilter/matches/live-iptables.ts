/**
 * Test helper: loads rule files into the real iptables-restore in a fresh
 * network namespace and reads back iptables-save, to compare cofw's
 * acceptance, refusals and canonical text with iptables 1.8.9's and the
 * kernel's. Tests using it skip when the machine cannot run it (root,
 * network namespaces, iptables 1.8.9 with nf_tables).
 */
import { spawnSync } from 'node:child_process';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';

/** Why the live comparison cannot run here, or '' when it can. */
export function liveUnavailable(): string {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces and iptables-restore)';
  const v = spawnSync('iptables-restore', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0 || !/v1\.8\.9 \(nf_tables\)/.test(v.stdout)) return 'it needs iptables 1.8.9 (nf_tables)';
  const ns = `cofwlive${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return 'network namespaces cannot be made here';
  spawnSync('ip', ['netns', 'del', ns]);
  return '';
}

/** What the kernel and cofw made of one rule file: the saved `-A` lines, or null when refused. */
export interface LiveOutcome {
  readonly file: string;
  readonly kernel: string[] | null;
  readonly cofw: string[] | null;
}

const ruleLines = (save: string): string[] => save.split('\n').filter((l) => l.startsWith('-A '));

/** Loads each file into a fresh namespace with iptables-restore (ip6tables-restore for IPv6) and into cofw. */
export function liveCompare(files: readonly string[], family: Family = Family.V4): LiveOutcome[] {
  const ns = `cofwlive${process.pid}`;
  const tool = family === Family.V6 ? 'ip6tables' : 'iptables';
  const out: LiveOutcome[] = [];
  spawnSync('ip', ['netns', 'add', ns]);
  try {
    for (const file of files) {
      const real = spawnSync('ip', ['netns', 'exec', ns, `${tool}-restore`], { input: file });
      const saved = spawnSync('ip', ['netns', 'exec', ns, `${tool}-save`], { encoding: 'utf8' }).stdout;
      let cofw: string[] | null;
      try {
        cofw = ruleLines(saveRuleset(loadRuleset(file, 'live.rules', { family })));
      } catch {
        cofw = null;
      }
      out.push({ file, kernel: real.status === 0 ? ruleLines(saved) : null, cofw });
      for (const t of ['filter', 'mangle', 'raw', 'nat', 'security']) spawnSync('ip', ['netns', 'exec', ns, tool, '-t', t, '-F']);
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
  return out;
}
