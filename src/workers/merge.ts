/**
 * The end results of several guests put together as one guest's: the
 * `iptables-save -c` texts (each chain's and rule's counters summed: every
 * packet crossed exactly one guest) and the `conntrack -L` tables (each
 * connection lives in one guest; the lines sorted as one table's are).
 */

const POLICY = /^(:\S+ \S+ )\[(\d+):(\d+)\]$/;
const RULE = /^\[(\d+):(\d+)\] (.*)$/;

/** The counters of several `iptables-save -c` texts of one rule set, summed; undefined when none has one. */
export function mergeSaves(texts: ReadonlyArray<string | undefined>): string | undefined {
  const have = texts.filter((t): t is string => t !== undefined);
  if (!have.length) return undefined;
  if (have.length === 1) return have[0];
  const lines = have.map((t) => t.split('\n'));
  const n = lines[0]!.length;
  if (lines.some((l) => l.length !== n)) throw new Error('merging counters: the guests saved rule sets of different lengths');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const first = lines[0]![i]!;
    const p = POLICY.exec(first);
    const r = p ? null : RULE.exec(first);
    if (!p && !r) {
      if (lines.some((l) => l[i] !== first)) throw new Error(`merging counters: line ${i + 1} differs between guests`);
      out.push(first);
      continue;
    }
    let packets = 0n;
    let bytes = 0n;
    for (const l of lines) {
      const m = (p ? POLICY : RULE).exec(l[i]!);
      const rest = m && (p ? m[1] : m[3]);
      if (!m || rest !== (p ? p[1] : r![3])) throw new Error(`merging counters: line ${i + 1} differs between guests`);
      packets += BigInt(p ? m[2]! : m[1]!);
      bytes += BigInt(p ? m[3]! : m[2]!);
    }
    out.push(p ? `${p[1]}[${packets}:${bytes}]` : `[${packets}:${bytes}] ${r![3]}`);
  }
  return out.join('\n');
}

/** Several `conntrack -L` tables (sorted lines) as one sorted table; undefined when none has one. */
export function mergeConntrack(tables: ReadonlyArray<string | undefined>): string | undefined {
  const have = tables.filter((t): t is string => t !== undefined);
  if (!have.length) return undefined;
  const lines: string[] = [];
  for (const t of have) for (const l of t.split('\n')) if (l) lines.push(l);
  lines.sort();
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * Several guests' translated-entry lines (each IPv4 lines, then IPv6, each
 * sorted: `conntrackTranslated`) as one guest's; undefined when none has any.
 */
export function mergeTranslated(lists: ReadonlyArray<string | undefined>): string | undefined {
  return mergeByFamily(lists, / src=[^ ]*:/);
}

/** Several `conntrack -L expect` lists (IPv4 lines, then IPv6, each sorted) as one; undefined when none has one. */
export function mergeExpectations(lists: ReadonlyArray<string | undefined>): string | undefined {
  return mergeByFamily(lists, / dst=[^ ]*:/);
}

/** Lists of lines, IPv4 then IPv6 (`v6line` tells an IPv6 line), each sorted, as one such list; undefined when none has one. */
function mergeByFamily(lists: ReadonlyArray<string | undefined>, v6line: RegExp): string | undefined {
  const have = lists.filter((t): t is string => t !== undefined);
  if (!have.length) return undefined;
  const v4: string[] = [];
  const v6: string[] = [];
  for (const t of have) for (const l of t.split('\n')) if (l) (v6line.test(l) ? v6 : v4).push(l);
  const lines = [...v4.sort(), ...v6.sort()];
  return lines.length ? `${lines.join('\n')}\n` : '';
}
