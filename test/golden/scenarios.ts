/**
 * The golden scenarios, by folder name under test/golden/. Each folder holds
 * rules.v4 and capture.pcap, and what the real kernel recorded with them:
 * kernel.save and kernel.conntrack. All use test/golden/machine.yaml unless
 * the folder has its own machine.yaml.
 */
export const SCENARIOS = [
  'filter-basic',
  'user-chains',
  'matches',
  'log-reject',
  'blocklist',
  'real-world',
  'sample',
  'ufw',
  'nat-first',
  'stateful-server',
  'connlimit',
  'nat-gateway',
  'nat-docker',
  'nat-kube',
  'nat-clash',
  'fragments',
  'fragments-ct',
  'dual-stack',
  'nat6',
  'ufw6',
  'sctp',
  'zones',
  'ipset',
  'ip6-matches',
  'frag6',
  'frag6-ct',
  'ip6-nd',
  'tcpudp-frags',
  'rpfilter',
  'ipset-types',
  'ct-helpers',
  'ct-netbios',
  'bridge',
  'ct-amanda',
  'nat-helpers',
  'ct-pptp',
  'ct-sip',
  'rcv-checks',
  'ct-irc',
  'ct-sane',
  'ct-snmp',
  'policy-routing',
  'policy-wg',
  // Recorded earlier; kept as further kernel facts.
  'smoke',
  'filter-core',
  'reject-log',
  'blocklist-300',
  'header-edges',
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];
