/**
 * The conntrack helper modules' parameters (`modprobe nf_conntrack_ftp
 * ports=21,2121`, `/sys/module/nf_conntrack_sip/parameters/...`), as the
 * machine file's `modules:` sets them, and what they change.
 *
 * Every parameter of the reference kernel's (6.18) helper modules:
 *
 * - `ports` (nf_conntrack_ftp, _tftp, _irc, _sip, _sane): up to 8 ports
 *   (MAX_PORTS). Each registers the module's helpers once more, named after
 *   nf_ct_helper_init: the module's name for its standard port, else
 *   `NAME-ID`, where ID is the port for ftp and sane and the port's place in
 *   the list (from 0) for tftp, irc and sip. `CT --helper` names one of
 *   those: with `ports=2121` alone there is no `ftp` helper, only
 *   `ftp-2121`. The port itself only served the automatic helper
 *   assignment, which the kernel no longer has (the nf_conntrack_helper
 *   sysctl went in Linux 6.0): a helper only comes from a CT rule.
 * - nf_conntrack_ftp `loose` (0): a PORT or PASV naming another address than
 *   its sender's is ignored; with 1 the data connection to that address is
 *   expected.
 * - nf_conntrack_irc `max_dcc_channels` (8, 1 to 255: the module refuses to
 *   load otherwise) and `dcc_timeout` (300 s): the DCC expectations' policy.
 * - nf_conntrack_sip `sip_timeout` (3600 s: how long a SIP entry lives after
 *   each message), `sip_direct_signalling` (1: a REGISTER's expectation of
 *   calls comes from the registrar only; 0: from anywhere),
 *   `sip_direct_media` (1: media is expected only for the sender's own
 *   address and only from the other end of the signalling; 0: for any
 *   address, from anywhere), `sip_external_media` (0; with 1 and
 *   sip_direct_media 0, media is not expected when the route to its address
 *   leaves by the device the SIP message leaves by).
 * - nf_conntrack_amanda `master_timeout` (300 s: the control entry's
 *   lifetime after each packet). Its `ts_algo` only picks a search algorithm.
 * - nf_conntrack_h323 `default_rrq_ttl` (300 s), `gkrouted_only` (1: calls
 *   are expected from the gatekeeper only), `callforward_filter` (1: a call
 *   forwarded to an address reached the way the caller is, is not expected).
 * - nf_conntrack_netbios_ns and nf_conntrack_snmp `timeout` (3 s, 30 s): how
 *   long the answers to a broadcast are expected, and the entry lives.
 *
 * The kernel takes `bool` parameters as 0, 1, y, n, Y or N, integers as
 * numbers; the machine file takes numbers and, for the 0/1 ones, true and
 * false. Invalid values are refused with the reason (`moduleParamError`).
 */

/** The modules' parameters as a machine file sets them (only those it names). */
export type ModuleSettings = Readonly<Record<string, Readonly<Record<string, number | readonly number[]>>>>;

/** What each parameter takes. */
type ParamKind = 'ports' | 'bool' | 'uint';

interface ParamSpec {
  readonly kind: ParamKind;
  /** Its default (the kernel's). */
  readonly def: number | readonly number[];
  /** The smallest and largest value the module loads with (uint). */
  readonly min?: number;
  readonly max?: number;
}

const U32 = 0xffffffff;

/** The modules and their parameters, with the kernel's defaults. */
export const MODULE_PARAMS: Readonly<Record<string, Readonly<Record<string, ParamSpec>>>> = {
  nf_conntrack_ftp: { ports: { kind: 'ports', def: [21] }, loose: { kind: 'bool', def: 0 } },
  nf_conntrack_tftp: { ports: { kind: 'ports', def: [69] } },
  nf_conntrack_irc: {
    ports: { kind: 'ports', def: [6667] },
    max_dcc_channels: { kind: 'uint', def: 8, min: 1, max: 255 },
    dcc_timeout: { kind: 'uint', def: 300, min: 0, max: U32 },
  },
  nf_conntrack_sip: {
    ports: { kind: 'ports', def: [5060] },
    sip_timeout: { kind: 'uint', def: 3600, min: 0, max: U32 },
    sip_direct_signalling: { kind: 'bool', def: 1 },
    sip_direct_media: { kind: 'bool', def: 1 },
    sip_external_media: { kind: 'bool', def: 0 },
  },
  nf_conntrack_sane: { ports: { kind: 'ports', def: [6566] } },
  nf_conntrack_amanda: { master_timeout: { kind: 'uint', def: 300, min: 0, max: U32 } },
  nf_conntrack_h323: {
    default_rrq_ttl: { kind: 'uint', def: 300, min: 0, max: U32 },
    gkrouted_only: { kind: 'bool', def: 1 },
    callforward_filter: { kind: 'bool', def: 1 },
  },
  nf_conntrack_netbios_ns: { timeout: { kind: 'uint', def: 3, min: 0, max: U32 } },
  nf_conntrack_snmp: { timeout: { kind: 'uint', def: 30, min: 0, max: U32 } },
};

