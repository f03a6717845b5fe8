/**
 * The match registry: one line per module. Adding a match touches its own
 * file and one line here.
 */
import type { MatchModule } from '../xt.js';
import { addrtypeMatch } from './addrtype.js';
import { commentMatch } from './comment.js';
import { icmpMatch } from './icmp.js';
import { iprangeMatch } from './iprange.js';
import { lengthMatch } from './length.js';
import { macMatch } from './mac.js';
import { multiportMatch } from './multiport.js';
import { pkttypeMatch } from './pkttype.js';
import { tcpMatch } from './tcp.js';
import { ttlMatch } from './ttl.js';
import { udpMatch } from './udp.js';
import { sctpMatch } from './sctp.js';
import { conntrackMatch } from '../conntrack/matches/conntrack.js';
import { stateMatch } from '../conntrack/matches/state.js';
import { limitMatch } from './limit.js';
import { hashlimitMatch } from './hashlimit.js';
import { recentMatch } from './recent.js';
import { statisticMatch } from './statistic.js';
import { connlimitMatch } from './connlimit.js';
import { markMatch } from './mark.js';
import { connmarkMatch } from './connmark.js';
import { connbytesMatch } from './connbytes.js';
import { connlabelMatch } from './connlabel.js';
import { devgroupMatch } from './devgroup.js';
import { realmMatch } from './realm.js';
import { ownerMatch } from './owner.js';
import { policyMatch } from './policy.js';
import { socketMatch } from './socket.js';
import { physdevMatch } from './physdev.js';
import { dscpMatch } from './dscp.js';
import { tosMatch } from './tos.js';
import { ecnMatch } from './ecn.js';
import { tcpmssMatch } from './tcpmss.js';
import { helperMatch } from './helper.js';
import { stringMatch } from './string.js';
import { u32Match } from './u32.js';
import { timeMatch } from './time.js';
import { icmp6Match } from './icmp6.js';
import { hlMatch } from './hl.js';
import { ipv6headerMatch } from './ipv6header.js';
import { fragMatch } from './frag.js';
import { dstMatch, hbhMatch } from './hbh.js';
import { rtMatch } from './rt.js';
import { mhMatch } from './mh.js';
import { eui64Match } from './eui64.js';
import { ahMatch } from './ah.js';
import { espMatch } from './esp.js';
import { setMatch } from './set.js';
import { rpfilterMatch } from './rpfilter.js';
import { quotaMatch } from './quota.js';
import { cpuMatch } from './cpu.js';
import { dccpMatch } from './dccp.js';
import { ipcompMatch } from './ipcomp.js';
import { srhMatch } from './srh.js';
import { clusterMatch } from './cluster.js';
import { rateestMatch } from './rateest.js';
import { bpfMatch } from './bpf.js';
import { osfMatch } from './osf.js';
import { cgroupMatch } from './cgroup.js';
import { nfacctMatch } from './nfacct.js';

export const MATCHES: readonly MatchModule<any>[] = [
  tcpMatch,
  udpMatch,
  sctpMatch,
  icmpMatch,
  multiportMatch,
  commentMatch,
  iprangeMatch,
  lengthMatch,
  ttlMatch,
  macMatch,
  pkttypeMatch,
  addrtypeMatch,
  stateMatch,
  conntrackMatch,
  limitMatch,
  hashlimitMatch,
  recentMatch,
  statisticMatch,
  connlimitMatch,
  markMatch,
  connmarkMatch,
  connbytesMatch,
  connlabelMatch,
  devgroupMatch,
  realmMatch,
  ownerMatch,
  policyMatch,
  socketMatch,
  physdevMatch,
  dscpMatch,
  tosMatch,
  ecnMatch,
  tcpmssMatch,
  helperMatch,
  stringMatch,
  u32Match,
  bpfMatch,
  osfMatch,
  cgroupMatch,
  timeMatch,
  icmp6Match,
  hlMatch,
  ipv6headerMatch,
  fragMatch,
  hbhMatch,
  dstMatch,
  rtMatch,
  mhMatch,
  eui64Match,
  ahMatch,
  espMatch,
  setMatch,
  rpfilterMatch,
  quotaMatch,
  cpuMatch,
  dccpMatch,
  ipcompMatch,
  srhMatch,
  clusterMatch,
  rateestMatch,
  nfacctMatch,
];
