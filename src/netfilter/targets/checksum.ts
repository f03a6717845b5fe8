/**
 * CHECKSUM (xt_CHECKSUM.c / libxt_CHECKSUM.c): `--checksum-fill` computes
 * the transport checksum of a packet whose checksum the stack left for the
 * network device to fill in (CHECKSUM_PARTIAL), for guests whose virtual
 * devices do not (old DHCP clients behind virtio). Only in the mangle
 * table; both families. The kernel warns, once, when the rule is not
 * restricted to `-p udp`, and loads it anyway.
 *
 * In cofw every packet's checksums are complete: the firewall's own
 * packets are replayed as captured, and the TCP resets REJECT builds (the
 * kernel's CHECKSUM_PARTIAL packets) are written finished, as a real
 * device sends them. So checksum_tg has nothing to fill in, and the packet
 * goes on to the next rule unchanged, as in the kernel once the checksum
 * is complete.
 *
 * @example
 * -A POSTROUTING -p udp --dport 68 -j CHECKSUM --checksum-fill
 */
import { XT_CONTINUE } from '../types.js';
import { OptionError, defineTarget } from '../xt.js';

export type ChecksumConfig = Record<string, never>;

export const checksumTarget = defineTarget<ChecksumConfig>({
  name: 'CHECKSUM',
  options: [{ name: 'checksum-fill', args: 0 }],
  tables: ['mangle'],
  parse(uses) {
    if (!uses.some((u) => u.spec.name === 'checksum-fill')) throw new OptionError('CHECKSUM: option "--checksum-fill" must be specified');
    return {};
  },
  save() {
    return '--checksum-fill';
  },
  target() {
    return XT_CONTINUE;
  },
});
