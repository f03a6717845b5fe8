/**
 * The match registry: one line per module. Adding a match touches its own
 * file and one line here.
 */
import type { MatchModule } from '../xt.js';

export const MATCHES: readonly MatchModule<any>[] = [];
