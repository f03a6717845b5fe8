/**
 * The target registry: one line per module. ACCEPT, DROP, RETURN, jumps and
 * gotos are the engine's own (standard targets), not modules.
 */
import type { TargetModule } from '../xt.js';
import { logTarget } from './log.js';
import { rejectTarget } from './reject.js';
import { connmarkTarget } from './connmark.js';
import { connsecmarkTarget } from './connsecmark.js';
import { ctTarget, notrackTarget } from './ct.js';
import { dscpTarget, tosTarget } from './dscp.js';
import { ecnTarget } from './ecn.js';
import { markTarget } from './mark.js';
import { NAT_TARGETS } from './nat.js';
import { nflogTarget } from './nflog.js';
import { checksumTarget } from './checksum.js';
import { nfqueueTarget } from './nfqueue.js';
import { tproxyTarget } from './tproxy.js';
import { tcpmssTarget } from './tcpmss.js';
import { traceTarget } from './trace.js';
import { classifyTarget } from './classify.js';
import { auditTarget } from './audit.js';
import { idletimerTarget } from './idletimer.js';
import { ttlTarget } from './ttl.js';
import { hlTarget } from './hl.js';
import { setTarget } from './set.js';
import { teeTarget } from './tee.js';
import { tcpoptstripTarget } from './tcpoptstrip.js';
import { dnptTarget, snptTarget } from './npt.js';
import { hmarkTarget } from './hmark.js';
import { rateestTarget } from './rateest.js';
import { synproxyTarget } from './synproxy.js';

export const TARGETS: readonly TargetModule<any>[] = [
  logTarget,
  rejectTarget,
  markTarget,
  connmarkTarget,
  connsecmarkTarget,
  ctTarget,
  notrackTarget,
  dscpTarget,
  tosTarget,
  ttlTarget,
  hlTarget,
  ecnTarget,
  tcpmssTarget,
  tcpoptstripTarget,
  snptTarget,
  dnptTarget,
  hmarkTarget,
  nflogTarget,
  checksumTarget,
  nfqueueTarget,
  tproxyTarget,
  traceTarget,
  classifyTarget,
  auditTarget,
  idletimerTarget,
  setTarget,
  teeTarget,
  rateestTarget,
  synproxyTarget,
  ...NAT_TARGETS,
];
