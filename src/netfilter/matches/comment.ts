/**
 * `-m comment` (xt_comment.c / libxt_comment.c): a note that always
 * matches. At most 255 bytes are kept, as the kernel's 256-byte field
 * holds; longer text is cut, as iptables does.
 *
 * @example
 * -m comment --comment "allow ssh from the office"
 */
import { defineMatch, type OptionSpec } from '../xt.js';
import { checkMandatory, checkUses, saveString } from './util.js';

/** XT_MAX_COMMENT_LEN minus the terminating NUL. */
export const MAX_COMMENT_BYTES = 255;

export interface CommentConfig {
  readonly comment: string;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'comment', args: 1, mandatory: true }];

/** Cuts `text` to at most `max` UTF-8 bytes, never inside a character. */
function cutUtf8(text: string, max: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= max) return text;
  let end = max;
  // Step back over continuation bytes so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

export const commentMatch = defineMatch<CommentConfig>({
  name: 'comment',
  options: OPTIONS,
  parse(uses) {
    checkUses('comment', uses);
    checkMandatory('comment', uses, ['comment']);
    const u = uses.find((x) => x.spec.name === 'comment')!;
    return { comment: cutUtf8(u.args[0]!, MAX_COMMENT_BYTES) };
  },
  save(c) {
    return `--comment ${saveString(c.comment)}`;
  },
  match() {
    return true;
  },
});
