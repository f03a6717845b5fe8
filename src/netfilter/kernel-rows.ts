/**
 * Test support: rule texts with what iptables 1.8.9 (nf_tables) and the
 * reference kernel made of them, checked against cofw's restore and save,
 * and, where this machine can (root, network namespaces, Debian's
 * iptables 1.8.9), against the real iptables-restore and iptables-save in a
 * fresh network namespace.
 *
 * A row's `save` is the `-A` line iptables-save printed, or null when
 * iptables-restore refused the rule; `error` is then a piece of cofw's
 * message. Rules that need another table name it; a row of `family` 6 is
 * loaded with ip6tables.
 */
import { spawnSync } from 'node:child_process';
import { Family } from '../packet/inet-addr.js';
import { loadRuleset } from './rules/restore.js';
import { saveRuleset } from './rules/save.js';

export interface KernelRow {
  readonly rule: string;
  readonly save: string | null;
  /** A piece of cofw's refusal (rows with `save` null). */
  readonly error?: string;
  readonly table?: string;
  readonly family?: 4 | 6;
  /** More rules loaded before it in the same file (their lines are not compared). */
  readonly before?: readonly string[];
}

const CHAINS: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

/** The rule file a row is loaded from. */
export function rowFile(row: KernelRow): string {
  const table = row.table ?? 'filter';
  return [`*${table}`, ...CHAINS[table]!.map((c) => `:${c} ACCEPT [0:0]`), ...(row.before ?? []), row.rule, 'COMMIT', ''].join('\n');
}

/** What cofw makes of a row: the saved line of its rule, or `ERROR: message`. */
export function cofwRow(row: KernelRow): string {
  try {
    const rs = loadRuleset(rowFile(row), 'rules', { family: row.family === 6 ? Family.V6 : Family.V4 });
    const lines = saveRuleset(rs, { counters: false })
      .split('\n')
      .filter((l) => l.startsWith('-A'));
    return lines[lines.length - 1] ?? '';
  } catch (e) {
    return `ERROR: ${(e as Error).message}`;
  }
}

/** Why the real iptables cannot be asked here, or '' when it can. */
export function liveUnavailable(): string {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces and iptables-restore)';
  const v = spawnSync('iptables-restore', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) return 'iptables-restore is not installed';
  if (!/v1\.8\.9 \(nf_tables\)/.test(v.stdout)) return `the rows are of iptables 1.8.9 (nf_tables), this is ${v.stdout.trim()}`;
  const ns = `cofwrowcheck${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return 'network namespaces cannot be made here';
  spawnSync('ip', ['netns', 'del', ns]);
  return '';
}

/** What the real iptables-restore and iptables-save make of each row, in a fresh namespace per row. */
export function kernelRows(rows: readonly KernelRow[], tag: string): Array<string | null> {
  return rows.map((row, i) => {
    const ns = `cofw${tag}${process.pid}r${i}`;
    if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`ip netns add ${ns} failed`);
    try {
      const tool = row.family === 6 ? 'ip6tables' : 'iptables';
      const r = spawnSync('ip', ['netns', 'exec', ns, `${tool}-restore`], { input: rowFile(row), timeout: 60_000 });
      if (r.status !== 0) return null;
      const save = spawnSync('ip', ['netns', 'exec', ns, `${tool}-save`], { encoding: 'utf8', timeout: 60_000 });
      const lines = save.stdout.split('\n').filter((l) => l.startsWith('-A'));
      return lines[lines.length - 1] ?? '';
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
}

/**
 * A row's outcome in cofw, to compare with `row.save`: the saved line; null
 * when cofw refused the rule with a message holding `row.error`; else the
 * unexpected message.
 */
export function cofwOutcome(row: KernelRow): string | null {
  const got = cofwRow(row);
  if (!got.startsWith('ERROR: ')) return got;
  return row.save === null && got.includes(row.error ?? '') ? null : got;
}
