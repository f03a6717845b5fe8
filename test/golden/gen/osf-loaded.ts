/**
 * osf-loaded: `-m osf` with passive OS fingerprints loaded, as a firewall
 * where `nfnl_osf -f pf.os` ran (the machine file's `osf: pf.os`),
 * stateless.
 *
 * The fingerprint file (pf.os, written beside the rules) holds pf.os-style
 * lines for Linux (window a multiple of the MSS), Windows (a plain window
 * and a modulo one), FreeBSD without DF, a wildcard window without
 * options, a window of the MTU and a genre behind `@`, with a comment, a
 * blank line, whitespace after colons, a duplicate line (the kernel keeps
 * one) and unknown options. TCP SYNs crafted from each fingerprint, and
 * some one field away from it (TTL, DF, window, option order, length, no
 * SYN), go to the firewall (INPUT) and through it (FORWARD), and meet
 * rules with `--genre`, `! --genre`, `--ttl 0/1/2` and `--log 0/1/2` (with
 * --log the kernel matches any known OS, whatever the genre).
 *
 * Recorded with a private copy of the oracle that runs `nfnl_osf -f pf.os`
 * in the firewall's namespace before the replay and `nfnl_osf -d -f pf.os`
 * after it (the fingerprints are global to the kernel, not per namespace);
 * with LOGS=1 it also binds nf_log_ipv4 in the namespace, sets
 * net.netfilter.nf_log_all_netns to 1 for the run and keeps the kernel's
 * new log lines (`kernel.log`, the osf lines cofw writes to its console):
 *
 *     cp -r ../shared/kernel-oracle /tmp/oracle-osf   # then add, after iptables-restore:
 *     #   ip netns exec ofw nfnl_osf -f "$OSF"   (and nfnl_osf -d -f "$OSF" in the EXIT trap)
 *     OSF=test/golden/osf-loaded/pf.os flock /tmp/kernel-oracle.lock /tmp/oracle-osf/run-kernel.sh \
 *       test/golden/osf-loaded/rules.v4 test/golden/osf-loaded/capture.pcap test/golden/osf-loaded
 */
import { ipv4, tcp } from '../../../src/packet/build.js';
import { Capture, ORACLE_MACHINE, type Scenario } from './capture.js';

/** The fingerprint file, pf.os style (OpenBSD's format, as nfnl_osf reads it). */
export const PF_OS = `# cofw golden osf-loaded: a few pf.os-style fingerprints
# window:ttl:df:size:options:genre:version:subtype:details

S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:Linux 2.6 and later
65535:128:1:52:M*,N,W2,N,N,S:Windows:2000:SP4:Windows 2000 SP4
%8192: 128 :1:48:M*,N,N,S:Windows:XP:SP1:Windows XP SP1, a multiple of 8192
16384:64:0:44:M*:FreeBSD:4.8:noDF:FreeBSD 4.8 without DF
*:64:1:40:.:Wild:any:noopt:any window, no options
T4:64:1:44:M*:MTUOS:1:mtu:four times the MTU
S2:64:1:44:M1400:@Linux:2.0:generic:a generic Linux, twice the MSS
S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:the same line again, loaded once
32768:64:1:48:M*,?9,N,N,S:Odd:1:unknown:an unknown option (?9) is skipped
`;

const GENRE_RULES = [
  '--genre Linux',
  '! --genre Linux',
  '--genre Linux --ttl 0',
  '--genre Linux --ttl 1',
  '--genre Linux --ttl 2',
  '--genre Windows',
  '--genre Windows --ttl 2',
  '--genre FreeBSD',
  '--genre Wild',
  '--genre MTUOS',
  '--genre Odd',
  '--genre linux',
  '--genre Nothing',
  '--genre Nothing --log 1',
  '--genre Nothing --log 0',
  '--genre Windows --log 2 --ttl 2',
  '! --genre Nothing --ttl 1 --log 1',
];

function ruleFile(): string {
  const filter: string[] = [];
  for (const ch of ['INPUT', 'FORWARD']) for (const r of GENRE_RULES) filter.push(`-A ${ch} -p tcp -m osf ${r}`);
  return `# cofw golden: osf-loaded
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m osf --genre Windows
-A PREROUTING -p tcp -m osf --genre FreeBSD --ttl 1
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${filter.join('\n')}
COMMIT
`;
}

