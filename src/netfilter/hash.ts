/**
 * The 32-bit integer mixer conntrack and hashlimit hash with (defined with
 * the address type, whose hash uses it too).
 */
export { mix32 } from '../packet/inet-addr.js';

/**
 * proto_ports_offset: where the 32 bits of ports (or the SPI) start in the
 * transport header, -1 for a protocol without them (hashlimit and HMARK).
 */
export function portsOffset(proto: number): number {
  switch (proto) {
    case 6:
    case 17:
    case 33:
    case 50:
    case 132:
    case 136:
      return 0;
    case 51:
      return 4;
    default:
      return -1;
  }
}
