import { describe, expect, it } from 'vitest';
import { mergeTranslated } from './merge.js';

describe('mergeTranslated', () => {
  it("puts the guests' lines in one guest's order: IPv4 sorted, then IPv6 sorted", () => {
    const a = 'udp      17 29 src=192.0.2.9 dst=203.0.113.5 sport=5 dport=53 src=203.0.113.5 dst=198.51.100.1 sport=53 dport=5 mark=0 use=1\n';
    const b =
      'tcp      6 117 TIME_WAIT src=192.0.2.2 dst=203.0.113.5 sport=40000 dport=443 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=40000 [ASSURED] mark=0 use=1\n' +
      'tcp      6 117 TIME_WAIT src=2001:db8::2 dst=2001:db8:1::5 sport=1 dport=443 src=2001:db8:1::5 dst=2001:db8::1 sport=443 dport=1 [ASSURED] mark=0 use=1\n';
    const c = 'icmp     1 29 src=192.0.2.3 dst=203.0.113.5 type=8 code=0 id=1 src=203.0.113.5 dst=198.51.100.1 type=0 code=0 id=1 mark=0 use=1\n';
    const lines = mergeTranslated([a, undefined, b, c])!.split('\n');
    expect(lines.map((l) => l.slice(0, 4))).toEqual(['icmp', 'tcp ', 'udp ', 'tcp ', '']);
    expect(lines[3]).toContain('src=2001:db8::2');
    expect(mergeTranslated([undefined, undefined])).toBeUndefined();
    expect(mergeTranslated(['', ''])).toBe('');
  });
});