const mss = (v: number): number[] => [2, 4, v >> 8, v & 0xff];
/** M*,S,T,N,W7: MSS, SACK permitted, timestamps, NOP, window scale (Linux's order). */
const linuxOpts = (m = 1460): Uint8Array => Uint8Array.of(...mss(m), 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);
/** M*,N,W2,N,N,S. */
const WIN2000 = Uint8Array.of(...mss(1460), 1, 3, 3, 2, 1, 1, 4, 2);
/** M*,N,N,S. */
const WINXP = Uint8Array.of(...mss(1460), 1, 1, 4, 2);
/** M*. */
const MSS_ONLY = (m = 1460): Uint8Array => Uint8Array.of(...mss(m));

export function build(): Scenario & { machine: string; osf: string } {
  const c = new Capture(5_000_000n);
  const FW = '198.51.100.1';
  const OUT = '203.0.113.9';
  const IN = '192.0.2.10';
  let port = 41000;
  // Each SYN twice: to the firewall (INPUT) and through it (FORWARD).
  const syn = (o: { ttl?: number; df?: boolean; window: number; options?: Uint8Array; flags?: string; payload?: Uint8Array }): void => {
    for (const dst of [FW, IN]) {
      const t = tcp({
        sport: port++,
        dport: 80,
        flags: o.flags ?? 'S',
        window: o.window,
        ...(o.options ? { options: o.options } : {}),
        ...(o.payload ? { payload: o.payload } : {}),
      });
      c.wire(ipv4({ src: OUT, dst, ttl: o.ttl ?? 64, df: o.df ?? true }, t));
    }
  };
  // Linux 2.6: window 44 x MSS (the SYN's, or 1460 or 1448 whatever its MSS).
  syn({ window: 44 * 1460, options: linuxOpts() });
  syn({ window: 44 * 1400, options: linuxOpts(1400) });
  syn({ window: 44 * 1448, options: linuxOpts(1300) });
  syn({ window: 44 * 1460 + 1, options: linuxOpts() }); // no window fits
  syn({ ttl: 60, window: 44 * 1460, options: linuxOpts() }); // four hops away: --ttl 1 and 2
  syn({ ttl: 70, window: 44 * 1460, options: linuxOpts() }); // more than the fingerprint's: --ttl 2 only
  syn({ window: 44 * 1460, options: linuxOpts(), flags: 'SA' }); // SYN-ACK: still a SYN
  syn({ window: 44 * 1460, options: linuxOpts(), flags: 'A' }); // no SYN: never
  syn({ window: 44 * 1460, options: Uint8Array.of(4, 2, ...mss(1460), 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7) }); // S before M
  syn({ df: false, window: 44 * 1460, options: linuxOpts() }); // the DF-less list: nothing there for Linux
  // Windows 2000 (window 65535) and XP (a multiple of 8192), TTL 128.
  syn({ ttl: 128, window: 65535, options: WIN2000 });
  syn({ ttl: 128, window: 16384, options: WINXP });
  syn({ ttl: 128, window: 8192 * 7, options: WINXP });
  syn({ ttl: 128, window: 16385, options: WINXP }); // not a multiple
  syn({ ttl: 128, window: 16384, options: WINXP, payload: Uint8Array.of(1, 2, 3, 4) }); // 4 bytes longer
  syn({ ttl: 120, window: 65535, options: WIN2000 }); // eight hops away
  // FreeBSD 4.8 without DF; the same with DF finds nothing.
  syn({ df: false, window: 16384, options: MSS_ONLY() });
  syn({ df: false, ttl: 50, window: 16384, options: MSS_ONLY() });
  syn({ window: 16384, options: MSS_ONLY() });
  // Any window, no options; four times the MTU; twice the MSS (the genre `@Linux` is Linux).
  syn({ window: 1234, options: undefined });
  syn({ window: 0, options: undefined });
  syn({ window: 4 * 1500, options: MSS_ONLY() });
  syn({ window: 4 * 1440, options: MSS_ONLY(1400) });
  syn({ window: 2 * 1460, options: MSS_ONLY() });
  syn({ window: 2 * 1400, options: MSS_ONLY(1400) });
  syn({ window: 2 * 1000, options: MSS_ONLY(1000) });
  // The unknown option was skipped: M*,N,N,S of 48 bytes with window 32768.
  syn({ window: 32768, options: WINXP });
  return { rules: ruleFile(), capture: c, machine: `${ORACLE_MACHINE}osf: pf.os\n`, osf: PF_OS };
}
