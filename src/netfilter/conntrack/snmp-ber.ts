/**
 * The SNMP message decoder of nf_nat_snmp_basic: the kernel's BER decoder
 * (lib/asn1_decoder.c) running the state machine its ASN.1 compiler makes
 * of nf_nat_snmp_basic.asn1. cofw runs the same kind of machine, so that a
 * malformed message fails exactly where the kernel's fails.
 *
 * The grammar is SNMPv1/v2c's `Message ::= SEQUENCE { version INTEGER,
 * community OCTET STRING, pdu PDUs }` where PDUs is one of the PDUs
 * `[0]`-`[3]` and `[5]`-`[8]` (GetRequest ... Report), each `SEQUENCE {
 * request-id, error-status, error-index INTEGER, variable-bindings
 * SEQUENCE OF VarBind }`. The SNMPv1 Trap-PDU (`[4]`) is not in it: its
 * message fails to decode. A VarBind's value may be an INTEGER, OCTET
 * STRING, OBJECT IDENTIFIER, NULL, `[0]`-`[2]` NULLs, or one of the
 * application types IpAddress `[APPLICATION 0]`, Counter32, Unsigned32,
 * TimeTicks, Opaque and Counter64. Two actions run during the decoding:
 * the version (one byte, 0 or 1; else the message is refused) and every
 * IpAddress (four bytes, else refused), which the caller may rewrite.
 *
 * The machine's ways, as the kernel's: the alternatives of a CHOICE are
 * tried in order; those the compiler marks conditional are skipped once
 * one matched, the others (the PDUs and the application types, whose
 * conditional mark the compiler loses through their IMPLICIT tags) are
 * tried against whatever follows, and an optional element is skipped at
 * the end of its container. Tags of more than one byte, lengths of more
 * than two bytes and constructed nesting beyond ten levels are refused;
 * indefinite lengths are read on constructed elements.
 */

/** Tag-matching operations (the kernel's opcode bits: skip, action, jump, conditional). */
const SKIP = 0x01;
const ACT = 0x02;
const JUMP = 0x04;
const COND = 0x10;
const MATCH = 0x00;
const MATCH_OR_SKIP = MATCH | SKIP;
const MATCH_ACT = MATCH | ACT;
const MATCH_ACT_OR_SKIP = MATCH | ACT | SKIP;
const MATCH_JUMP_OR_SKIP = MATCH | JUMP | SKIP;
const COND_MATCH_OR_SKIP = COND | SKIP;
/** The last operation that reads a tag. */
const LAST_MATCH = 0x1b;
const COND_FAIL = 0x1c;
const COMPLETE = 0x1d;
const END_SEQ = 0x20;
const END_SEQ_OF = 0x22;
const RETURN = 0x28;

/** Actions. */
export const ACT_VERSION = 0;
export const ACT_IPADDRESS = 1;

const LENGTHS: Record<number, number> = {
  [MATCH]: 2,
  [MATCH_OR_SKIP]: 2,
  [MATCH_ACT]: 3,
  [MATCH_ACT_OR_SKIP]: 3,
  [MATCH_JUMP_OR_SKIP]: 3,
  [COND_MATCH_OR_SKIP]: 2,
  [COND_FAIL]: 1,
  [COMPLETE]: 1,
  [END_SEQ]: 1,
  [END_SEQ_OF]: 2,
  [RETURN]: 1,
};

/** The program: operations with their tag, jump target or action, as the compiler lays them out. */
function program(): number[] {
  const m: number[] = [];
  const op = (...xs: number[]): number => {
    const at = m.length;
    m.push(...xs);
    return at;
  };
  // Message
  op(MATCH, 0x30);
  op(MATCH_ACT, 0x02, ACT_VERSION);
  op(MATCH, 0x04);
  // PDUs: [0] [1] [5] [2] [3] [6] [7] [8], in the grammar's order, each IMPLICIT PDU.
  const jumps = [0xa0, 0xa1, 0xa5, 0xa2, 0xa3, 0xa6, 0xa7, 0xa8].map((tag) => op(MATCH_JUMP_OR_SKIP, tag, 0));
  op(COND_FAIL);
  op(END_SEQ);
  op(COMPLETE);
  // PDU (out of line, shared by every PDU type)
  const pdu = op(MATCH, 0x02);
  op(MATCH, 0x02);
  op(MATCH, 0x02);
  op(MATCH, 0x30); // VarBindList
  const varBind = op(MATCH, 0x30);
  op(MATCH, 0x06); // name
  op(MATCH_OR_SKIP, 0x02); // SimpleSyntax
  op(COND_MATCH_OR_SKIP, 0x04);
  op(COND_MATCH_OR_SKIP, 0x06);
  op(MATCH_ACT_OR_SKIP, 0x40, ACT_IPADDRESS); // ApplicationSyntax
  for (const tag of [0x41, 0x43, 0x44, 0x46, 0x42]) op(MATCH_OR_SKIP, tag);
  for (const tag of [0x05, 0x80, 0x81, 0x82]) op(COND_MATCH_OR_SKIP, tag);
  op(COND_FAIL);
  op(END_SEQ); // VarBind
  op(END_SEQ_OF, varBind);
  op(END_SEQ); // PDU
  op(RETURN);
  for (const j of jumps) m[j + 2] = pdu;
  return m;
}

