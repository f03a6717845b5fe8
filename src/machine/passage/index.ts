/**
 * The passage page: the only door between host and guest. A fixed-size byte
 * region (64 KiB by default) holding a ring of messages
 * `{from: u8, to: u8, type: u16, size: u32, data}` addressed to modules
 * numbered as coLinux numbers them (LINUX 0, MONITOR 1, DAEMON 2, CONSOLE 6,
 * CONET0-15 8..23, COBD0-31 24..55).
 *
 * Every message is validated before anything in it is used; a malformed
 * one throws `PassageError` and nothing in it is trusted. Crossing is cheap
 * by construction: writers encode payloads in place, readers decode them in
 * place, so crossing costs no object per message. Drop sites and reasons
 * cross once as definitions (Intern) and then by number. Payloads larger
 * than `maxChunk` cross as several messages with the MORE bit (0x8000) set
 * on all but the last; `Assembler` joins them again.
 *
 * The folder:
 *   modules.ts    module numbers, the guest's exit operation (Op),
 *                 termination reasons, message types, what each module accepts
 *   page.ts       the ring (PassagePage): layout, contract, PassageError
 *   bytes.ts      the payload byte codec (ByteWriter, ByteReader)
 *   chunks.ts     large payloads split into chunks and joined (Assembler)
 *   buffer.ts     messages gathered away from the page (MessageBuffer)
 *   frame.ts      Frame: a frame for the guest
 *   fate.ts       Fate and Intern: what became of a frame, drop sites and reasons
 *   console.ts    ConsoleLine: a kernel log line
 *   blk.ts        BlkOpen/BlkStat/BlkRead/BlkClose and BlkReply: block devices
 *   boot.ts       Boot: the boot parameters
 *   init.ts       Booted and InitFailed: how init ends
 *   terminate.ts  Terminate: why the guest stopped
 *   save.ts       Save: iptables-save text
 *
 * @example
 * const page = new PassagePage();
 * page.write(Module.DAEMON, conet(0), MsgType.Frame, encodeFrame({ frameNo: 1, tsNs: 0n, output: false, data }));
 * const m = page.read(); // { from: 2, to: 8, type: 16, data } (a copy)
 * const at = page.next(); // or in place: header in page.msg*, payload at page.bytes[at, at + page.msgSize)
 */
export { MAX_COBD, MAX_CONET, MODULES_MAX, MORE, Module, MsgType, Op, Termination, cobd, conet, terminationName } from './modules.js';
export type { TerminationReason } from './modules.js';
export { DEFAULT_PAGE_SIZE, MSG_HEADER, PAD, PassageError, PassagePage } from './page.js';
export type { Message } from './page.js';
export { ByteReader, ByteWriter } from './bytes.js';
export { Assembler, chunks } from './chunks.js';
export { MessageBuffer } from './buffer.js';
export { FRAME_HEADER, FRAME_OUTPUT, FRAME_TRUNCATED, checkFrame, decodeFrame, encodeFrame, putFrame, putFrameAt } from './frame.js';
export type { FrameMsg } from './frame.js';
export { FATE_HEADER, FateDecoder, FateEncoder, FateRecord, INTERN_MAX } from './fate.js';
export type { FateMsg } from './fate.js';
export { decodeConsole, encodeConsole, putConsole } from './console.js';
export type { ConsoleMsg } from './console.js';
export { BLK_READ_MAX, BLK_REPLY_HEADER, decodeBlkRead, decodeBlkReply, encodeBlkRead, encodeBlkReply } from './blk.js';
export type { BlkRead, BlkReply } from './blk.js';
export { decodeBoot, encodeBoot } from './boot.js';
export type { BootMsg } from './boot.js';
export { decodeBooted, decodeInitFailed, encodeBooted, encodeInitFailed } from './init.js';
export type { BootedMsg, InitError, InitFailedMsg } from './init.js';
export { decodeTerminate, encodeTerminate } from './terminate.js';
export type { TerminateMsg } from './terminate.js';
export { decodeSave, encodeSave } from './save.js';
export type { SaveMsg } from './save.js';
