/**
 * NFLOG (iptables extensions/libxt_NFLOG.c): hands the packet to a
 * userspace logger through nfnetlink_log and lets it go on. iptables-nft
 * loads it as the native nf_tables `log group N` expression (nft_log), so
 * it is valid in every table and hook and the prefix may be 127 bytes long.
 *
 * Parsing as iptables 1.8.9: `--nflog-group` 0-65535, `--nflog-prefix` (at
 * least one character, no newline, cut to 127 bytes), `--nflog-size` 0 to
 * 2^32-1 (copy length), `--nflog-threshold` 0-65535, `--nflog-range`
 * (accepted with iptables' warning and ignored: it "has never worked";
 * excludes --nflog-size). iptables-save prints the prefix, then the group
 * unless 0, the size when given, the threshold unless 0.
 *
 * cofw has no nfnetlink_log listener yet: each packet is reported on the
 * guest console as `NFLOG group=N prefix="..." ` followed by the packet in
 * LOG's format (IN= OUT= ... as nf_log_syslog prints it, the IPv6 line for
 * an ip6tables rule), at level 6.
 */
import { XT_CONTINUE } from '../types.js';
import { uintArg } from '../args.js';
import { defineTarget, OptionError, type OptionUse } from '../xt.js';
import { formatLogLine, saveString } from './log.js';
import { exclusive } from './xt-util.js';

/** NF_LOG_PREFIXLEN - 1. */
const PREFIX_MAX = 127;

export interface NflogConfig {
  readonly group: number;
  readonly prefix: string;
  /** Copy length (--nflog-size), or -1 when not given. */
  readonly size: number;
  readonly threshold: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parsePrefix(use: OptionUse): string {
  const arg = use.args[0] ?? '';
  if (arg.length === 0) throw new OptionError('Argument must have a minimum length of 1 characters', use);
  if (arg.includes('\n')) throw new OptionError('Newlines not allowed in --nflog-prefix', use);
  const bytes = encoder.encode(arg);
  return bytes.length <= PREFIX_MAX ? arg : decoder.decode(bytes.subarray(0, PREFIX_MAX));
}

const NO_FLAGS = { level: 6, prefix: '', flags: 0 };

export const nflogTarget = defineTarget<NflogConfig>({
  name: 'NFLOG',
  options: [
    { name: 'nflog-group', args: 1 },
    { name: 'nflog-prefix', args: 1 },
    { name: 'nflog-range', args: 1 },
    { name: 'nflog-size', args: 1 },
    { name: 'nflog-threshold', args: 1 },
  ],

  parse(uses) {
    let group = 0;
    let prefix = '';
    let size = -1;
    let threshold = 0;
    let range: OptionUse | undefined;
    let sizeUse: OptionUse | undefined;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'nflog-group':
          group = uintArg('NFLOG', u, 0, 65535);
          break;
        case 'nflog-prefix':
          prefix = parsePrefix(u);
          break;
        case 'nflog-range':
          if (sizeUse) throw exclusive('NFLOG', sizeUse, u);
          uintArg('NFLOG', u, 0, 0xffffffff);
          range = u;
          break;
        case 'nflog-size':
          if (range) throw exclusive('NFLOG', range, u);
          size = uintArg('NFLOG', u, 0, 0xffffffff);
          sizeUse = u;
          break;
        case 'nflog-threshold':
          threshold = uintArg('NFLOG', u, 0, 65535);
          break;
      }
    }
    return { group, prefix, size, threshold };
  },

  target(config, skb, par) {
    const head = `NFLOG group=${config.group} prefix="${config.prefix}" `;
    par.services.printk(6, head + formatLogLine(NO_FLAGS, skb, par));
    return XT_CONTINUE;
  },

  save(config) {
    const out: string[] = [];
    if (config.prefix) out.push('--nflog-prefix', saveString(config.prefix));
    if (config.group) out.push('--nflog-group', String(config.group));
    if (config.size >= 0) out.push('--nflog-size', String(config.size));
    if (config.threshold) out.push('--nflog-threshold', String(config.threshold));
    return out.join(' ');
  },
});
