/**
 * `cofw trace` for a person: the guest's trace events (src/net/trace-events.ts)
 * of each chosen frame, printed with the rule texts of the rule sets and
 * their lines in the rule files:
 *
 *   frame 2: tcp 203.0.113.8:40000 -> 198.51.100.1:22 [S] len 60, in on eth0
 *     PREROUTING (in eth0)
 *       conntrack: NEW; before: no entry; after: tcp 6 120 SYN_SENT src=... [UNREPLIED] src=...
 *     INPUT (in eth0)
 *       filter INPUT
 *         INPUT #1     line 7   -A INPUT -i lo -j ACCEPT                     no match
 *         INPUT #5     line 11  -A INPUT -p tcp -m tcp --dport 22 -j log-drop   MATCH
 *         log-drop #2  line 15  -A log-drop -j DROP                           MATCH
 *       verdict: DROP (filter:log-drop:#2)
 *     NAT: none
 *     conntrack at the end: ...
 *     fate: dropped by rule filter:log-drop:rule:2
 */
import type { Ruleset } from '../netfilter/rules/model.js';
import { ruleTextAt } from '../netfilter/rules/texts.js';
import { TRACE_EVENT_PREFIX } from '../net/trace-events.js';

type Event = { e: string; f: number } & Record<string, unknown>;

/** The events in a console's lines (each line may start with its `[  seconds]` timestamp). */
export function traceEvents(console: readonly string[]): Event[] {
  const out: Event[] = [];
  for (const line of console) {
    const at = line.indexOf(TRACE_EVENT_PREFIX);
    if (at < 0) continue;
    try {
      out.push(JSON.parse(line.slice(at + TRACE_EVENT_PREFIX.length)) as Event);
    } catch {
      // A line cut short (the console's limit): nothing to read.
    }
  }
  return out;
}

/** `tcp a:1 -> b:2` of a packet summary, without its flags and length. */
function flowOf(pkt: unknown): string {
  return String(pkt ?? '')
    .replace(/ len \d+$/, '')
    .replace(/ \[[A-Z.]+\]$/, '');
}

export interface TraceTextOptions {
  ruleset: Ruleset;
  ruleset6?: Ruleset | undefined;
}

/** The trace of every frame with events, in frame order, frames separated by a blank line. */
export function formatTrace(events: readonly Event[], o: TraceTextOptions): string {
  const byFrame = new Map<number, Event[]>();
  for (const e of events) {
    let list = byFrame.get(e.f);
    if (!list) byFrame.set(e.f, (list = []));
    list.push(e);
  }
  const parts: string[] = [];
  for (const [frame, evs] of [...byFrame].sort((a, b) => a[0] - b[0])) parts.push(formatFrame(frame, evs, o));
  return parts.join('\n');
}

function formatFrame(frame: number, evs: Event[], o: TraceTextOptions): string {
  const out: string[] = [];
  const first = evs.find((e) => e.e === 'hook');
  let fam = first?.fam === 6 ? 6 : 4;
  out.push(
    `frame ${frame}: ${first ? `${String(first.pkt)}${first.in ? `, in on ${String(first.in)}` : ', sent by the firewall'}` : 'no packet reached netfilter'}`,
  );
  let firstPkt = first ? flowOf(first.pkt) : '';
  let ctBefore: string | null | undefined;
  let fates = 0;
  /** Inside the events of a reply netfilter generated for the frame. */
  let generated = false;
  /** Inside the events of a copy TEE sends while the frame is on its way. */
  let dup = false;
  for (const e of evs) {
    switch (e.e) {
      case 'hook': {
        fam = e.fam === 6 ? 6 : 4;
        const dev = [
          e.in ? `in ${String(e.in)}` : '',
          e.out ? `out ${String(e.out)}` : '',
          e.physin ? `physdev-in ${String(e.physin)}` : '',
          e.physout ? `physdev-out ${String(e.physout)}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        if (fates > 0 && !generated) {
          generated = true;
          out.push(`  then a packet netfilter generated for it (REJECT's reply): ${String(e.pkt)}`);
        }
        out.push(`  ${String(e.hook)}${dev ? ` (${dev})` : ''}: ${String(e.pkt)}`);
        break;
      }
      case 'ct': {
        if (ctBefore === undefined && !dup) ctBefore = (e.before as string | null) ?? null;
        out.push(`    conntrack: ${String(e.state)}`);
        out.push(`      entry before: ${(e.before as string | null) ?? 'none (a new connection)'}`);
        out.push(`      entry after:  ${(e.after as string | null) ?? 'none'}`);
        break;
      }
      case 'table':
        out.push(`    ${fam === 6 ? 'ip6tables' : 'iptables'} -t ${String(e.table)}, chain ${String(e.hook)}:`);
        break;
      case 'rule': {
        const rs = fam === 6 ? o.ruleset6 : o.ruleset;
        const text = rs ? (ruleTextAt(rs, String(e.table), String(e.chain), Number(e.n)) ?? '') : '';
        const line = Number(e.line) ? `line ${Number(e.line)}` : '';
        out.push(`      ${`${String(e.chain)} #${Number(e.n)}`.padEnd(14)} ${line.padEnd(9)} ${e.m ? 'MATCH   ' : 'no match'}  ${text}`);
        break;
      }
      case 'return':
        out.push(`      ${String(e.chain)}: end of chain, back to the calling chain`);
        break;
      case 'policy':
        out.push(`      ${String(e.chain)}: end of chain, policy ${String(e.policy)}`);
        break;
      case 'verdict': {
        const where = Number(e.rule) === 0 ? `${String(e.chain)} policy` : `${String(e.chain)} #${Number(e.rule)}`;
        out.push(`    verdict of ${String(e.table)}: ${String(e.v)}${e.chain ? ` (${where})` : ''}`);
        break;
      }
      case 'natbound':
        out.push(`    nat: not consulted (only a connection's first packet goes through the nat table; this one's translation is already decided)`);
        break;
      case 'copy':
        out.push(e.port ? `  copy out of ${String(e.port)} (the bridge sends the frame out of several ports):` : `  copy passed up to the bridge's own stack:`);
        fates = 0;
        generated = false;
        break;
      case 'copies':
        out.push(`  the frame, from its ${String(e.n)} copies:`);
        fates = 0;
        generated = false;
        ctBefore = undefined;
        firstPkt = '';
        break;
      case 'dup':
        out.push(`  TEE sends a copy to ${String(e.gw)} at once, as the firewall's own packet (untracked): ${String(e.pkt)}`);
        dup = true;
        break;
      case 'dupdone':
        out.push(`  back to the packet itself, after its copy:`);
        dup = false;
        break;
      case 'fate': {
        if (dup) {
          out.push(`  fate of the copy: ${String(e.fate)}`);
          break;
        }
        fates++;
        const now = flowOf(e.pkt);
        if (fates === 1) {
          out.push(`  NAT: ${firstPkt && now && now !== firstPkt ? `${firstPkt}  became  ${now}` : 'none'}`);
          if (ctBefore !== undefined || e.ct) {
            out.push(`  conntrack before: ${ctBefore ?? 'no entry'}`);
            out.push(`  conntrack after:  ${(e.ct as string | null) ?? 'no entry'}${e.state ? ` (packet ${String(e.state)})` : ''}`);
          }
          out.push(`  fate: ${String(e.fate)}`);
        } else out.push(`  fate of the reply: ${String(e.fate)}`);
        generated = false;
        firstPkt = '';
        break;
      }
    }
  }
  return out.join('\n') + '\n';
}