const MACHINE = program();

const FLAG_INDEFINITE = 0x01;
const FLAG_MATCHED = 0x02;
const FLAG_LAST_MATCHED = 0x04;
const FLAG_CONS = 0x20;
const STACK = 10;

/** -EBADMSG: the decoder's refusal. */
export const EBADMSG = -74;

/**
 * An action: `value` is where the element's contents begin in `data`, `vlen` their length; a negative errno refuses the
 * message.
 */
export type BerAction = (act: number, data: Uint8Array, value: number, vlen: number) => number;

const consEnd = new Array<number>(STACK).fill(0);
const jumpStack = new Array<number>(STACK).fill(0);

/**
 * asn1_ber_decoder over `data[base, base + datalen)`: 0, or a negative
 * errno (an action's, or EBADMSG).
 */
export function decodeSnmp(data: Uint8Array, base: number, datalen: number, action: BerAction): number {
  if (datalen > 65535) return -90; // -EMSGSIZE
  // Lengths left as the kernel's size_t subtraction sees them.
  const left = (end: number, at: number): number => (at > end ? Infinity : end - at);
  const at = (i: number): number => data[base + i]!;
  let pc = 0;
  let dp = 0;
  let end = datalen;
  let flags = 0;
  let csp = 0;
  let jsp = 0;
  let len = 0;
  for (;;) {
    const op = MACHINE[pc]!;
    if (op <= LAST_MATCH) {
      if ((op & COND && flags & FLAG_MATCHED) || (op & SKIP && dp === end)) {
        flags &= ~FLAG_LAST_MATCHED;
        pc += LENGTHS[op]!;
        continue;
      }
      flags = 0;
      if (left(end, dp) < 2) return EBADMSG;
      const tag = at(dp++);
      if ((tag & 0x1f) === 0x1f) return EBADMSG; // long tags
      const optag = MACHINE[pc + 1]!;
      flags |= optag & FLAG_CONS;
      // A constructed tag in the program takes either form in the data; a primitive one only the primitive form.
      if ((optag ^ tag) & ~(optag & 0x20) & 0xff) {
        if (op & SKIP) {
          pc += LENGTHS[op]!;
          dp--;
          continue;
        }
        return EBADMSG;
      }
      flags |= FLAG_MATCHED;
      len = at(dp++);
      if (len > 0x7f) {
        if (len === 0x80) {
          if (!(tag & 0x20)) return EBADMSG;
          flags |= FLAG_INDEFINITE;
          if (2 > left(end, dp)) return EBADMSG;
        } else {
          let n = len - 0x80;
          if (n > 2) return EBADMSG;
          if (n > left(end, dp)) return EBADMSG;
          for (len = 0; n > 0; n--) len = (len << 8) | at(dp++);
          if (len > left(end, dp)) return EBADMSG;
        }
      } else if (len > left(end, dp)) return EBADMSG;
      if (flags & FLAG_CONS) {
        if (csp >= STACK) return EBADMSG;
        if (!(flags & FLAG_INDEFINITE)) {
          consEnd[csp] = end;
          end = dp + len;
        } else consEnd[csp] = 0;
        csp++;
      }
    }
    switch (op) {
      case MATCH:
      case MATCH_OR_SKIP:
      case MATCH_ACT:
      case MATCH_ACT_OR_SKIP:
      case COND_MATCH_OR_SKIP:
        if (op & ACT) {
          const ret = action(MACHINE[pc + 2]!, data, base + dp, len);
          if (ret < 0) return ret;
        }
        if (!(flags & FLAG_CONS)) dp += len;
        pc += LENGTHS[op]!;
        break;
      case MATCH_JUMP_OR_SKIP:
        if (jsp === STACK) return EBADMSG;
        jumpStack[jsp++] = pc + LENGTHS[op]!;
        pc = MACHINE[pc + 2]!;
        break;
      case COND_FAIL:
        if (!(flags & FLAG_MATCHED)) return EBADMSG;
        pc++;
        break;
      case COMPLETE:
        return jsp !== 0 || csp !== 0 ? EBADMSG : 0;
      case END_SEQ:
      case END_SEQ_OF: {
        if (csp <= 0) return EBADMSG;
        csp--;
        len = end;
        end = consEnd[csp]!;
        if (end === 0) {
          // Indefinite length: the end-of-contents octets.
          end = len;
          if (left(end, dp) < 2) return EBADMSG;
          if (at(dp++) !== 0) {
            if (op === END_SEQ_OF) {
              dp--;
              csp++;
              pc = MACHINE[pc + 1]!;
              break;
            }
            return EBADMSG;
          }
          if (at(dp++) !== 0) return EBADMSG;
        } else {
          if (dp < len && op === END_SEQ_OF) {
            end = len;
            csp++;
            pc = MACHINE[pc + 1]!;
            break;
          }
          if (dp !== len) return EBADMSG;
        }
        pc += LENGTHS[op]!;
        break;
      }
      case RETURN:
        if (jsp <= 0) return EBADMSG;
        pc = jumpStack[--jsp]!;
        flags |= FLAG_MATCHED | FLAG_LAST_MATCHED;
        break;
      default:
        return EBADMSG;
    }
  }
}
