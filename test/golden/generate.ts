/**
 * Writes the golden scenarios' rule files and captures, deterministically
 * (fixed timestamps and seeds), and the shipped sample (rules/sample.v4,
 * pcaps/sample.pcap). With --kernel (as root) it also records what the real
 * kernel does with each through ../shared/kernel-oracle/run-kernel.sh.
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/cofw-gen
 *   node /tmp/cofw-gen/test/golden/generate.js [--kernel] [name ...]
 *
 * Paths are taken from the working directory, which must be the repository.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LINKTYPE_ETHERNET, writePcapFile } from '../../src/capture/pcap-write.js';
import { pcapngInterface, pcapngPacket, pcapngSectionHeader } from '../../src/capture/writer.js';
import type { Frame, Scenario } from './gen/capture.js';
import * as filterBasic from './gen/filter-basic.js';
import * as userChains from './gen/user-chains.js';
import * as matches from './gen/matches.js';
import * as logReject from './gen/log-reject.js';
import * as blocklist from './gen/blocklist.js';
import * as realWorld from './gen/real-world.js';
import * as sample from './gen/sample.js';
import * as ufw from './gen/ufw.js';
import * as natFirst from './gen/nat-first.js';
import * as statefulServer from './gen/stateful-server.js';
import * as connlimit from './gen/connlimit.js';
import * as natGateway from './gen/nat-gateway.js';
import * as natDocker from './gen/nat-docker.js';
import * as natKube from './gen/nat-kube.js';
import * as natClash from './gen/nat-clash.js';
import * as natClashUdp from './gen/nat-clash-udp.js';
import * as fragments from './gen/fragments.js';
import * as dualStack from './gen/dual-stack.js';
import * as connbytes from './gen/connbytes.js';
import * as connlabel from './gen/connlabel.js';
import * as devgroup from './gen/devgroup.js';
import * as realm from './gen/realm.js';
import * as realmRules from './gen/realm-rules.js';
import * as xtTargets from './gen/xt-targets.js';
import * as mapSet from './gen/map-set.js';
import * as natNoTarget from './gen/nat-no-target.js';
import * as nfacct from './gen/nfacct.js';
import * as nat6 from './gen/nat6.js';
import * as ufw6 from './gen/ufw6.js';
import * as sctpScenario from './gen/sctp.js';
import * as udplite from './gen/udplite.js';
import * as ctTimeout from './gen/ct-timeout.js';
import * as zones from './gen/zones.js';
import * as ipset from './gen/ipset.js';
import * as ip6Matches from './gen/ip6-matches.js';
import * as frag6 from './gen/frag6.js';
import * as ip6Nd from './gen/ip6-nd.js';
import * as tcpudpFrags from './gen/tcpudp-frags.js';
import * as rpfilter from './gen/rpfilter.js';
import * as ipsetTypes from './gen/ipset-types.js';
import * as ctHelpers from './gen/ct-helpers.js';
import * as ctParams from './gen/ct-params.js';
import * as ctNetbios from './gen/ct-netbios.js';
import * as bridge from './gen/bridge.js';
import * as ctAmanda from './gen/ct-amanda.js';
import * as natHelpers from './gen/nat-helpers.js';
import * as policyRouting from './gen/policy-routing.js';
import * as ctPptp from './gen/ct-pptp.js';
import * as ctSip from './gen/ct-sip.js';
import * as ctSipEdges from './gen/ct-sip-edges.js';
import * as localSource from './gen/local-source.js';
import * as ctH323 from './gen/ct-h323.js';
import * as ctH323Edges from './gen/ct-h323-edges.js';
import * as ctH323Nat from './gen/ct-h323-nat.js';
import * as ctPptpNat from './gen/ct-pptp-nat.js';
import * as rcvChecks from './gen/rcv-checks.js';
import * as ctIrc from './gen/ct-irc.js';
import * as ctIrcNat from './gen/ct-irc-nat.js';
import * as ctSipNat from './gen/ct-sip-nat.js';
import * as natIrc from './gen/nat-irc.js';
import * as ctSipNatEdges from './gen/ct-sip-nat-edges.js';
import * as ctexpire from './gen/ctexpire.js';
import * as ctFamily from './gen/ct-family.js';
import * as fwmarkReflect from './gen/fwmark-reflect.js';
import * as ctSane from './gen/ct-sane.js';
import * as ctSnmp from './gen/ct-snmp.js';
import * as tee from './gen/tee.js';
import * as synproxy from './gen/synproxy.js';
import * as xtMatches from './gen/xt-matches.js';
import * as tcpoptstripNpt from './gen/npt-strip.js';
import * as hmark from './gen/hmark.js';
import * as hmarkEdges from './gen/hmark-edges.js';
import * as bpf from './gen/bpf.js';
import * as cgroupOsf from './gen/cgroup-osf.js';
import * as osfLoaded from './gen/osf-loaded.js';
import * as connsecmark from './gen/connsecmark.js';
import * as rateest from './gen/rateest.js';
import { blocklist300, filterCore, headerEdges, rejectLog } from './gen/legacy.js';
import type { ScenarioName } from './scenarios.js';

/** Builders of every generated scenario (`smoke` was written by hand). */
export const BUILDERS: Partial<Record<ScenarioName, () => Scenario>> = {
  'filter-basic': filterBasic.build,
  'user-chains': userChains.build,
  matches: matches.build,
  'log-reject': logReject.build,
  blocklist: blocklist.build,
  'real-world': realWorld.build,
  sample: sample.build,
  ufw: ufw.build,
  'nat-first': natFirst.build,
  'stateful-server': statefulServer.build,
  connlimit: connlimit.build,
  'nat-gateway': natGateway.build,
  'nat-docker': natDocker.build,
  'nat-kube': natKube.build,
  'nat-clash': natClash.build,
  'nat-clash-udp': natClashUdp.build,
  fragments: () => fragments.build(),
  'fragments-ct': fragments.buildCt,
  'dual-stack': dualStack.build,
  nat6: nat6.build,
  ufw6: ufw6.build,
  sctp: sctpScenario.build,
  udplite: udplite.build,
  'ct-timeout': ctTimeout.build,
  zones: zones.build,
  ipset: ipset.build,
  'ip6-matches': ip6Matches.build,
  frag6: () => frag6.build(),
  'frag6-ct': frag6.buildCt,
  'ip6-nd': ip6Nd.build,
  'tcpudp-frags': tcpudpFrags.build,
  rpfilter: rpfilter.build,
  'ipset-types': ipsetTypes.build,
  'ct-helpers': ctHelpers.build,
  'ct-params': ctParams.build,
  'ct-netbios': ctNetbios.build,
  bridge: bridge.build,
  'ct-amanda': ctAmanda.build,
  'nat-helpers': natHelpers.build,
  'ct-pptp': ctPptp.build,
  'ct-sip': ctSip.build,
  'ct-sip-edges': ctSipEdges.build,
  'ct-h323': ctH323.build,
  'ct-h323-edges': ctH323Edges.build,
  'ct-h323-nat': ctH323Nat.build,
  'ct-pptp-nat': ctPptpNat.build,
  'rcv-checks': rcvChecks.build,
  'ct-irc': ctIrc.build,
  'ct-irc-nat': ctIrcNat.build,
  'ct-sip-nat': ctSipNat.build,
  'nat-irc': natIrc.build,
  'ct-sip-nat-edges': ctSipNatEdges.build,
  ctexpire: ctexpire.build,
  'ct-family': ctFamily.build,
  'fwmark-reflect': fwmarkReflect.build,
  'ct-sane': ctSane.build,
  'ct-snmp': ctSnmp.build,
  'xt-matches': xtMatches.build,
  tcpoptstrip: tcpoptstripNpt.buildStrip,
  npt: tcpoptstripNpt.buildNpt,
  hmark: hmark.build,
  'hmark-edges': hmarkEdges.build,
  bpf: bpf.build,
  'cgroup-osf': cgroupOsf.build,
  'osf-loaded': osfLoaded.build,
  connsecmark: connsecmark.build,
  'policy-routing': policyRouting.build,
  'policy-wg': policyRouting.buildWg,
  'local-source': localSource.build,
  tee: tee.build,
  synproxy: synproxy.build,
  rateest: rateest.build,
  'filter-core': filterCore,
  'reject-log': rejectLog,
  'blocklist-300': blocklist300,
  'header-edges': headerEdges,
  connbytes: connbytes.build,
  connlabel: connlabel.build,
  devgroup: devgroup.build,
  realm: realm.build,
  'realm-rules': realmRules.build,
  'xt-targets': xtTargets.build,
  'map-set': mapSet.build,
  'nat-no-target': natNoTarget.build,
  nfacct: nfacct.build,
};

