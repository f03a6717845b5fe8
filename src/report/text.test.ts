import { describe, expect, it } from 'vitest';
import { Family } from '../packet/inet-addr.js';
import type { ReplayResult } from '../replay.js';
import { formatReport } from './text.js';

function result(flows: ReplayResult['flows']): ReplayResult {
  const fates = {
    forwarded: 0,
    delivered: 0,
    sent: 0,
    droppedByRule: 4,
    droppedByPolicy: 0,
    droppedByStack: 0,
    generated: 0,
    generatedDropped: 0,
    bridged: 0,
    failPolicy: 0,
    outbound: 0,
    copies: 0,
  };
  return {
    ruleset: { family: Family.V4, tables: new Map(), file: 'r.v4' },
    save: '',
    fates,
    drops: { sites: [], reasons: [] },
    flows,
    flowsForgotten: 0,
    generated: 0,
    framesIn: 4,
    console: [],
    stats: { switches: 0, messagesToGuest: 0, messagesToHost: 0, bytesThroughPage: 0 },
    damage: [],
  };
}

describe('text report', () => {
  it('lists the most-dropped flows of both families, IPv6 as inet_ntop prints it, bracketed before a port', () => {
    const text = formatReport(
      result([
        { src: '192.0.2.1', dst: '8.8.8.8', proto: 17, dport: 53, count: 2 },
        { src: '2001:db8::1', dst: '2001:db8::53', proto: 6, dport: 443, count: 1 },
        { src: '2001:db8::1', dst: 'ff02::1', proto: 58, dport: 135, count: 1 },
        { src: '2001:db8::1', dst: '2001:db8::2', proto: 50, dport: 0, count: 1 },
      ]),
      { captures: ['a.pcap'], rulesFile: 'r.v4', machine: 'm', top: 10 },
    );
    const lines = text.split('\n');
    const at = lines.indexOf('Most-dropped flows (top 4)');
    expect(lines.slice(at + 1, at + 5)).toEqual([
      '          2  udp   192.0.2.1 -> 8.8.8.8:53',
      '          1  tcp   2001:db8::1 -> [2001:db8::53]:443',
      '          1  ipv6-icmp 2001:db8::1 -> ff02::1 type 135',
      '          1  esp   2001:db8::1 -> 2001:db8::2',
    ]);
  });
});
