/** Helpers shared by the ipset tests. */
import { expect } from 'vitest';
import { IpsetError, parseIpsets } from './ipset.js';

/** The message `ipset restore` text is refused with, or 'accepted'. */
export function refusal(text: string): string {
  try {
    parseIpsets(text, 'sets');
  } catch (e) {
    expect(e).toBeInstanceOf(IpsetError);
    return (e as Error).message;
  }
  return 'accepted';
}