/** A pcapng capture of `frames`: one Ethernet interface per name (eth0 when unnamed), nanosecond timestamps, direction flags. */
function pcapngOf(frames: readonly Frame[]): Buffer {
  const ifs = new Map<string, number>();
  const blocks: Uint8Array[] = [pcapngSectionHeader()];
  for (const f of frames) {
    const name = f.ifName ?? 'eth0';
    let id = ifs.get(name);
    if (id === undefined) {
      ifs.set(name, (id = ifs.size));
      blocks.push(pcapngInterface(LINKTYPE_ETHERNET, { name, tsresol: 9 }));
    }
    blocks.push(pcapngPacket(id, f.tsNs, f.data, f.data.length, f.direction ? { direction: f.direction } : {}));
  }
  return Buffer.concat(blocks);
}

function main(argv: string[]): void {
  const repo = process.cwd();
  const golden = join(repo, 'test', 'golden');
  if (!existsSync(join(golden, 'scenarios.ts'))) throw new Error(`run from the repository root (no test/golden/scenarios.ts under ${repo})`);
  const oracle = resolve(repo, '..', 'shared', 'kernel-oracle', 'run-kernel.sh');
  const kernel = argv.includes('--kernel');
  const names = argv.filter((a) => !a.startsWith('--'));
  for (const n of names) if (!(n in BUILDERS)) throw new Error(`unknown scenario ${n}; known: ${Object.keys(BUILDERS).join(', ')}`);
  const chosen = names.length ? names : Object.keys(BUILDERS);
  for (const name of chosen) {
    const build = BUILDERS[name as ScenarioName]!;
    const dir = join(golden, name);
    mkdirSync(dir, { recursive: true });
    const built = build();
    const { rules, capture } = built;
    writeFileSync(join(dir, 'rules.v4'), rules);
    const rules6 = 'rules6' in built ? (built as { rules6: string }).rules6 : undefined;
    if (rules6) writeFileSync(join(dir, 'rules.v6'), rules6);
    // The IP sets the rules name (`ipset save` format), restored before the rules: record these with a copy of the oracle that does (see README.md).
    const ipsets = 'ipsets' in built ? (built as { ipsets: string }).ipsets : undefined;
    if (ipsets) writeFileSync(join(dir, 'ipsets'), ipsets);
    // A machine of its own (the topology of a private copy of the oracle: see the scenario's README).
    const machine = 'machine' in built ? (built as { machine: string }).machine : undefined;
    if (machine) writeFileSync(join(dir, 'machine.yaml'), machine);
    // The passive OS fingerprints the machine file's `osf: pf.os` names (nfnl_osf -f pf.os on the oracle's copy: see the generator).
    const osf = 'osf' in built ? (built as { osf: string }).osf : undefined;
    if (osf) writeFileSync(join(dir, 'pf.os'), osf);
    // The same policy routing as `ip` commands, for the private oracle that records it (see the scenario's README).
    const iproute = 'iproute' in built ? (built as { iproute: string }).iproute : undefined;
    if (iproute) writeFileSync(join(dir, 'iproute.sh'), iproute);
    // The timeout policies as nfct commands, for the private oracle that makes them before loading the rules (see README.md).
    const nfct = 'nfct' in built ? (built as { nfct: string }).nfct : undefined;
    if (nfct) writeFileSync(join(dir, 'nfct.sh'), nfct);
    // The accounting objects as nfacct commands, likewise.
    const nfacctSh = 'nfacctSh' in built ? (built as { nfacctSh: string }).nfacctSh : undefined;
    if (nfacctSh) writeFileSync(join(dir, 'nfacct.sh'), nfacctSh);
    // Frames that name their interface make a pcapng capture (capture.pcapng): the interface decides where they arrive.
    const pcapng = capture.frames.some((f) => f.ifName !== undefined);
    const captureFile = join(dir, pcapng ? 'capture.pcapng' : 'capture.pcap');
    if (pcapng) writeFileSync(captureFile, pcapngOf(capture.frames));
    else writePcapFile(captureFile, capture.frames);
    if (name === 'sample') {
      writeFileSync(join(repo, 'rules', 'sample.v4'), rules);
      writePcapFile(join(repo, 'pcaps', 'sample.pcap'), capture.frames);
      copyFileSync(join(repo, 'machines', 'sample.yaml'), join(golden, 'machine.yaml'));
    }
    if (kernel) execFileSync(oracle, [join(dir, 'rules.v4'), captureFile, dir, ...(rules6 ? [join(dir, 'rules.v6')] : [])], { stdio: 'inherit' });
    console.log(`${name}: ${capture.frames.length} frames`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
