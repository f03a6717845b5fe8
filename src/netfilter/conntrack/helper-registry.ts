/**
 * The helpers cofw emulates, registered in one place (each in its own
 * module): ftp, tftp, netbios-ns, amanda, irc, sane, snmp, snmp_trap, pptp, sip (UDP and TCP) and the H.323 helpers RAS, Q.931 and H.245. Import helper look-ups from here so that the
 * registry is filled before anyone asks it.
 */
import { ftpHelper } from './helper-ftp.js';
import { amandaHelper } from './helper-amanda.js';
import { ircHelper } from './helper-irc.js';
import { h245Helper, q931Helper, rasHelper } from './helper-h323.js';
import { netbiosNsHelper } from './helper-netbios-ns.js';
import { saneHelper } from './helper-sane.js';
import { pptpHelper } from './helper-pptp.js';
import { sipTcpHelper, sipUdpHelper } from './helper-sip.js';
import { snmpHelper, snmpTrapHelper } from './helper-snmp.js';
import { tftpHelper } from './helper-tftp.js';
import { registerHelper } from './helpers.js';

registerHelper(ftpHelper);
registerHelper(tftpHelper);
registerHelper(netbiosNsHelper);
registerHelper(amandaHelper);
registerHelper(ircHelper);
registerHelper(saneHelper);
registerHelper(snmpHelper);
registerHelper(snmpTrapHelper);
registerHelper(pptpHelper);
registerHelper(sipUdpHelper);
registerHelper(sipTcpHelper);
registerHelper(rasHelper);
registerHelper(q931Helper);
registerHelper(h245Helper);

export { emulatedHelperNames, helperIndex, KERNEL_HELPERS, lookupHelper, templateHelper } from './helpers.js';
