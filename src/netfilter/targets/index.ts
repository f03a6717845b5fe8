/**
 * The target registry: one line per module. ACCEPT, DROP, RETURN, jumps and
 * gotos are the engine's own (standard targets), not modules.
 */
import type { TargetModule } from '../xt.js';
import { logTarget } from './log.js';
import { rejectTarget } from './reject.js';

export const TARGETS: readonly TargetModule<any>[] = [logTarget, rejectTarget];
