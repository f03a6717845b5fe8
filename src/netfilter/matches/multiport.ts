/**
 * `-m multiport` (xt_multiport.c revision 1 / libxt_multiport.c): up to 15
 * ports in `--sports`, `--dports` or `--ports` (either side), a range
 * `a:b` counting as two, `!` for the whole list.
 *
 * @example
 * -p tcp -m multiport --dports 22,80,443,8000:8100
 */
import { CheckError, OptionError, defineMatch, type OptionSpec, type OptionUse, type RuleHead } from '../xt.js';
import { SVC_SCTP, SVC_TCP, SVC_UDP, badPort, checkUses, parsePortText } from './util.js';

/** XT_MULTI_PORTS. */
export const MULTI_PORTS = 15;

export const enum MultiportDir {
  Source = 1,
  Destination = 2,
  Either = 3,
}

export interface MultiportConfig {
  readonly dir: MultiportDir;
  /** Ports; an entry with `range[i]` set starts a range ending at `ports[i + 1]`. */
  readonly ports: Uint16Array;
  readonly range: Uint8Array;
  readonly count: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'source-ports', aliases: ['sports'], args: 1, invert: true, excludes: ['destination-ports', 'ports'] },
  { name: 'destination-ports', aliases: ['dports'], args: 1, invert: true, excludes: ['source-ports', 'ports'] },
  { name: 'ports', args: 1, invert: true, excludes: ['source-ports', 'destination-ports'] },
];

const ONLY_WORKS = 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP';

/** Service-name protocol set for a rule protocol; undefined when multiport cannot be used. */
function portProtos(head: RuleHead): number | undefined {
  switch (head.proto) {
    case 6:
      return SVC_TCP;
    case 17:
      return SVC_UDP;
    case 132:
      return SVC_SCTP;
    case 136: // udplite
    case 33: // dccp
      return 0;
    default:
      return undefined;
  }
}

function parsePorts(text: string, protos: number, use: OptionUse) {
  const ports = new Uint16Array(MULTI_PORTS);
  const range = new Uint8Array(MULTI_PORTS);
  const items = text.split(',');
  let i = 0;
  let k = 0;
  for (; k < items.length && i < MULTI_PORTS; k++, i++) {
    const item = items[k]!;
    const colon = item.indexOf(':');
    if (colon >= 0 && i === MULTI_PORTS - 1) throw new OptionError(`too many ports specified (at most ${MULTI_PORTS}, a range counts as two)`, use);
    const first = colon >= 0 ? item.slice(0, colon) : item;
    const a = parsePortText(first, protos);
    if (a === undefined) throw badPort(first, use);
    ports[i] = a;
    if (colon >= 0) {
      const last = item.slice(colon + 1);
      const b = parsePortText(last, protos);
      if (b === undefined) throw badPort(last, use);
      range[i] = 1;
      ports[++i] = b;
      if (a >= b) throw new OptionError(`invalid portrange specified: ${item}; the first port must be lower`, use);
    }
  }
  if (k < items.length) throw new OptionError(`too many ports specified (at most ${MULTI_PORTS}, a range counts as two)`, use);
  return { ports, range, count: i };
}

export const multiportMatch = defineMatch<MultiportConfig>({
  name: 'multiport',
  options: OPTIONS,
  parse(uses, ctx) {
    checkUses('multiport', uses);
    const u = uses[0];
    if (!u) throw new OptionError('multiport expection an option: --sports, --dports or --ports');
    if (ctx.head.invProto) throw new OptionError(ONLY_WORKS, u);
    const protos = portProtos(ctx.head);
    if (protos === undefined) {
      if (ctx.head.proto === 0) {
        throw new OptionError("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'", u);
      }
      throw new OptionError(ONLY_WORKS, u);
    }
    const dir = u.spec.name === 'source-ports' ? MultiportDir.Source : u.spec.name === 'destination-ports' ? MultiportDir.Destination : MultiportDir.Either;
    return { dir, ...parsePorts(u.args[0]!, protos, u), invert: u.invert };
  },
  check(_c, ctx) {
    if (ctx.head.invProto || portProtos(ctx.head) === undefined) throw new CheckError(ONLY_WORKS);
  },
  save(c) {
    const name = c.dir === MultiportDir.Source ? '--sports' : c.dir === MultiportDir.Destination ? '--dports' : '--ports';
    const list: string[] = [];
    for (let i = 0; i < c.count; i++) {
      if (c.range[i]) {
        list.push(`${c.ports[i]}:${c.ports[i + 1]}`);
        i++;
      } else list.push(String(c.ports[i]));
    }
    return `${c.invert ? '! ' : ''}${name} ${list.join(',')}`;
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const d = skb.data;
    const th = skb.thoff;
    if (th + 4 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    const src = (d[th]! << 8) | d[th + 1]!;
    const dst = (d[th + 2]! << 8) | d[th + 3]!;
    const wantSrc = c.dir !== MultiportDir.Destination;
    const wantDst = c.dir !== MultiportDir.Source;
    const ports = c.ports;
    for (let i = 0; i < c.count; i++) {
      const s = ports[i]!;
      if (c.range[i]) {
        const e = ports[++i]!;
        if ((wantSrc && src >= s && src <= e) || (wantDst && dst >= s && dst <= e)) return !c.invert;
      } else if ((wantSrc && src === s) || (wantDst && dst === s)) return !c.invert;
    }
    return c.invert;
  },
});