/** MAX_PORTS of every helper module with `ports`. */
export const MAX_HELPER_PORTS = 8;

/**
 * Each module's `ports` helpers: the base name, its standard port, its
 * protocols and families, and whether a helper for another port is named
 * after the port (ftp, sane) or after its place in the list (tftp, irc, sip).
 */
const PORT_HELPERS: Readonly<Record<string, { name: string; port: number; protos: readonly number[]; v6: boolean; idIsPort: boolean }>> = {
  nf_conntrack_ftp: { name: 'ftp', port: 21, protos: [6], v6: true, idIsPort: true },
  nf_conntrack_tftp: { name: 'tftp', port: 69, protos: [17], v6: true, idIsPort: false },
  nf_conntrack_irc: { name: 'irc', port: 6667, protos: [6], v6: false, idIsPort: false },
  nf_conntrack_sip: { name: 'sip', port: 5060, protos: [17, 6], v6: true, idIsPort: false },
  nf_conntrack_sane: { name: 'sane', port: 6566, protos: [6], v6: true, idIsPort: true },
};

/** The helpers that register one port of their own whatever the parameters (their tuples can clash with `ports`). */
const FIXED_HELPER_PORTS: ReadonlyArray<{ module: string; port: number; proto: number; v6: boolean }> = [
  { module: 'nf_conntrack_amanda', port: 10080, proto: 17, v6: true },
  { module: 'nf_conntrack_netbios_ns', port: 137, proto: 17, v6: false },
  { module: 'nf_conntrack_snmp', port: 161, proto: 17, v6: false },
  { module: 'nf_nat_snmp_basic', port: 162, proto: 17, v6: false },
  { module: 'nf_conntrack_pptp', port: 1723, proto: 6, v6: false },
  { module: 'nf_conntrack_h323 (RAS)', port: 1719, proto: 17, v6: true },
  { module: 'nf_conntrack_h323 (Q.931)', port: 1720, proto: 6, v6: true },
];

/** The parameters every helper reads, defaults filled in. */
export interface ModuleParams {
  readonly ftpLoose: boolean;
  readonly ircMaxDccChannels: number;
  readonly ircDccTimeout: number;
  readonly sipTimeout: number;
  readonly sipDirectSignalling: boolean;
  readonly sipDirectMedia: boolean;
  readonly sipExternalMedia: boolean;
  readonly amandaMasterTimeout: number;
  readonly h323DefaultRrqTtl: number;
  readonly h323GkroutedOnly: boolean;
  readonly h323CallforwardFilter: boolean;
  readonly netbiosNsTimeout: number;
  readonly snmpTimeout: number;
}

/** The kernel's defaults. */
export const DEFAULT_MODULE_PARAMS: ModuleParams = moduleParams(undefined);

function value(s: ModuleSettings | undefined, module: string, param: string): number | readonly number[] {
  return s?.[module]?.[param] ?? MODULE_PARAMS[module]![param]!.def;
}

function num(s: ModuleSettings | undefined, module: string, param: string): number {
  const v = value(s, module, param);
  return typeof v === 'number' ? v : 0;
}

/** The parameters the helpers read, from a machine's settings (the defaults where it sets none). */
export function moduleParams(s: ModuleSettings | undefined): ModuleParams {
  return {
    ftpLoose: num(s, 'nf_conntrack_ftp', 'loose') !== 0,
    ircMaxDccChannels: num(s, 'nf_conntrack_irc', 'max_dcc_channels'),
    ircDccTimeout: num(s, 'nf_conntrack_irc', 'dcc_timeout'),
    sipTimeout: num(s, 'nf_conntrack_sip', 'sip_timeout'),
    sipDirectSignalling: num(s, 'nf_conntrack_sip', 'sip_direct_signalling') !== 0,
    sipDirectMedia: num(s, 'nf_conntrack_sip', 'sip_direct_media') !== 0,
    sipExternalMedia: num(s, 'nf_conntrack_sip', 'sip_external_media') !== 0,
    amandaMasterTimeout: num(s, 'nf_conntrack_amanda', 'master_timeout'),
    h323DefaultRrqTtl: num(s, 'nf_conntrack_h323', 'default_rrq_ttl'),
    h323GkroutedOnly: num(s, 'nf_conntrack_h323', 'gkrouted_only') !== 0,
    h323CallforwardFilter: num(s, 'nf_conntrack_h323', 'callforward_filter') !== 0,
    netbiosNsTimeout: num(s, 'nf_conntrack_netbios_ns', 'timeout'),
    snmpTimeout: num(s, 'nf_conntrack_snmp', 'timeout'),
  };
}

