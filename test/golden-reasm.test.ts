/**
 * Reassembly's counters against the kernel's: a golden scenario recorded
 * with kernel.nstat (`nstat -asz` in the firewall's namespace after the
 * capture, its reassembly lines) must leave cofw's IPv4 reassembly with the
 * same IpReasmReqds, IpReasmOKs, IpReasmFails, IpReasmTimeout and
 * IpExtReasmOverlaps, and, for a scenario with an ip6tables rule set, the
 * same Ip6ReasmReqds, Ip6ReasmOKs, Ip6ReasmFails and Ip6ReasmTimeout (both
 * reassemblies count into them: nf_defrag_ipv6 its timeouts, the stack's
 * own reassembly of what it delivers everything). (The ICMP errors ip_expire
 * sends are counted in the scenario's OUTPUT rules, which golden.test.ts
 * compares.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineFile } from '../src/machine/machine-file.js';
import type { NetStack } from '../src/conet/driver.js';
import { GuestStack } from '../src/net/ipv4/stack.js';
import { linuxGuest, replay } from '../src/replay.js';

const root = join(import.meta.dirname, 'golden');
const scenarios = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'kernel.nstat'))) : [];

/** nstat's lines: name, value, rate. */
function nstat(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.split('\n')) {
    const [name, value] = l.trim().split(/\s+/);
    if (name && value !== undefined) m.set(name, Number(value));
  }
  return m;
}

describe('golden: reassembly counters equal the kernel', () => {
  it('has scenarios recorded with nstat', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  it.each(scenarios)('%s', async (name) => {
    const dir = join(root, name);
    const machineFile = existsSync(join(dir, 'machine.yaml')) ? join(dir, 'machine.yaml') : join(root, 'machine.yaml');
    let stack: NetStack | undefined;
    const rules6File = existsSync(join(dir, 'rules.v6')) ? join(dir, 'rules.v6') : undefined;
    await replay({
      ...(rules6File ? { rules6File } : {}),
      rulesFile: join(dir, 'rules.v4'),
      machine: loadMachineFile(machineFile),
      captures: [existsSync(join(dir, 'capture.pcapng')) ? join(dir, 'capture.pcapng') : join(dir, 'capture.pcap')],
      guest: { ...linuxGuest, createStack: (o, rs, rs6) => (stack = linuxGuest.createStack(o, rs, rs6)) },
    });
    expect(stack).toBeInstanceOf(GuestStack);
    const s = (stack as GuestStack).fragStats();
    const k = nstat(readFileSync(join(dir, 'kernel.nstat'), 'utf8'));
    expect({
      IpReasmReqds: s.reasmReqds,
      IpReasmOKs: s.reasmOKs,
      IpReasmFails: s.reasmFails,
      IpReasmTimeout: s.reasmTimeout,
      IpExtReasmOverlaps: s.reasmOverlaps,
    }).toEqual({
      IpReasmReqds: k.get('IpReasmReqds'),
      IpReasmOKs: k.get('IpReasmOKs'),
      IpReasmFails: k.get('IpReasmFails'),
      IpReasmTimeout: k.get('IpReasmTimeout'),
      IpExtReasmOverlaps: k.get('IpExtReasmOverlaps'),
    });
    if (rules6File) {
      const s6 = (stack as GuestStack).fragStats6();
      expect({
        Ip6ReasmReqds: s6.reasmReqds,
        Ip6ReasmOKs: s6.reasmOKs,
        Ip6ReasmFails: s6.reasmFails,
        Ip6ReasmTimeout: s6.reasmTimeout,
      }).toEqual({
        Ip6ReasmReqds: k.get('Ip6ReasmReqds'),
        Ip6ReasmOKs: k.get('Ip6ReasmOKs'),
        Ip6ReasmFails: k.get('Ip6ReasmFails'),
        Ip6ReasmTimeout: k.get('Ip6ReasmTimeout'),
      });
    }
  });
});
