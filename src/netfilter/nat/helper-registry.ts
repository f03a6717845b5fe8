/**
 * The NAT helpers cofw emulates, loaded in one place (each sets its
 * conntrack helper's hook slot when imported): ftp, tftp, amanda, irc, pptp, sip and H.323. The
 * NAT core imports this module, so the hooks are set whenever NAT can be,
 * as on a kernel with the NAT helpers built in (the reference kernel's
 * CONFIG_NF_NAT_FTP=y, ...).
 */
import './helper-ftp.js';
import './helper-tftp.js';
import './helper-amanda.js';
import './helper-irc.js';
import './helper-pptp.js';
import './helper-sip.js';
import './helper-h323.js';

export { natFtp, ftpFmtCmd } from './helper-ftp.js';
export { natTftp } from './helper-tftp.js';
export { natAmanda } from './helper-amanda.js';
export { natIrc } from './helper-irc.js';
export { natPptp } from './helper-pptp.js';
export { natSip } from './helper-sip.js';
export { natH323 } from './helper-h323.js';
