/**
 * The 32-bit integer mixer conntrack and hashlimit hash with (defined with
 * the address type, whose hash uses it too).
 */
export { mix32 } from '../packet/inet-addr.js';