/** A helper the modules register under a name of its own: `ftp-2121` is the ftp helper. */
export interface HelperName {
  /** The name `CT --helper` gives. */
  readonly name: string;
  /** The emulated helper's own name (ftp, tftp, irc, sip, sane). */
  readonly base: string;
}

/** The names the `ports` parameters give the helpers (the standard names included when their port is listed). */
export function portHelperNames(s: ModuleSettings | undefined): HelperName[] {
  const out: HelperName[] = [];
  for (const [module, h] of Object.entries(PORT_HELPERS)) {
    const ports = value(s, module, 'ports') as readonly number[];
    ports.forEach((p, i) => out.push({ name: p === h.port ? h.name : `${h.name}-${h.idIsPort ? p : i}`, base: h.name }));
  }
  return out;
}

/**
 * Which emulated helper `name` is under these settings (its base name), or
 * undefined when no module registers a helper of that name.
 */
export function helperBaseName(name: string, s: ModuleSettings | undefined): string | undefined {
  const dash = name.lastIndexOf('-');
  const stem = dash > 0 ? name.slice(0, dash) : name;
  const ported = Object.values(PORT_HELPERS).find((h) => h.name === name || h.name === stem);
  if (!ported) return name;
  return portHelperNames(s).find((n) => n.name === name)?.base;
}

/**
 * Why a machine file's `value` for `module`'s `param` cannot be, or
 * undefined when it can; `others` are the settings read before (for the
 * ports of one module clashing with another's).
 */
export function moduleParamError(module: string, param: string, v: unknown, others: ModuleSettings): string | undefined {
  const mod = MODULE_PARAMS[module];
  if (!mod) return `unknown module \`${module}'; cofw models the parameters of ${Object.keys(MODULE_PARAMS).join(', ')}`;
  const spec = mod[param];
  if (!spec) return `${module} has no parameter \`${param}'; it has ${Object.keys(mod).join(', ')}`;
  if (spec.kind === 'bool') {
    if (v === true || v === false || v === 0 || v === 1) return undefined;
    return `${module} ${param} must be 0 or 1 (or false, true)`;
  }
  if (spec.kind === 'uint') {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `${module} ${param} must be a whole number`;
    if (v < spec.min! || v > spec.max!) {
      if (module === 'nf_conntrack_irc')
        return `${module} ${param} must be from ${spec.min} to ${spec.max} (NF_CT_EXPECT_MAX_CNT): the module refuses to load with ${v}`;
      return `${module} ${param} must be from ${spec.min} to ${spec.max}`;
    }
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0) return `${module} ports must be a list of 1 to ${MAX_HELPER_PORTS} ports, such as [21, 2121]`;
  if (v.length > MAX_HELPER_PORTS) return `${module} ports takes at most ${MAX_HELPER_PORTS} ports (MAX_PORTS), not ${v.length}`;
  for (const p of v as unknown[])
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) return `${module} ports: \`${String(p)}' is not a port from 1 to 65535`;
  const ports = v as number[];
  const dup = ports.find((p, i) => ports.indexOf(p) !== i);
  if (dup !== undefined) return `${module} ports names ${dup} twice: its second helper would clash with the first (-EEXIST) and the module would not load`;
  const h = PORT_HELPERS[module]!;
  for (const p of ports) {
    for (const [m, o] of Object.entries(PORT_HELPERS)) {
      if (m === module) continue;
      const theirs = (others[m]?.ports as readonly number[] | undefined) ?? (MODULE_PARAMS[m]!.ports!.def as readonly number[]);
      if (theirs.includes(p) && o.protos.some((x) => h.protos.includes(x)))
        return `${module} ports: ${p} is ${m}'s already; two helpers of one protocol cannot register one port (-EEXIST), so one module would not load`;
    }
    const fixed = FIXED_HELPER_PORTS.find((f) => f.port === p && h.protos.includes(f.proto));
    if (fixed)
      return `${module} ports: ${p} is ${fixed.module}'s; two helpers of one protocol cannot register one port (-EEXIST), so one module would not load`;
  }
  return undefined;
}

/** The value a machine file's setting stands for (true and false are 1 and 0). */
export function moduleParamValue(v: unknown): number | readonly number[] {
  if (v === true) return 1;
  if (v === false) return 0;
  return v as number | readonly number[];
}
