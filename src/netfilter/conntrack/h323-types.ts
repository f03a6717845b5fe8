/**
 * The H.323 type tables the conntrack helpers decode with (the kernel's
 * nf_conntrack_h323_types.c, from the ASN.1 of H.225.0 RAS and call
 * signalling and of H.245): one row per component of a SEQUENCE, per
 * alternative of a CHOICE, or the item of a SEQUENCE OF.
 *
 * A row is `f(name, type, sz, lb, ub, attr, fields?)`:
 * - SEQ: `sz` bits of optional-component bitmap, `lb` root components,
 *   `ub` components known (root and extension additions);
 * - CHOICE: `sz` bits of index, `lb` root alternatives, `ub` alternatives known;
 * - SEQOF: `sz` is how the count is coded (BYTE, WORD, SEMI, or that many
 *   bits), `lb` is added to it, `ub` is how many items are kept;
 * - INT, OCTSTR, BMPSTR, NUMSTR, BITSTR: `sz` is how the length or value is
 *   coded, `lb` its lower bound (or fixed size);
 * - `attr`: SKIP (walked over), DECODE (kept in the decoded message), STOP
 *   (the decoder stops here: the helpers need nothing further), EXT
 *   (extensible), OPEN (an open type: a length, then the value), OPT
 *   (optional: a bit of the bitmap says whether present).
 * A row without `fields` is only ever skipped by its length (an extension
 * addition or an open type), never walked into.
 */

/** ASN.1 types (the decoder's dispatch). */
export const NUL = 0;
export const BOOL = 1;
export const OID = 2;
export const INT = 3;
export const ENUM = 4;
export const BITSTR = 5;
export const NUMSTR = 6;
export const NUMDGT = 6;
export const OCTSTR = 7;
export const IA5STR = 7;
export const BMPSTR = 8;
export const SEQ = 9;
export const SEQOF = 10;
export const CHOICE = 11;

/** How a length or value is coded (1 to 8: that many bits). */
export const FIXD = 0;
export const BYTE = 9;
export const WORD = 10;
export const CONS = 11;
export const SEMI = 12;
export const UNCO = 13;

/** Attributes. */
export const SKIP = 0;
export const STOP = 1;
export const DECODE = 2;
export const EXT = 4;
export const OPEN = 8;
export const OPT = 16;

export interface Field {
  readonly name: string;
  readonly type: number;
  readonly sz: number;
  readonly lb: number;
  readonly ub: number;
  readonly attr: number;
  readonly fields: readonly Field[] | null;
}

function f(name: string, type: number, sz: number, lb: number, ub: number, attr: number, fields: readonly Field[] | null = null): Field {
  return { name, type, sz, lb, ub, attr, fields };
}

const TransportAddress_ipAddress: readonly Field[] = [f('ip', OCTSTR, FIXD, 4, 0, DECODE), f('port', INT, WORD, 0, 0, SKIP)];
const TransportAddress_ipSourceRoute_route: readonly Field[] = [f('item', OCTSTR, FIXD, 4, 0, SKIP)];
const TransportAddress_ipSourceRoute_routing: readonly Field[] = [f('strict', NUL, FIXD, 0, 0, SKIP), f('loose', NUL, FIXD, 0, 0, SKIP)];
const TransportAddress_ipSourceRoute: readonly Field[] = [
  f('ip', OCTSTR, FIXD, 4, 0, SKIP),
  f('port', INT, WORD, 0, 0, SKIP),
  f('route', SEQOF, SEMI, 0, 0, SKIP, TransportAddress_ipSourceRoute_route),
  f('routing', CHOICE, 1, 2, 2, SKIP | EXT, TransportAddress_ipSourceRoute_routing),
];
const TransportAddress_ipxAddress: readonly Field[] = [
  f('node', OCTSTR, FIXD, 6, 0, SKIP),
  f('netnum', OCTSTR, FIXD, 4, 0, SKIP),
  f('port', OCTSTR, FIXD, 2, 0, SKIP),
];
const TransportAddress_ip6Address: readonly Field[] = [f('ip', OCTSTR, FIXD, 16, 0, DECODE), f('port', INT, WORD, 0, 0, SKIP)];
const H221NonStandard: readonly Field[] = [
  f('t35CountryCode', INT, BYTE, 0, 0, SKIP),
  f('t35Extension', INT, BYTE, 0, 0, SKIP),
  f('manufacturerCode', INT, WORD, 0, 0, SKIP),
];
const NonStandardIdentifier: readonly Field[] = [f('object', OID, BYTE, 0, 0, SKIP), f('h221NonStandard', SEQ, 0, 3, 3, SKIP | EXT, H221NonStandard)];
const NonStandardParameter: readonly Field[] = [
  f('nonStandardIdentifier', CHOICE, 1, 2, 2, SKIP | EXT, NonStandardIdentifier),
  f('data', OCTSTR, SEMI, 0, 0, SKIP),
];
const TransportAddress: readonly Field[] = [
  f('ipAddress', SEQ, 0, 2, 2, DECODE, TransportAddress_ipAddress),
  f('ipSourceRoute', SEQ, 0, 4, 4, SKIP | EXT, TransportAddress_ipSourceRoute),
  f('ipxAddress', SEQ, 0, 3, 3, SKIP, TransportAddress_ipxAddress),
  f('ip6Address', SEQ, 0, 2, 2, DECODE | EXT, TransportAddress_ip6Address),
  f('netBios', OCTSTR, FIXD, 16, 0, SKIP),
  f('nsap', OCTSTR, 5, 1, 0, SKIP),
  f('nonStandardAddress', SEQ, 0, 2, 2, SKIP, NonStandardParameter),
];
const AliasAddress: readonly Field[] = [
  f('dialedDigits', NUMDGT, 7, 1, 0, SKIP),
  f('h323ID', BMPSTR, BYTE, 1, 0, SKIP),
  f('urlID', IA5STR, WORD, 1, 0, SKIP),
  f('transportID', CHOICE, 3, 7, 7, SKIP | EXT),
  f('emailID', IA5STR, WORD, 1, 0, SKIP),
  f('partyNumber', CHOICE, 3, 5, 5, SKIP | EXT),
  f('mobileUIM', CHOICE, 1, 2, 2, SKIP | EXT),
];
const Setup_UUIE_sourceAddress: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const VendorIdentifier: readonly Field[] = [
  f('vendor', SEQ, 0, 3, 3, SKIP | EXT, H221NonStandard),
  f('productId', OCTSTR, BYTE, 1, 0, SKIP | OPT),
  f('versionId', OCTSTR, BYTE, 1, 0, SKIP | OPT),
];
const GatekeeperInfo: readonly Field[] = [f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter)];
const H310Caps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const H320Caps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const H321Caps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const H322Caps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const H323Caps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const H324Caps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const VoiceCaps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const T120OnlyCaps: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('dataRatesSupported', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, SKIP),
];
const SupportedProtocols: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP, NonStandardParameter),
  f('h310', SEQ, 1, 1, 3, SKIP | EXT, H310Caps),
  f('h320', SEQ, 1, 1, 3, SKIP | EXT, H320Caps),
  f('h321', SEQ, 1, 1, 3, SKIP | EXT, H321Caps),
  f('h322', SEQ, 1, 1, 3, SKIP | EXT, H322Caps),
  f('h323', SEQ, 1, 1, 3, SKIP | EXT, H323Caps),
  f('h324', SEQ, 1, 1, 3, SKIP | EXT, H324Caps),
  f('voice', SEQ, 1, 1, 3, SKIP | EXT, VoiceCaps),
  f('t120Only', SEQ, 1, 1, 3, SKIP | EXT, T120OnlyCaps),
  f('nonStandardProtocol', SEQ, 2, 3, 3, SKIP | EXT),
  f('t38FaxAnnexbOnly', SEQ, 2, 5, 5, SKIP | EXT),
];
const GatewayInfo_protocol: readonly Field[] = [f('item', CHOICE, 4, 9, 11, SKIP | EXT, SupportedProtocols)];
const GatewayInfo: readonly Field[] = [
  f('protocol', SEQOF, SEMI, 0, 0, SKIP | OPT, GatewayInfo_protocol),
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
];
const McuInfo: readonly Field[] = [f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter), f('protocol', SEQOF, SEMI, 0, 0, SKIP | OPT)];
const TerminalInfo: readonly Field[] = [f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter)];
const EndpointType: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('vendor', SEQ, 2, 3, 3, SKIP | EXT | OPT, VendorIdentifier),
  f('gatekeeper', SEQ, 1, 1, 1, SKIP | EXT | OPT, GatekeeperInfo),
  f('gateway', SEQ, 2, 2, 2, SKIP | EXT | OPT, GatewayInfo),
  f('mcu', SEQ, 1, 1, 2, SKIP | EXT | OPT, McuInfo),
  f('terminal', SEQ, 1, 1, 1, SKIP | EXT | OPT, TerminalInfo),
  f('mc', BOOL, FIXD, 0, 0, SKIP),
  f('undefinedNode', BOOL, FIXD, 0, 0, SKIP),
  f('set', BITSTR, FIXD, 32, 0, SKIP | OPT),
  f('supportedTunnelledProtocols', SEQOF, SEMI, 0, 0, SKIP | OPT),
];
const Setup_UUIE_destinationAddress: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const Setup_UUIE_destExtraCallInfo: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const Setup_UUIE_destExtraCRV: readonly Field[] = [f('item', INT, WORD, 0, 0, SKIP)];
const Setup_UUIE_conferenceGoal: readonly Field[] = [
  f('create', NUL, FIXD, 0, 0, SKIP),
  f('join', NUL, FIXD, 0, 0, SKIP),
  f('invite', NUL, FIXD, 0, 0, SKIP),
  f('capabilityNegotiation', NUL, FIXD, 0, 0, SKIP),
  f('callIndependentSupplementaryService', NUL, FIXD, 0, 0, SKIP),
];
const Q954Details: readonly Field[] = [f('conferenceCalling', BOOL, FIXD, 0, 0, SKIP), f('threePartyService', BOOL, FIXD, 0, 0, SKIP)];
const QseriesOptions: readonly Field[] = [
  f('q932Full', BOOL, FIXD, 0, 0, SKIP),
  f('q951Full', BOOL, FIXD, 0, 0, SKIP),
  f('q952Full', BOOL, FIXD, 0, 0, SKIP),
  f('q953Full', BOOL, FIXD, 0, 0, SKIP),
  f('q955Full', BOOL, FIXD, 0, 0, SKIP),
  f('q956Full', BOOL, FIXD, 0, 0, SKIP),
  f('q957Full', BOOL, FIXD, 0, 0, SKIP),
  f('q954Info', SEQ, 0, 2, 2, SKIP | EXT, Q954Details),
];
const CallType: readonly Field[] = [
  f('pointToPoint', NUL, FIXD, 0, 0, SKIP),
  f('oneToN', NUL, FIXD, 0, 0, SKIP),
  f('nToOne', NUL, FIXD, 0, 0, SKIP),
  f('nToN', NUL, FIXD, 0, 0, SKIP),
];
const H245_NonStandardIdentifier_h221NonStandard: readonly Field[] = [
  f('t35CountryCode', INT, BYTE, 0, 0, SKIP),
  f('t35Extension', INT, BYTE, 0, 0, SKIP),
  f('manufacturerCode', INT, WORD, 0, 0, SKIP),
];
const H245_NonStandardIdentifier: readonly Field[] = [
  f('object', OID, BYTE, 0, 0, SKIP),
  f('h221NonStandard', SEQ, 0, 3, 3, SKIP, H245_NonStandardIdentifier_h221NonStandard),
];
const H245_NonStandardParameter: readonly Field[] = [
  f('nonStandardIdentifier', CHOICE, 1, 2, 2, SKIP, H245_NonStandardIdentifier),
  f('data', OCTSTR, SEMI, 0, 0, SKIP),
];
const H261VideoCapability: readonly Field[] = [
  f('qcifMPI', INT, 2, 1, 0, SKIP | OPT),
  f('cifMPI', INT, 2, 1, 0, SKIP | OPT),
  f('temporalSpatialTradeOffCapability', BOOL, FIXD, 0, 0, SKIP),
  f('maxBitRate', INT, WORD, 1, 0, SKIP),
  f('stillImageTransmission', BOOL, FIXD, 0, 0, SKIP),
  f('videoBadMBsCap', BOOL, FIXD, 0, 0, SKIP),
];
const H262VideoCapability: readonly Field[] = [
  f('profileAndLevelSPatML', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelMPatLL', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelMPatML', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelMPatH14', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelMPatHL', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelSNRatLL', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelSNRatML', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelSpatialatH14', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelHPatML', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelHPatH14', BOOL, FIXD, 0, 0, SKIP),
  f('profileAndLevelHPatHL', BOOL, FIXD, 0, 0, SKIP),
  f('videoBitRate', INT, CONS, 0, 0, SKIP | OPT),
  f('vbvBufferSize', INT, CONS, 0, 0, SKIP | OPT),
  f('samplesPerLine', INT, WORD, 0, 0, SKIP | OPT),
  f('linesPerFrame', INT, WORD, 0, 0, SKIP | OPT),
  f('framesPerSecond', INT, 4, 0, 0, SKIP | OPT),
  f('luminanceSampleRate', INT, CONS, 0, 0, SKIP | OPT),
  f('videoBadMBsCap', BOOL, FIXD, 0, 0, SKIP),
];
const H263VideoCapability: readonly Field[] = [
  f('sqcifMPI', INT, 5, 1, 0, SKIP | OPT),
  f('qcifMPI', INT, 5, 1, 0, SKIP | OPT),
  f('cifMPI', INT, 5, 1, 0, SKIP | OPT),
  f('cif4MPI', INT, 5, 1, 0, SKIP | OPT),
  f('cif16MPI', INT, 5, 1, 0, SKIP | OPT),
  f('maxBitRate', INT, CONS, 1, 0, SKIP),
  f('unrestrictedVector', BOOL, FIXD, 0, 0, SKIP),
  f('arithmeticCoding', BOOL, FIXD, 0, 0, SKIP),
  f('advancedPrediction', BOOL, FIXD, 0, 0, SKIP),
  f('pbFrames', BOOL, FIXD, 0, 0, SKIP),
  f('temporalSpatialTradeOffCapability', BOOL, FIXD, 0, 0, SKIP),
  f('hrdB', INT, CONS, 0, 0, SKIP | OPT),
  f('bppMaxKb', INT, WORD, 0, 0, SKIP | OPT),
  f('slowSqcifMPI', INT, WORD, 1, 0, SKIP | OPT),
  f('slowQcifMPI', INT, WORD, 1, 0, SKIP | OPT),
  f('slowCifMPI', INT, WORD, 1, 0, SKIP | OPT),
  f('slowCif4MPI', INT, WORD, 1, 0, SKIP | OPT),
  f('slowCif16MPI', INT, WORD, 1, 0, SKIP | OPT),
  f('errorCompensation', BOOL, FIXD, 0, 0, SKIP),
  f('enhancementLayerInfo', SEQ, 3, 4, 4, SKIP | EXT | OPT),
  f('h263Options', SEQ, 5, 29, 31, SKIP | EXT | OPT),
];
const IS11172VideoCapability: readonly Field[] = [
  f('constrainedBitstream', BOOL, FIXD, 0, 0, SKIP),
  f('videoBitRate', INT, CONS, 0, 0, SKIP | OPT),
  f('vbvBufferSize', INT, CONS, 0, 0, SKIP | OPT),
  f('samplesPerLine', INT, WORD, 0, 0, SKIP | OPT),
  f('linesPerFrame', INT, WORD, 0, 0, SKIP | OPT),
  f('pictureRate', INT, 4, 0, 0, SKIP | OPT),
  f('luminanceSampleRate', INT, CONS, 0, 0, SKIP | OPT),
  f('videoBadMBsCap', BOOL, FIXD, 0, 0, SKIP),
];
const VideoCapability: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter),
  f('h261VideoCapability', SEQ, 2, 5, 6, SKIP | EXT, H261VideoCapability),
  f('h262VideoCapability', SEQ, 6, 17, 18, SKIP | EXT, H262VideoCapability),
  f('h263VideoCapability', SEQ, 7, 13, 21, SKIP | EXT, H263VideoCapability),
  f('is11172VideoCapability', SEQ, 6, 7, 8, SKIP | EXT, IS11172VideoCapability),
  f('genericVideoCapability', SEQ, 5, 6, 6, SKIP | EXT),
];
const AudioCapability_g7231: readonly Field[] = [f('maxAlSduAudioFrames', INT, BYTE, 1, 0, SKIP), f('silenceSuppression', BOOL, FIXD, 0, 0, SKIP)];
const IS11172AudioCapability: readonly Field[] = [
  f('audioLayer1', BOOL, FIXD, 0, 0, SKIP),
  f('audioLayer2', BOOL, FIXD, 0, 0, SKIP),
  f('audioLayer3', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling32k', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling44k1', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling48k', BOOL, FIXD, 0, 0, SKIP),
  f('singleChannel', BOOL, FIXD, 0, 0, SKIP),
  f('twoChannels', BOOL, FIXD, 0, 0, SKIP),
  f('bitRate', INT, WORD, 1, 0, SKIP),
];
const IS13818AudioCapability: readonly Field[] = [
  f('audioLayer1', BOOL, FIXD, 0, 0, SKIP),
  f('audioLayer2', BOOL, FIXD, 0, 0, SKIP),
  f('audioLayer3', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling16k', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling22k05', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling24k', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling32k', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling44k1', BOOL, FIXD, 0, 0, SKIP),
  f('audioSampling48k', BOOL, FIXD, 0, 0, SKIP),
  f('singleChannel', BOOL, FIXD, 0, 0, SKIP),
  f('twoChannels', BOOL, FIXD, 0, 0, SKIP),
  f('threeChannels21', BOOL, FIXD, 0, 0, SKIP),
  f('threeChannels30', BOOL, FIXD, 0, 0, SKIP),
  f('fourChannels2020', BOOL, FIXD, 0, 0, SKIP),
  f('fourChannels22', BOOL, FIXD, 0, 0, SKIP),
  f('fourChannels31', BOOL, FIXD, 0, 0, SKIP),
  f('fiveChannels3020', BOOL, FIXD, 0, 0, SKIP),
  f('fiveChannels32', BOOL, FIXD, 0, 0, SKIP),
  f('lowFrequencyEnhancement', BOOL, FIXD, 0, 0, SKIP),
  f('multilingual', BOOL, FIXD, 0, 0, SKIP),
  f('bitRate', INT, WORD, 1, 0, SKIP),
];
const AudioCapability: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter),
  f('g711Alaw64k', INT, BYTE, 1, 0, SKIP),
  f('g711Alaw56k', INT, BYTE, 1, 0, SKIP),
  f('g711Ulaw64k', INT, BYTE, 1, 0, SKIP),
  f('g711Ulaw56k', INT, BYTE, 1, 0, SKIP),
  f('g72264k', INT, BYTE, 1, 0, SKIP),
  f('g72256k', INT, BYTE, 1, 0, SKIP),
  f('g72248k', INT, BYTE, 1, 0, SKIP),
  f('g7231', SEQ, 0, 2, 2, SKIP, AudioCapability_g7231),
  f('g728', INT, BYTE, 1, 0, SKIP),
  f('g729', INT, BYTE, 1, 0, SKIP),
  f('g729AnnexA', INT, BYTE, 1, 0, SKIP),
  f('is11172AudioCapability', SEQ, 0, 9, 9, SKIP | EXT, IS11172AudioCapability),
  f('is13818AudioCapability', SEQ, 0, 21, 21, SKIP | EXT, IS13818AudioCapability),
  f('g729wAnnexB', INT, BYTE, 1, 0, SKIP),
  f('g729AnnexAwAnnexB', INT, BYTE, 1, 0, SKIP),
  f('g7231AnnexCCapability', SEQ, 1, 3, 3, SKIP | EXT),
  f('gsmFullRate', SEQ, 0, 3, 3, SKIP | EXT),
  f('gsmHalfRate', SEQ, 0, 3, 3, SKIP | EXT),
  f('gsmEnhancedFullRate', SEQ, 0, 3, 3, SKIP | EXT),
  f('genericAudioCapability', SEQ, 5, 6, 6, SKIP | EXT),
  f('g729Extensions', SEQ, 1, 8, 8, SKIP | EXT),
];
const DataProtocolCapability: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter),
  f('v14buffered', NUL, FIXD, 0, 0, SKIP),
  f('v42lapm', NUL, FIXD, 0, 0, SKIP),
  f('hdlcFrameTunnelling', NUL, FIXD, 0, 0, SKIP),
  f('h310SeparateVCStack', NUL, FIXD, 0, 0, SKIP),
  f('h310SingleVCStack', NUL, FIXD, 0, 0, SKIP),
  f('transparent', NUL, FIXD, 0, 0, SKIP),
  f('segmentationAndReassembly', NUL, FIXD, 0, 0, SKIP),
  f('hdlcFrameTunnelingwSAR', NUL, FIXD, 0, 0, SKIP),
  f('v120', NUL, FIXD, 0, 0, SKIP),
  f('separateLANStack', NUL, FIXD, 0, 0, SKIP),
  f('v76wCompression', CHOICE, 2, 3, 3, SKIP | EXT),
  f('tcp', NUL, FIXD, 0, 0, SKIP),
  f('udp', NUL, FIXD, 0, 0, SKIP),
];
const T84Profile_t84Restricted: readonly Field[] = [
  f('qcif', BOOL, FIXD, 0, 0, SKIP),
  f('cif', BOOL, FIXD, 0, 0, SKIP),
  f('ccir601Seq', BOOL, FIXD, 0, 0, SKIP),
  f('ccir601Prog', BOOL, FIXD, 0, 0, SKIP),
  f('hdtvSeq', BOOL, FIXD, 0, 0, SKIP),
  f('hdtvProg', BOOL, FIXD, 0, 0, SKIP),
  f('g3FacsMH200x100', BOOL, FIXD, 0, 0, SKIP),
  f('g3FacsMH200x200', BOOL, FIXD, 0, 0, SKIP),
  f('g4FacsMMR200x100', BOOL, FIXD, 0, 0, SKIP),
  f('g4FacsMMR200x200', BOOL, FIXD, 0, 0, SKIP),
  f('jbig200x200Seq', BOOL, FIXD, 0, 0, SKIP),
  f('jbig200x200Prog', BOOL, FIXD, 0, 0, SKIP),
  f('jbig300x300Seq', BOOL, FIXD, 0, 0, SKIP),
  f('jbig300x300Prog', BOOL, FIXD, 0, 0, SKIP),
  f('digPhotoLow', BOOL, FIXD, 0, 0, SKIP),
  f('digPhotoMedSeq', BOOL, FIXD, 0, 0, SKIP),
  f('digPhotoMedProg', BOOL, FIXD, 0, 0, SKIP),
  f('digPhotoHighSeq', BOOL, FIXD, 0, 0, SKIP),
  f('digPhotoHighProg', BOOL, FIXD, 0, 0, SKIP),
];
const T84Profile: readonly Field[] = [f('t84Unrestricted', NUL, FIXD, 0, 0, SKIP), f('t84Restricted', SEQ, 0, 19, 19, SKIP | EXT, T84Profile_t84Restricted)];
const DataApplicationCapability_application_t84: readonly Field[] = [
  f('t84Protocol', CHOICE, 3, 7, 14, SKIP | EXT, DataProtocolCapability),
  f('t84Profile', CHOICE, 1, 2, 2, SKIP, T84Profile),
];
const DataApplicationCapability_application_nlpid: readonly Field[] = [
  f('nlpidProtocol', CHOICE, 3, 7, 14, SKIP | EXT, DataProtocolCapability),
  f('nlpidData', OCTSTR, SEMI, 0, 0, SKIP),
];
const DataApplicationCapability_application: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter),
  f('t120', CHOICE, 3, 7, 14, DECODE | EXT, DataProtocolCapability),
  f('dsmCc', CHOICE, 3, 7, 14, SKIP | EXT, DataProtocolCapability),
  f('userData', CHOICE, 3, 7, 14, SKIP | EXT, DataProtocolCapability),
  f('t84', SEQ, 0, 2, 2, SKIP, DataApplicationCapability_application_t84),
  f('t434', CHOICE, 3, 7, 14, SKIP | EXT, DataProtocolCapability),
  f('h224', CHOICE, 3, 7, 14, SKIP | EXT, DataProtocolCapability),
  f('nlpid', SEQ, 0, 2, 2, SKIP, DataApplicationCapability_application_nlpid),
  f('dsvdControl', NUL, FIXD, 0, 0, SKIP),
  f('h222DataPartitioning', CHOICE, 3, 7, 14, SKIP | EXT, DataProtocolCapability),
  f('t30fax', CHOICE, 3, 7, 14, SKIP | EXT),
  f('t140', CHOICE, 3, 7, 14, SKIP | EXT),
  f('t38fax', SEQ, 0, 2, 2, SKIP),
  f('genericDataCapability', SEQ, 5, 6, 6, SKIP | EXT),
];
const DataApplicationCapability: readonly Field[] = [
  f('application', CHOICE, 4, 10, 14, DECODE | EXT, DataApplicationCapability_application),
  f('maxBitRate', INT, CONS, 0, 0, SKIP),
];
const EncryptionMode: readonly Field[] = [f('nonStandard', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter), f('h233Encryption', NUL, FIXD, 0, 0, SKIP)];
const DataType: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter),
  f('nullData', NUL, FIXD, 0, 0, SKIP),
  f('videoData', CHOICE, 3, 5, 6, SKIP | EXT, VideoCapability),
  f('audioData', CHOICE, 4, 14, 22, SKIP | EXT, AudioCapability),
  f('data', SEQ, 0, 2, 2, DECODE | EXT, DataApplicationCapability),
  f('encryptionData', CHOICE, 1, 2, 2, SKIP | EXT, EncryptionMode),
  f('h235Control', SEQ, 0, 2, 2, SKIP),
  f('h235Media', SEQ, 0, 2, 2, SKIP | EXT),
  f('multiplexedStream', SEQ, 0, 2, 2, SKIP | EXT),
];
const H222LogicalChannelParameters: readonly Field[] = [
  f('resourceID', INT, WORD, 0, 0, SKIP),
  f('subChannelID', INT, WORD, 0, 0, SKIP),
  f('pcrPid', INT, WORD, 0, 0, SKIP | OPT),
  f('programDescriptors', OCTSTR, SEMI, 0, 0, SKIP | OPT),
  f('streamDescriptors', OCTSTR, SEMI, 0, 0, SKIP | OPT),
];
const H223LogicalChannelParameters_adaptationLayerType_al3: readonly Field[] = [
  f('controlFieldOctets', INT, 2, 0, 0, SKIP),
  f('sendBufferSize', INT, CONS, 0, 0, SKIP),
];
const H223LogicalChannelParameters_adaptationLayerType: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter),
  f('al1Framed', NUL, FIXD, 0, 0, SKIP),
  f('al1NotFramed', NUL, FIXD, 0, 0, SKIP),
  f('al2WithoutSequenceNumbers', NUL, FIXD, 0, 0, SKIP),
  f('al2WithSequenceNumbers', NUL, FIXD, 0, 0, SKIP),
  f('al3', SEQ, 0, 2, 2, SKIP, H223LogicalChannelParameters_adaptationLayerType_al3),
  f('al1M', SEQ, 0, 7, 8, SKIP | EXT),
  f('al2M', SEQ, 0, 2, 2, SKIP | EXT),
  f('al3M', SEQ, 0, 5, 6, SKIP | EXT),
];
const H223LogicalChannelParameters: readonly Field[] = [
  f('adaptationLayerType', CHOICE, 3, 6, 9, SKIP | EXT, H223LogicalChannelParameters_adaptationLayerType),
  f('segmentableFlag', BOOL, FIXD, 0, 0, SKIP),
];
const CRCLength: readonly Field[] = [f('crc8bit', NUL, FIXD, 0, 0, SKIP), f('crc16bit', NUL, FIXD, 0, 0, SKIP), f('crc32bit', NUL, FIXD, 0, 0, SKIP)];
const V76HDLCParameters: readonly Field[] = [
  f('crcLength', CHOICE, 2, 3, 3, SKIP | EXT, CRCLength),
  f('n401', INT, WORD, 1, 0, SKIP),
  f('loopbackTestProcedure', BOOL, FIXD, 0, 0, SKIP),
];
const V76LogicalChannelParameters_suspendResume: readonly Field[] = [
  f('noSuspendResume', NUL, FIXD, 0, 0, SKIP),
  f('suspendResumewAddress', NUL, FIXD, 0, 0, SKIP),
  f('suspendResumewoAddress', NUL, FIXD, 0, 0, SKIP),
];
const V76LogicalChannelParameters_mode_eRM_recovery: readonly Field[] = [
  f('rej', NUL, FIXD, 0, 0, SKIP),
  f('sREJ', NUL, FIXD, 0, 0, SKIP),
  f('mSREJ', NUL, FIXD, 0, 0, SKIP),
];
const V76LogicalChannelParameters_mode_eRM: readonly Field[] = [
  f('windowSize', INT, 7, 1, 0, SKIP),
  f('recovery', CHOICE, 2, 3, 3, SKIP | EXT, V76LogicalChannelParameters_mode_eRM_recovery),
];
const V76LogicalChannelParameters_mode: readonly Field[] = [
  f('eRM', SEQ, 0, 2, 2, SKIP | EXT, V76LogicalChannelParameters_mode_eRM),
  f('uNERM', NUL, FIXD, 0, 0, SKIP),
];
const V75Parameters: readonly Field[] = [f('audioHeaderPresent', BOOL, FIXD, 0, 0, SKIP)];
const V76LogicalChannelParameters: readonly Field[] = [
  f('hdlcParameters', SEQ, 0, 3, 3, SKIP | EXT, V76HDLCParameters),
  f('suspendResume', CHOICE, 2, 3, 3, SKIP | EXT, V76LogicalChannelParameters_suspendResume),
  f('uIH', BOOL, FIXD, 0, 0, SKIP),
  f('mode', CHOICE, 1, 2, 2, SKIP | EXT, V76LogicalChannelParameters_mode),
  f('v75Parameters', SEQ, 0, 1, 1, SKIP | EXT, V75Parameters),
];
const H2250LogicalChannelParameters_nonStandard: readonly Field[] = [f('item', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter)];
const UnicastAddress_iPAddress: readonly Field[] = [f('network', OCTSTR, FIXD, 4, 0, DECODE), f('tsapIdentifier', INT, WORD, 0, 0, SKIP)];
const UnicastAddress_iPXAddress: readonly Field[] = [
  f('node', OCTSTR, FIXD, 6, 0, SKIP),
  f('netnum', OCTSTR, FIXD, 4, 0, SKIP),
  f('tsapIdentifier', OCTSTR, FIXD, 2, 0, SKIP),
];
const UnicastAddress_iP6Address: readonly Field[] = [f('network', OCTSTR, FIXD, 16, 0, DECODE), f('tsapIdentifier', INT, WORD, 0, 0, SKIP)];
const UnicastAddress_iPSourceRouteAddress_routing: readonly Field[] = [f('strict', NUL, FIXD, 0, 0, SKIP), f('loose', NUL, FIXD, 0, 0, SKIP)];
const UnicastAddress_iPSourceRouteAddress_route: readonly Field[] = [f('item', OCTSTR, FIXD, 4, 0, SKIP)];
const UnicastAddress_iPSourceRouteAddress: readonly Field[] = [
  f('routing', CHOICE, 1, 2, 2, SKIP, UnicastAddress_iPSourceRouteAddress_routing),
  f('network', OCTSTR, FIXD, 4, 0, SKIP),
  f('tsapIdentifier', INT, WORD, 0, 0, SKIP),
  f('route', SEQOF, SEMI, 0, 0, SKIP, UnicastAddress_iPSourceRouteAddress_route),
];
const UnicastAddress: readonly Field[] = [
  f('iPAddress', SEQ, 0, 2, 2, DECODE | EXT, UnicastAddress_iPAddress),
  f('iPXAddress', SEQ, 0, 3, 3, SKIP | EXT, UnicastAddress_iPXAddress),
  f('iP6Address', SEQ, 0, 2, 2, DECODE | EXT, UnicastAddress_iP6Address),
  f('netBios', OCTSTR, FIXD, 16, 0, SKIP),
  f('iPSourceRouteAddress', SEQ, 0, 4, 4, SKIP | EXT, UnicastAddress_iPSourceRouteAddress),
  f('nsap', OCTSTR, 5, 1, 0, SKIP),
  f('nonStandardAddress', SEQ, 0, 2, 2, SKIP),
];
const MulticastAddress_iPAddress: readonly Field[] = [f('network', OCTSTR, FIXD, 4, 0, SKIP), f('tsapIdentifier', INT, WORD, 0, 0, SKIP)];
const MulticastAddress_iP6Address: readonly Field[] = [f('network', OCTSTR, FIXD, 16, 0, SKIP), f('tsapIdentifier', INT, WORD, 0, 0, SKIP)];
const MulticastAddress: readonly Field[] = [
  f('iPAddress', SEQ, 0, 2, 2, SKIP | EXT, MulticastAddress_iPAddress),
  f('iP6Address', SEQ, 0, 2, 2, SKIP | EXT, MulticastAddress_iP6Address),
  f('nsap', OCTSTR, 5, 1, 0, SKIP),
  f('nonStandardAddress', SEQ, 0, 2, 2, SKIP),
];
const H245_TransportAddress: readonly Field[] = [
  f('unicastAddress', CHOICE, 3, 5, 7, DECODE | EXT, UnicastAddress),
  f('multicastAddress', CHOICE, 1, 2, 4, SKIP | EXT, MulticastAddress),
];
const H2250LogicalChannelParameters: readonly Field[] = [
  f('nonStandard', SEQOF, SEMI, 0, 0, SKIP | OPT, H2250LogicalChannelParameters_nonStandard),
  f('sessionID', INT, BYTE, 0, 0, SKIP),
  f('associatedSessionID', INT, 8, 1, 0, SKIP | OPT),
  f('mediaChannel', CHOICE, 1, 2, 2, DECODE | EXT | OPT, H245_TransportAddress),
  f('mediaGuaranteedDelivery', BOOL, FIXD, 0, 0, SKIP | OPT),
  f('mediaControlChannel', CHOICE, 1, 2, 2, DECODE | EXT | OPT, H245_TransportAddress),
  f('mediaControlGuaranteedDelivery', BOOL, FIXD, 0, 0, STOP | OPT),
  f('silenceSuppression', BOOL, FIXD, 0, 0, STOP | OPT),
  f('destination', SEQ, 0, 2, 2, STOP | EXT | OPT),
  f('dynamicRTPPayloadType', INT, 5, 96, 0, STOP | OPT),
  f('mediaPacketization', CHOICE, 0, 1, 2, STOP | EXT | OPT),
  f('transportCapability', SEQ, 3, 3, 3, STOP | EXT | OPT),
  f('redundancyEncoding', SEQ, 1, 2, 2, STOP | EXT | OPT),
  f('source', SEQ, 0, 2, 2, SKIP | EXT | OPT),
];
const OpenLogicalChannel_forwardLogicalChannelParameters_multiplexParameters: readonly Field[] = [
  f('h222LogicalChannelParameters', SEQ, 3, 5, 5, SKIP | EXT, H222LogicalChannelParameters),
  f('h223LogicalChannelParameters', SEQ, 0, 2, 2, SKIP | EXT, H223LogicalChannelParameters),
  f('v76LogicalChannelParameters', SEQ, 0, 5, 5, SKIP | EXT, V76LogicalChannelParameters),
  f('h2250LogicalChannelParameters', SEQ, 10, 11, 14, DECODE | EXT, H2250LogicalChannelParameters),
  f('none', NUL, FIXD, 0, 0, SKIP),
];
const OpenLogicalChannel_forwardLogicalChannelParameters: readonly Field[] = [
  f('portNumber', INT, WORD, 0, 0, SKIP | OPT),
  f('dataType', CHOICE, 3, 6, 9, DECODE | EXT, DataType),
  f('multiplexParameters', CHOICE, 2, 3, 5, DECODE | EXT, OpenLogicalChannel_forwardLogicalChannelParameters_multiplexParameters),
  f('forwardLogicalChannelDependency', INT, WORD, 1, 0, SKIP | OPT),
  f('replacementFor', INT, WORD, 1, 0, SKIP | OPT),
];
const OpenLogicalChannel_reverseLogicalChannelParameters_multiplexParameters: readonly Field[] = [
  f('h223LogicalChannelParameters', SEQ, 0, 2, 2, SKIP | EXT, H223LogicalChannelParameters),
  f('v76LogicalChannelParameters', SEQ, 0, 5, 5, SKIP | EXT, V76LogicalChannelParameters),
  f('h2250LogicalChannelParameters', SEQ, 10, 11, 14, DECODE | EXT, H2250LogicalChannelParameters),
];
const OpenLogicalChannel_reverseLogicalChannelParameters: readonly Field[] = [
  f('dataType', CHOICE, 3, 6, 9, SKIP | EXT, DataType),
  f('multiplexParameters', CHOICE, 1, 2, 3, DECODE | EXT | OPT, OpenLogicalChannel_reverseLogicalChannelParameters_multiplexParameters),
  f('reverseLogicalChannelDependency', INT, WORD, 1, 0, SKIP | OPT),
  f('replacementFor', INT, WORD, 1, 0, SKIP | OPT),
];
const NetworkAccessParameters_distribution: readonly Field[] = [f('unicast', NUL, FIXD, 0, 0, SKIP), f('multicast', NUL, FIXD, 0, 0, SKIP)];
const Q2931Address_address: readonly Field[] = [f('internationalNumber', NUMSTR, 4, 1, 0, SKIP), f('nsapAddress', OCTSTR, 5, 1, 0, SKIP)];
const Q2931Address: readonly Field[] = [f('address', CHOICE, 1, 2, 2, SKIP | EXT, Q2931Address_address), f('subaddress', OCTSTR, 5, 1, 0, SKIP | OPT)];
const NetworkAccessParameters_networkAddress: readonly Field[] = [
  f('q2931Address', SEQ, 1, 2, 2, SKIP | EXT, Q2931Address),
  f('e164Address', NUMDGT, 7, 1, 0, SKIP),
  f('localAreaAddress', CHOICE, 1, 2, 2, DECODE | EXT, H245_TransportAddress),
];
const NetworkAccessParameters: readonly Field[] = [
  f('distribution', CHOICE, 1, 2, 2, SKIP | EXT | OPT, NetworkAccessParameters_distribution),
  f('networkAddress', CHOICE, 2, 3, 3, DECODE | EXT, NetworkAccessParameters_networkAddress),
  f('associateConference', BOOL, FIXD, 0, 0, SKIP),
  f('externalReference', OCTSTR, 8, 1, 0, SKIP | OPT),
  f('t120SetupProcedure', CHOICE, 2, 3, 3, SKIP | EXT | OPT),
];
const OpenLogicalChannel: readonly Field[] = [
  f('forwardLogicalChannelNumber', INT, WORD, 1, 0, SKIP),
  f('forwardLogicalChannelParameters', SEQ, 1, 3, 5, DECODE | EXT, OpenLogicalChannel_forwardLogicalChannelParameters),
  f('reverseLogicalChannelParameters', SEQ, 1, 2, 4, DECODE | EXT | OPT, OpenLogicalChannel_reverseLogicalChannelParameters),
  f('separateStack', SEQ, 2, 4, 5, DECODE | EXT | OPT, NetworkAccessParameters),
  f('encryptionSync', SEQ, 2, 4, 4, STOP | EXT | OPT),
];
const Setup_UUIE_fastStart: readonly Field[] = [f('item', SEQ, 1, 3, 5, DECODE | OPEN | EXT, OpenLogicalChannel)];
const Setup_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('h245Address', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('sourceAddress', SEQOF, SEMI, 0, 0, SKIP | OPT, Setup_UUIE_sourceAddress),
  f('sourceInfo', SEQ, 6, 8, 10, SKIP | EXT, EndpointType),
  f('destinationAddress', SEQOF, SEMI, 0, 0, SKIP | OPT, Setup_UUIE_destinationAddress),
  f('destCallSignalAddress', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('destExtraCallInfo', SEQOF, SEMI, 0, 0, SKIP | OPT, Setup_UUIE_destExtraCallInfo),
  f('destExtraCRV', SEQOF, SEMI, 0, 0, SKIP | OPT, Setup_UUIE_destExtraCRV),
  f('activeMC', BOOL, FIXD, 0, 0, SKIP),
  f('conferenceID', OCTSTR, FIXD, 16, 0, SKIP),
  f('conferenceGoal', CHOICE, 2, 3, 5, SKIP | EXT, Setup_UUIE_conferenceGoal),
  f('callServices', SEQ, 0, 8, 8, SKIP | EXT | OPT, QseriesOptions),
  f('callType', CHOICE, 2, 4, 4, SKIP | EXT, CallType),
  f('sourceCallSignalAddress', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('remoteExtensionAddress', CHOICE, 1, 2, 7, SKIP | EXT | OPT),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT),
  f('h245SecurityCapability', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('fastStart', SEQOF, SEMI, 0, 30, DECODE | OPT, Setup_UUIE_fastStart),
  f('mediaWaitForConnect', BOOL, FIXD, 0, 0, SKIP),
  f('canOverlapSend', BOOL, FIXD, 0, 0, SKIP),
  f('endpointIdentifier', BMPSTR, 7, 1, 0, STOP | OPT),
  f('multipleCalls', BOOL, FIXD, 0, 0, SKIP),
  f('maintainConnection', BOOL, FIXD, 0, 0, SKIP),
  f('connectionParameters', SEQ, 0, 3, 3, SKIP | EXT | OPT),
  f('language', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('presentationIndicator', CHOICE, 2, 3, 3, SKIP | EXT | OPT),
  f('screeningIndicator', ENUM, 2, 0, 0, SKIP | EXT | OPT),
  f('serviceControl', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('symmetricOperationRequired', NUL, FIXD, 0, 0, SKIP | OPT),
  f('capacity', SEQ, 2, 2, 2, SKIP | EXT | OPT),
  f('circuitInfo', SEQ, 3, 3, 3, SKIP | EXT | OPT),
  f('desiredProtocols', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('neededFeatures', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('desiredFeatures', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('supportedFeatures', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('parallelH245Control', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('additionalSourceAddresses', SEQOF, SEMI, 0, 0, SKIP | OPT),
];
const CallProceeding_UUIE_fastStart: readonly Field[] = [f('item', SEQ, 1, 3, 5, DECODE | OPEN | EXT, OpenLogicalChannel)];
const CallProceeding_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('destinationInfo', SEQ, 6, 8, 10, SKIP | EXT, EndpointType),
  f('h245Address', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT),
  f('h245SecurityMode', CHOICE, 2, 4, 4, SKIP | EXT | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('fastStart', SEQOF, SEMI, 0, 30, DECODE | OPT, CallProceeding_UUIE_fastStart),
  f('multipleCalls', BOOL, FIXD, 0, 0, SKIP),
  f('maintainConnection', BOOL, FIXD, 0, 0, SKIP),
  f('fastConnectRefused', NUL, FIXD, 0, 0, SKIP | OPT),
  f('featureSet', SEQ, 3, 4, 4, SKIP | EXT | OPT),
];
const Connect_UUIE_fastStart: readonly Field[] = [f('item', SEQ, 1, 3, 5, DECODE | OPEN | EXT, OpenLogicalChannel)];
const Connect_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('h245Address', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('destinationInfo', SEQ, 6, 8, 10, SKIP | EXT, EndpointType),
  f('conferenceID', OCTSTR, FIXD, 16, 0, SKIP),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT),
  f('h245SecurityMode', CHOICE, 2, 4, 4, SKIP | EXT | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('fastStart', SEQOF, SEMI, 0, 30, DECODE | OPT, Connect_UUIE_fastStart),
  f('multipleCalls', BOOL, FIXD, 0, 0, SKIP),
  f('maintainConnection', BOOL, FIXD, 0, 0, SKIP),
  f('language', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('connectedAddress', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('presentationIndicator', CHOICE, 2, 3, 3, SKIP | EXT | OPT),
  f('screeningIndicator', ENUM, 2, 0, 0, SKIP | EXT | OPT),
  f('fastConnectRefused', NUL, FIXD, 0, 0, SKIP | OPT),
  f('serviceControl', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('capacity', SEQ, 2, 2, 2, SKIP | EXT | OPT),
  f('featureSet', SEQ, 3, 4, 4, SKIP | EXT | OPT),
];
const Alerting_UUIE_fastStart: readonly Field[] = [f('item', SEQ, 1, 3, 5, DECODE | OPEN | EXT, OpenLogicalChannel)];
const Alerting_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('destinationInfo', SEQ, 6, 8, 10, SKIP | EXT, EndpointType),
  f('h245Address', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT),
  f('h245SecurityMode', CHOICE, 2, 4, 4, SKIP | EXT | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('fastStart', SEQOF, SEMI, 0, 30, DECODE | OPT, Alerting_UUIE_fastStart),
  f('multipleCalls', BOOL, FIXD, 0, 0, SKIP),
  f('maintainConnection', BOOL, FIXD, 0, 0, SKIP),
  f('alertingAddress', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('presentationIndicator', CHOICE, 2, 3, 3, SKIP | EXT | OPT),
  f('screeningIndicator', ENUM, 2, 0, 0, SKIP | EXT | OPT),
  f('fastConnectRefused', NUL, FIXD, 0, 0, SKIP | OPT),
  f('serviceControl', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('capacity', SEQ, 2, 2, 2, SKIP | EXT | OPT),
  f('featureSet', SEQ, 3, 4, 4, SKIP | EXT | OPT),
];
const Information_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('fastStart', SEQOF, SEMI, 0, 30, SKIP | OPT),
  f('fastConnectRefused', NUL, FIXD, 0, 0, SKIP | OPT),
  f('circuitInfo', SEQ, 3, 3, 3, SKIP | EXT | OPT),
];
const ReleaseCompleteReason: readonly Field[] = [
  f('noBandwidth', NUL, FIXD, 0, 0, SKIP),
  f('gatekeeperResources', NUL, FIXD, 0, 0, SKIP),
  f('unreachableDestination', NUL, FIXD, 0, 0, SKIP),
  f('destinationRejection', NUL, FIXD, 0, 0, SKIP),
  f('invalidRevision', NUL, FIXD, 0, 0, SKIP),
  f('noPermission', NUL, FIXD, 0, 0, SKIP),
  f('unreachableGatekeeper', NUL, FIXD, 0, 0, SKIP),
  f('gatewayResources', NUL, FIXD, 0, 0, SKIP),
  f('badFormatAddress', NUL, FIXD, 0, 0, SKIP),
  f('adaptiveBusy', NUL, FIXD, 0, 0, SKIP),
  f('inConf', NUL, FIXD, 0, 0, SKIP),
  f('undefinedReason', NUL, FIXD, 0, 0, SKIP),
  f('facilityCallDeflection', NUL, FIXD, 0, 0, SKIP),
  f('securityDenied', NUL, FIXD, 0, 0, SKIP),
  f('calledPartyNotRegistered', NUL, FIXD, 0, 0, SKIP),
  f('callerNotRegistered', NUL, FIXD, 0, 0, SKIP),
  f('newConnectionNeeded', NUL, FIXD, 0, 0, SKIP),
  f('nonStandardReason', SEQ, 0, 2, 2, SKIP),
  f('replaceWithConferenceInvite', OCTSTR, FIXD, 16, 0, SKIP),
  f('genericDataReason', NUL, FIXD, 0, 0, SKIP),
  f('neededFeatureNotSupported', NUL, FIXD, 0, 0, SKIP),
  f('tunnelledSignallingRejected', NUL, FIXD, 0, 0, SKIP),
];
const ReleaseComplete_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('reason', CHOICE, 4, 12, 22, SKIP | EXT | OPT, ReleaseCompleteReason),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('busyAddress', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('presentationIndicator', CHOICE, 2, 3, 3, SKIP | EXT | OPT),
  f('screeningIndicator', ENUM, 2, 0, 0, SKIP | EXT | OPT),
  f('capacity', SEQ, 2, 2, 2, SKIP | EXT | OPT),
  f('serviceControl', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('featureSet', SEQ, 3, 4, 4, SKIP | EXT | OPT),
];
const Facility_UUIE_alternativeAliasAddress: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const FacilityReason: readonly Field[] = [
  f('routeCallToGatekeeper', NUL, FIXD, 0, 0, SKIP),
  f('callForwarded', NUL, FIXD, 0, 0, SKIP),
  f('routeCallToMC', NUL, FIXD, 0, 0, SKIP),
  f('undefinedReason', NUL, FIXD, 0, 0, SKIP),
  f('conferenceListChoice', NUL, FIXD, 0, 0, SKIP),
  f('startH245', NUL, FIXD, 0, 0, SKIP),
  f('noH245', NUL, FIXD, 0, 0, SKIP),
  f('newTokens', NUL, FIXD, 0, 0, SKIP),
  f('featureSetUpdate', NUL, FIXD, 0, 0, SKIP),
  f('forwardedElements', NUL, FIXD, 0, 0, SKIP),
  f('transportedInformation', NUL, FIXD, 0, 0, SKIP),
];
const Facility_UUIE_fastStart: readonly Field[] = [f('item', SEQ, 1, 3, 5, DECODE | OPEN | EXT, OpenLogicalChannel)];
const Facility_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('alternativeAddress', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('alternativeAliasAddress', SEQOF, SEMI, 0, 0, SKIP | OPT, Facility_UUIE_alternativeAliasAddress),
  f('conferenceID', OCTSTR, FIXD, 16, 0, SKIP | OPT),
  f('reason', CHOICE, 2, 4, 11, DECODE | EXT, FacilityReason),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT),
  f('destExtraCallInfo', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('remoteExtensionAddress', CHOICE, 1, 2, 7, SKIP | EXT | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('conferences', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('h245Address', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('fastStart', SEQOF, SEMI, 0, 30, DECODE | OPT, Facility_UUIE_fastStart),
  f('multipleCalls', BOOL, FIXD, 0, 0, SKIP),
  f('maintainConnection', BOOL, FIXD, 0, 0, SKIP),
  f('fastConnectRefused', NUL, FIXD, 0, 0, SKIP | OPT),
  f('serviceControl', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('circuitInfo', SEQ, 3, 3, 3, SKIP | EXT | OPT),
  f('featureSet', SEQ, 3, 4, 4, SKIP | EXT | OPT),
  f('destinationInfo', SEQ, 6, 8, 10, SKIP | EXT | OPT),
  f('h245SecurityMode', CHOICE, 2, 4, 4, SKIP | EXT | OPT),
];
const CallIdentifier: readonly Field[] = [f('guid', OCTSTR, FIXD, 16, 0, SKIP)];
const SecurityServiceMode: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, NonStandardParameter),
  f('none', NUL, FIXD, 0, 0, SKIP),
  f('default', NUL, FIXD, 0, 0, SKIP),
];
const SecurityCapabilities: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('encryption', CHOICE, 2, 3, 3, SKIP | EXT, SecurityServiceMode),
  f('authenticaton', CHOICE, 2, 3, 3, SKIP | EXT, SecurityServiceMode),
  f('integrity', CHOICE, 2, 3, 3, SKIP | EXT, SecurityServiceMode),
];
const H245Security: readonly Field[] = [
  f('nonStandard', SEQ, 0, 2, 2, SKIP, NonStandardParameter),
  f('noSecurity', NUL, FIXD, 0, 0, SKIP),
  f('tls', SEQ, 1, 4, 4, SKIP | EXT, SecurityCapabilities),
  f('ipsec', SEQ, 1, 4, 4, SKIP | EXT, SecurityCapabilities),
];
const DHset: readonly Field[] = [f('halfkey', BITSTR, WORD, 0, 0, SKIP), f('modSize', BITSTR, WORD, 0, 0, SKIP), f('generator', BITSTR, WORD, 0, 0, SKIP)];
const TypedCertificate: readonly Field[] = [f('type', OID, BYTE, 0, 0, SKIP), f('certificate', OCTSTR, SEMI, 0, 0, SKIP)];
const H235_NonStandardParameter: readonly Field[] = [f('nonStandardIdentifier', OID, BYTE, 0, 0, SKIP), f('data', OCTSTR, SEMI, 0, 0, SKIP)];
const ClearToken: readonly Field[] = [
  f('tokenOID', OID, BYTE, 0, 0, SKIP),
  f('timeStamp', INT, CONS, 1, 0, SKIP | OPT),
  f('password', BMPSTR, 7, 1, 0, SKIP | OPT),
  f('dhkey', SEQ, 0, 3, 3, SKIP | EXT | OPT, DHset),
  f('challenge', OCTSTR, 7, 8, 0, SKIP | OPT),
  f('random', INT, UNCO, 0, 0, SKIP | OPT),
  f('certificate', SEQ, 0, 2, 2, SKIP | EXT | OPT, TypedCertificate),
  f('generalID', BMPSTR, 7, 1, 0, SKIP | OPT),
  f('nonStandard', SEQ, 0, 2, 2, SKIP | OPT, H235_NonStandardParameter),
  f('eckasdhkey', CHOICE, 1, 2, 2, SKIP | EXT | OPT),
  f('sendersID', BMPSTR, 7, 1, 0, SKIP | OPT),
];
const Progress_UUIE_tokens: readonly Field[] = [f('item', SEQ, 8, 9, 11, SKIP | EXT, ClearToken)];
const Params: readonly Field[] = [
  f('ranInt', INT, UNCO, 0, 0, SKIP | OPT),
  f('iv8', OCTSTR, FIXD, 8, 0, SKIP | OPT),
  f('iv16', OCTSTR, FIXD, 16, 0, SKIP | OPT),
];
const CryptoH323Token_cryptoEPPwdHash_token: readonly Field[] = [
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('hash', BITSTR, SEMI, 0, 0, SKIP),
];
const CryptoH323Token_cryptoEPPwdHash: readonly Field[] = [
  f('alias', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress),
  f('timeStamp', INT, CONS, 1, 0, SKIP),
  f('token', SEQ, 0, 3, 3, SKIP, CryptoH323Token_cryptoEPPwdHash_token),
];
const CryptoH323Token_cryptoGKPwdHash_token: readonly Field[] = [
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('hash', BITSTR, SEMI, 0, 0, SKIP),
];
const CryptoH323Token_cryptoGKPwdHash: readonly Field[] = [
  f('gatekeeperId', BMPSTR, 7, 1, 0, SKIP),
  f('timeStamp', INT, CONS, 1, 0, SKIP),
  f('token', SEQ, 0, 3, 3, SKIP, CryptoH323Token_cryptoGKPwdHash_token),
];
const CryptoH323Token_cryptoEPPwdEncr: readonly Field[] = [
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('encryptedData', OCTSTR, SEMI, 0, 0, SKIP),
];
const CryptoH323Token_cryptoGKPwdEncr: readonly Field[] = [
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('encryptedData', OCTSTR, SEMI, 0, 0, SKIP),
];
const CryptoH323Token_cryptoEPCert: readonly Field[] = [
  f('toBeSigned', SEQ, 8, 9, 11, SKIP | OPEN | EXT),
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('signature', BITSTR, SEMI, 0, 0, SKIP),
];
const CryptoH323Token_cryptoGKCert: readonly Field[] = [
  f('toBeSigned', SEQ, 8, 9, 11, SKIP | OPEN | EXT),
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('signature', BITSTR, SEMI, 0, 0, SKIP),
];
const CryptoH323Token_cryptoFastStart: readonly Field[] = [
  f('toBeSigned', SEQ, 8, 9, 11, SKIP | OPEN | EXT),
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('signature', BITSTR, SEMI, 0, 0, SKIP),
];
const CryptoToken_cryptoEncryptedToken_token: readonly Field[] = [
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('encryptedData', OCTSTR, SEMI, 0, 0, SKIP),
];
const CryptoToken_cryptoEncryptedToken: readonly Field[] = [
  f('tokenOID', OID, BYTE, 0, 0, SKIP),
  f('token', SEQ, 0, 3, 3, SKIP, CryptoToken_cryptoEncryptedToken_token),
];
const CryptoToken_cryptoSignedToken_token: readonly Field[] = [
  f('toBeSigned', SEQ, 8, 9, 11, SKIP | OPEN | EXT),
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('signature', BITSTR, SEMI, 0, 0, SKIP),
];
const CryptoToken_cryptoSignedToken: readonly Field[] = [
  f('tokenOID', OID, BYTE, 0, 0, SKIP),
  f('token', SEQ, 0, 4, 4, SKIP, CryptoToken_cryptoSignedToken_token),
];
const CryptoToken_cryptoHashedToken_token: readonly Field[] = [
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('hash', BITSTR, SEMI, 0, 0, SKIP),
];
const CryptoToken_cryptoHashedToken: readonly Field[] = [
  f('tokenOID', OID, BYTE, 0, 0, SKIP),
  f('hashedVals', SEQ, 8, 9, 11, SKIP | EXT, ClearToken),
  f('token', SEQ, 0, 3, 3, SKIP, CryptoToken_cryptoHashedToken_token),
];
const CryptoToken_cryptoPwdEncr: readonly Field[] = [
  f('algorithmOID', OID, BYTE, 0, 0, SKIP),
  f('paramS', SEQ, 2, 2, 3, SKIP | EXT, Params),
  f('encryptedData', OCTSTR, SEMI, 0, 0, SKIP),
];
const CryptoToken: readonly Field[] = [
  f('cryptoEncryptedToken', SEQ, 0, 2, 2, SKIP, CryptoToken_cryptoEncryptedToken),
  f('cryptoSignedToken', SEQ, 0, 2, 2, SKIP, CryptoToken_cryptoSignedToken),
  f('cryptoHashedToken', SEQ, 0, 3, 3, SKIP, CryptoToken_cryptoHashedToken),
  f('cryptoPwdEncr', SEQ, 0, 3, 3, SKIP, CryptoToken_cryptoPwdEncr),
];
const CryptoH323Token: readonly Field[] = [
  f('cryptoEPPwdHash', SEQ, 0, 3, 3, SKIP, CryptoH323Token_cryptoEPPwdHash),
  f('cryptoGKPwdHash', SEQ, 0, 3, 3, SKIP, CryptoH323Token_cryptoGKPwdHash),
  f('cryptoEPPwdEncr', SEQ, 0, 3, 3, SKIP, CryptoH323Token_cryptoEPPwdEncr),
  f('cryptoGKPwdEncr', SEQ, 0, 3, 3, SKIP, CryptoH323Token_cryptoGKPwdEncr),
  f('cryptoEPCert', SEQ, 0, 4, 4, SKIP, CryptoH323Token_cryptoEPCert),
  f('cryptoGKCert', SEQ, 0, 4, 4, SKIP, CryptoH323Token_cryptoGKCert),
  f('cryptoFastStart', SEQ, 0, 4, 4, SKIP, CryptoH323Token_cryptoFastStart),
  f('nestedcryptoToken', CHOICE, 2, 4, 4, SKIP | EXT, CryptoToken),
];
const Progress_UUIE_cryptoTokens: readonly Field[] = [f('item', CHOICE, 3, 8, 8, SKIP | EXT, CryptoH323Token)];
const Progress_UUIE_fastStart: readonly Field[] = [f('item', SEQ, 1, 3, 5, DECODE | OPEN | EXT, OpenLogicalChannel)];
const Progress_UUIE: readonly Field[] = [
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('destinationInfo', SEQ, 6, 8, 10, SKIP | EXT, EndpointType),
  f('h245Address', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('callIdentifier', SEQ, 0, 1, 1, SKIP | EXT, CallIdentifier),
  f('h245SecurityMode', CHOICE, 2, 4, 4, SKIP | EXT | OPT, H245Security),
  f('tokens', SEQOF, SEMI, 0, 0, SKIP | OPT, Progress_UUIE_tokens),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, SKIP | OPT, Progress_UUIE_cryptoTokens),
  f('fastStart', SEQOF, SEMI, 0, 30, DECODE | OPT, Progress_UUIE_fastStart),
  f('multipleCalls', BOOL, FIXD, 0, 0, SKIP),
  f('maintainConnection', BOOL, FIXD, 0, 0, SKIP),
  f('fastConnectRefused', NUL, FIXD, 0, 0, SKIP | OPT),
];
const H323_UU_PDU_h323_message_body: readonly Field[] = [
  f('setup', SEQ, 7, 13, 39, DECODE | EXT, Setup_UUIE),
  f('callProceeding', SEQ, 1, 3, 12, DECODE | EXT, CallProceeding_UUIE),
  f('connect', SEQ, 1, 4, 19, DECODE | EXT, Connect_UUIE),
  f('alerting', SEQ, 1, 3, 17, DECODE | EXT, Alerting_UUIE),
  f('information', SEQ, 0, 1, 7, SKIP | EXT, Information_UUIE),
  f('releaseComplete', SEQ, 1, 2, 11, SKIP | EXT, ReleaseComplete_UUIE),
  f('facility', SEQ, 3, 5, 21, DECODE | EXT, Facility_UUIE),
  f('progress', SEQ, 5, 8, 11, DECODE | EXT, Progress_UUIE),
  f('empty', NUL, FIXD, 0, 0, SKIP),
  f('status', SEQ, 2, 4, 4, SKIP | EXT),
  f('statusInquiry', SEQ, 2, 4, 4, SKIP | EXT),
  f('setupAcknowledge', SEQ, 2, 4, 4, SKIP | EXT),
  f('notify', SEQ, 2, 4, 4, SKIP | EXT),
];
const RequestMessage: readonly Field[] = [
  f('nonStandard', SEQ, 0, 1, 1, STOP | EXT),
  f('masterSlaveDetermination', SEQ, 0, 2, 2, STOP | EXT),
  f('terminalCapabilitySet', SEQ, 3, 5, 5, STOP | EXT),
  f('openLogicalChannel', SEQ, 1, 3, 5, DECODE | EXT, OpenLogicalChannel),
  f('closeLogicalChannel', SEQ, 0, 2, 3, STOP | EXT),
  f('requestChannelClose', SEQ, 0, 1, 3, STOP | EXT),
  f('multiplexEntrySend', SEQ, 0, 2, 2, STOP | EXT),
  f('requestMultiplexEntry', SEQ, 0, 1, 1, STOP | EXT),
  f('requestMode', SEQ, 0, 2, 2, STOP | EXT),
  f('roundTripDelayRequest', SEQ, 0, 1, 1, STOP | EXT),
  f('maintenanceLoopRequest', SEQ, 0, 1, 1, STOP | EXT),
  f('communicationModeRequest', SEQ, 0, 0, 0, STOP | EXT),
  f('conferenceRequest', CHOICE, 3, 8, 16, STOP | EXT),
  f('multilinkRequest', CHOICE, 3, 5, 5, STOP | EXT),
  f('logicalChannelRateRequest', SEQ, 0, 3, 3, STOP | EXT),
];
const OpenLogicalChannelAck_reverseLogicalChannelParameters_multiplexParameters: readonly Field[] = [
  f('h222LogicalChannelParameters', SEQ, 3, 5, 5, SKIP | EXT, H222LogicalChannelParameters),
  f('h2250LogicalChannelParameters', SEQ, 10, 11, 14, DECODE | EXT, H2250LogicalChannelParameters),
];
const OpenLogicalChannelAck_reverseLogicalChannelParameters: readonly Field[] = [
  f('reverseLogicalChannelNumber', INT, WORD, 1, 0, SKIP),
  f('portNumber', INT, WORD, 0, 0, SKIP | OPT),
  f('multiplexParameters', CHOICE, 0, 1, 2, DECODE | EXT | OPT, OpenLogicalChannelAck_reverseLogicalChannelParameters_multiplexParameters),
  f('replacementFor', INT, WORD, 1, 0, SKIP | OPT),
];
const H2250LogicalChannelAckParameters_nonStandard: readonly Field[] = [f('item', SEQ, 0, 2, 2, SKIP, H245_NonStandardParameter)];
const H2250LogicalChannelAckParameters: readonly Field[] = [
  f('nonStandard', SEQOF, SEMI, 0, 0, SKIP | OPT, H2250LogicalChannelAckParameters_nonStandard),
  f('sessionID', INT, 8, 1, 0, SKIP | OPT),
  f('mediaChannel', CHOICE, 1, 2, 2, DECODE | EXT | OPT, H245_TransportAddress),
  f('mediaControlChannel', CHOICE, 1, 2, 2, DECODE | EXT | OPT, H245_TransportAddress),
  f('dynamicRTPPayloadType', INT, 5, 96, 0, SKIP | OPT),
  f('flowControlToZero', BOOL, FIXD, 0, 0, SKIP),
  f('portNumber', INT, WORD, 0, 0, SKIP | OPT),
];
const OpenLogicalChannelAck_forwardMultiplexAckParameters: readonly Field[] = [
  f('h2250LogicalChannelAckParameters', SEQ, 5, 5, 7, DECODE | EXT, H2250LogicalChannelAckParameters),
];
const OpenLogicalChannelAck: readonly Field[] = [
  f('forwardLogicalChannelNumber', INT, WORD, 1, 0, SKIP),
  f('reverseLogicalChannelParameters', SEQ, 2, 3, 4, DECODE | EXT | OPT, OpenLogicalChannelAck_reverseLogicalChannelParameters),
  f('separateStack', SEQ, 2, 4, 5, DECODE | EXT | OPT, NetworkAccessParameters),
  f('forwardMultiplexAckParameters', CHOICE, 0, 1, 1, DECODE | EXT | OPT, OpenLogicalChannelAck_forwardMultiplexAckParameters),
  f('encryptionSync', SEQ, 2, 4, 4, STOP | EXT | OPT),
];
const ResponseMessage: readonly Field[] = [
  f('nonStandard', SEQ, 0, 1, 1, STOP | EXT),
  f('masterSlaveDeterminationAck', SEQ, 0, 1, 1, STOP | EXT),
  f('masterSlaveDeterminationReject', SEQ, 0, 1, 1, STOP | EXT),
  f('terminalCapabilitySetAck', SEQ, 0, 1, 1, STOP | EXT),
  f('terminalCapabilitySetReject', SEQ, 0, 2, 2, STOP | EXT),
  f('openLogicalChannelAck', SEQ, 1, 2, 5, DECODE | EXT, OpenLogicalChannelAck),
  f('openLogicalChannelReject', SEQ, 0, 2, 2, STOP | EXT),
  f('closeLogicalChannelAck', SEQ, 0, 1, 1, STOP | EXT),
  f('requestChannelCloseAck', SEQ, 0, 1, 1, STOP | EXT),
  f('requestChannelCloseReject', SEQ, 0, 2, 2, STOP | EXT),
  f('multiplexEntrySendAck', SEQ, 0, 2, 2, STOP | EXT),
  f('multiplexEntrySendReject', SEQ, 0, 2, 2, STOP | EXT),
  f('requestMultiplexEntryAck', SEQ, 0, 1, 1, STOP | EXT),
  f('requestMultiplexEntryReject', SEQ, 0, 2, 2, STOP | EXT),
  f('requestModeAck', SEQ, 0, 2, 2, STOP | EXT),
  f('requestModeReject', SEQ, 0, 2, 2, STOP | EXT),
  f('roundTripDelayResponse', SEQ, 0, 1, 1, STOP | EXT),
  f('maintenanceLoopAck', SEQ, 0, 1, 1, STOP | EXT),
  f('maintenanceLoopReject', SEQ, 0, 2, 2, STOP | EXT),
  f('communicationModeResponse', CHOICE, 0, 1, 1, STOP | EXT),
  f('conferenceResponse', CHOICE, 3, 8, 16, STOP | EXT),
  f('multilinkResponse', CHOICE, 3, 5, 5, STOP | EXT),
  f('logicalChannelRateAcknowledge', SEQ, 0, 3, 3, STOP | EXT),
  f('logicalChannelRateReject', SEQ, 1, 4, 4, STOP | EXT),
];
const MultimediaSystemControlMessage: readonly Field[] = [
  f('request', CHOICE, 4, 11, 15, DECODE | EXT, RequestMessage),
  f('response', CHOICE, 5, 19, 24, DECODE | EXT, ResponseMessage),
  f('command', CHOICE, 3, 7, 12, STOP | EXT),
  f('indication', CHOICE, 4, 14, 23, STOP | EXT),
];
const H323_UU_PDU_h245Control: readonly Field[] = [f('item', CHOICE, 2, 4, 4, DECODE | OPEN | EXT, MultimediaSystemControlMessage)];
const H323_UU_PDU: readonly Field[] = [
  f('h323MessageBody', CHOICE, 3, 7, 13, DECODE | EXT, H323_UU_PDU_h323_message_body),
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('h4501SupplementaryService', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('h245Tunneling', BOOL, FIXD, 0, 0, SKIP),
  f('h245Control', SEQOF, SEMI, 0, 4, DECODE | OPT, H323_UU_PDU_h245Control),
  f('nonStandardControl', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('callLinkage', SEQ, 2, 2, 2, STOP | EXT | OPT),
  f('tunnelledSignallingMessage', SEQ, 2, 4, 4, STOP | EXT | OPT),
  f('provisionalRespToH245Tunneling', NUL, FIXD, 0, 0, STOP | OPT),
  f('stimulusControl', SEQ, 3, 3, 3, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const H323_UserInformation: readonly Field[] = [f('h323UuPdu', SEQ, 1, 2, 11, DECODE | EXT, H323_UU_PDU), f('userData', SEQ, 0, 2, 2, STOP | EXT | OPT)];
const GatekeeperRequest: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('rasAddress', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress),
  f('endpointType', SEQ, 6, 8, 10, STOP | EXT),
  f('gatekeeperIdentifier', BMPSTR, 7, 1, 0, STOP | OPT),
  f('callServices', SEQ, 0, 8, 8, STOP | EXT | OPT),
  f('endpointAlias', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('alternateEndpoints', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('authenticationCapability', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('algorithmOIDs', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrity', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('supportsAltGK', NUL, FIXD, 0, 0, STOP | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const GatekeeperConfirm: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('gatekeeperIdentifier', BMPSTR, 7, 1, 0, SKIP | OPT),
  f('rasAddress', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress),
  f('alternateGatekeeper', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('authenticationMode', CHOICE, 3, 7, 8, STOP | EXT | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('algorithmOID', OID, BYTE, 0, 0, STOP | OPT),
  f('integrity', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const RegistrationRequest_callSignalAddress: readonly Field[] = [f('item', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress)];
const RegistrationRequest_rasAddress: readonly Field[] = [f('item', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress)];
const RegistrationRequest_terminalAlias: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const RegistrationRequest: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('discoveryComplete', BOOL, FIXD, 0, 0, SKIP),
  f('callSignalAddress', SEQOF, SEMI, 0, 10, DECODE, RegistrationRequest_callSignalAddress),
  f('rasAddress', SEQOF, SEMI, 0, 10, DECODE, RegistrationRequest_rasAddress),
  f('terminalType', SEQ, 6, 8, 10, SKIP | EXT, EndpointType),
  f('terminalAlias', SEQOF, SEMI, 0, 0, SKIP | OPT, RegistrationRequest_terminalAlias),
  f('gatekeeperIdentifier', BMPSTR, 7, 1, 0, SKIP | OPT),
  f('endpointVendor', SEQ, 2, 3, 3, SKIP | EXT, VendorIdentifier),
  f('alternateEndpoints', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('timeToLive', INT, CONS, 1, 0, DECODE | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('keepAlive', BOOL, FIXD, 0, 0, STOP),
  f('endpointIdentifier', BMPSTR, 7, 1, 0, STOP | OPT),
  f('willSupplyUUIEs', BOOL, FIXD, 0, 0, STOP),
  f('maintainConnection', BOOL, FIXD, 0, 0, STOP),
  f('alternateTransportAddresses', SEQ, 1, 1, 1, STOP | EXT | OPT),
  f('additiveRegistration', NUL, FIXD, 0, 0, STOP | OPT),
  f('terminalAliasPattern', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('supportsAltGK', NUL, FIXD, 0, 0, STOP | OPT),
  f('usageReportingCapability', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('multipleCalls', BOOL, FIXD, 0, 0, STOP | OPT),
  f('supportedH248Packages', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('callCreditCapability', SEQ, 2, 2, 2, STOP | EXT | OPT),
  f('capacityReportingCapability', SEQ, 0, 1, 1, STOP | EXT | OPT),
  f('capacity', SEQ, 2, 2, 2, STOP | EXT | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const RegistrationConfirm_callSignalAddress: readonly Field[] = [f('item', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress)];
const RegistrationConfirm_terminalAlias: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const RegistrationConfirm: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('protocolIdentifier', OID, BYTE, 0, 0, SKIP),
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('callSignalAddress', SEQOF, SEMI, 0, 10, DECODE, RegistrationConfirm_callSignalAddress),
  f('terminalAlias', SEQOF, SEMI, 0, 0, SKIP | OPT, RegistrationConfirm_terminalAlias),
  f('gatekeeperIdentifier', BMPSTR, 7, 1, 0, SKIP | OPT),
  f('endpointIdentifier', BMPSTR, 7, 1, 0, SKIP),
  f('alternateGatekeeper', SEQOF, SEMI, 0, 0, SKIP | OPT),
  f('timeToLive', INT, CONS, 1, 0, DECODE | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('willRespondToIRR', BOOL, FIXD, 0, 0, STOP),
  f('preGrantedARQ', SEQ, 0, 4, 8, STOP | EXT | OPT),
  f('maintainConnection', BOOL, FIXD, 0, 0, STOP),
  f('serviceControl', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('supportsAdditiveRegistration', NUL, FIXD, 0, 0, STOP | OPT),
  f('terminalAliasPattern', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('usageSpec', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('featureServerAlias', CHOICE, 1, 2, 7, STOP | EXT | OPT),
  f('capacityReportingSpec', SEQ, 0, 1, 1, STOP | EXT | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const UnregistrationRequest_callSignalAddress: readonly Field[] = [f('item', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress)];
const UnregistrationRequest: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('callSignalAddress', SEQOF, SEMI, 0, 10, DECODE, UnregistrationRequest_callSignalAddress),
  f('endpointAlias', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('nonStandardData', SEQ, 0, 2, 2, STOP | OPT),
  f('endpointIdentifier', BMPSTR, 7, 1, 0, STOP | OPT),
  f('alternateEndpoints', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('gatekeeperIdentifier', BMPSTR, 7, 1, 0, STOP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('reason', CHOICE, 2, 4, 5, STOP | EXT | OPT),
  f('endpointAliasPattern', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('supportedPrefixes', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('alternateGatekeeper', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const CallModel: readonly Field[] = [f('direct', NUL, FIXD, 0, 0, SKIP), f('gatekeeperRouted', NUL, FIXD, 0, 0, SKIP)];
const AdmissionRequest_destinationInfo: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const AdmissionRequest_destExtraCallInfo: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const AdmissionRequest_srcInfo: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const AdmissionRequest: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('callType', CHOICE, 2, 4, 4, SKIP | EXT, CallType),
  f('callModel', CHOICE, 1, 2, 2, SKIP | EXT | OPT, CallModel),
  f('endpointIdentifier', BMPSTR, 7, 1, 0, SKIP),
  f('destinationInfo', SEQOF, SEMI, 0, 0, SKIP | OPT, AdmissionRequest_destinationInfo),
  f('destCallSignalAddress', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('destExtraCallInfo', SEQOF, SEMI, 0, 0, SKIP | OPT, AdmissionRequest_destExtraCallInfo),
  f('srcInfo', SEQOF, SEMI, 0, 0, SKIP, AdmissionRequest_srcInfo),
  f('srcCallSignalAddress', CHOICE, 3, 7, 7, DECODE | EXT | OPT, TransportAddress),
  f('bandWidth', INT, CONS, 0, 0, STOP),
  f('callReferenceValue', INT, WORD, 0, 0, STOP),
  f('nonStandardData', SEQ, 0, 2, 2, STOP | OPT),
  f('callServices', SEQ, 0, 8, 8, STOP | EXT | OPT),
  f('conferenceID', OCTSTR, FIXD, 16, 0, STOP),
  f('activeMC', BOOL, FIXD, 0, 0, STOP),
  f('answerCall', BOOL, FIXD, 0, 0, STOP),
  f('canMapAlias', BOOL, FIXD, 0, 0, STOP),
  f('callIdentifier', SEQ, 0, 1, 1, STOP | EXT),
  f('srcAlternatives', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('destAlternatives', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('gatekeeperIdentifier', BMPSTR, 7, 1, 0, STOP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('transportQOS', CHOICE, 2, 3, 3, STOP | EXT | OPT),
  f('willSupplyUUIEs', BOOL, FIXD, 0, 0, STOP),
  f('callLinkage', SEQ, 2, 2, 2, STOP | EXT | OPT),
  f('gatewayDataRate', SEQ, 2, 3, 3, STOP | EXT | OPT),
  f('capacity', SEQ, 2, 2, 2, STOP | EXT | OPT),
  f('circuitInfo', SEQ, 3, 3, 3, STOP | EXT | OPT),
  f('desiredProtocols', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('desiredTunnelledProtocol', SEQ, 1, 2, 2, STOP | EXT | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const AdmissionConfirm: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('bandWidth', INT, CONS, 0, 0, SKIP),
  f('callModel', CHOICE, 1, 2, 2, SKIP | EXT, CallModel),
  f('destCallSignalAddress', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress),
  f('irrFrequency', INT, WORD, 1, 0, STOP | OPT),
  f('nonStandardData', SEQ, 0, 2, 2, STOP | OPT),
  f('destinationInfo', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('destExtraCallInfo', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('destinationType', SEQ, 6, 8, 10, STOP | EXT | OPT),
  f('remoteExtensionAddress', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('alternateEndpoints', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('transportQOS', CHOICE, 2, 3, 3, STOP | EXT | OPT),
  f('willRespondToIRR', BOOL, FIXD, 0, 0, STOP),
  f('uuiesRequested', SEQ, 0, 9, 13, STOP | EXT),
  f('language', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('alternateTransportAddresses', SEQ, 1, 1, 1, STOP | EXT | OPT),
  f('useSpecifiedTransport', CHOICE, 1, 2, 2, STOP | EXT | OPT),
  f('circuitInfo', SEQ, 3, 3, 3, STOP | EXT | OPT),
  f('usageSpec', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('supportedProtocols', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('serviceControl', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('multipleCalls', BOOL, FIXD, 0, 0, STOP | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const LocationRequest_destinationInfo: readonly Field[] = [f('item', CHOICE, 1, 2, 7, SKIP | EXT, AliasAddress)];
const LocationRequest: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('endpointIdentifier', BMPSTR, 7, 1, 0, SKIP | OPT),
  f('destinationInfo', SEQOF, SEMI, 0, 0, SKIP, LocationRequest_destinationInfo),
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('replyAddress', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress),
  f('sourceInfo', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('canMapAlias', BOOL, FIXD, 0, 0, STOP),
  f('gatekeeperIdentifier', BMPSTR, 7, 1, 0, STOP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('desiredProtocols', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('desiredTunnelledProtocol', SEQ, 1, 2, 2, STOP | EXT | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('hopCount', INT, 8, 1, 0, STOP | OPT),
  f('circuitInfo', SEQ, 3, 3, 3, STOP | EXT | OPT),
];
const LocationConfirm: readonly Field[] = [
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('callSignalAddress', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress),
  f('rasAddress', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress),
  f('nonStandardData', SEQ, 0, 2, 2, STOP | OPT),
  f('destinationInfo', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('destExtraCallInfo', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('destinationType', SEQ, 6, 8, 10, STOP | EXT | OPT),
  f('remoteExtensionAddress', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('alternateEndpoints', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('alternateTransportAddresses', SEQ, 1, 1, 1, STOP | EXT | OPT),
  f('supportedProtocols', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('multipleCalls', BOOL, FIXD, 0, 0, STOP | OPT),
  f('featureSet', SEQ, 3, 4, 4, STOP | EXT | OPT),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('circuitInfo', SEQ, 3, 3, 3, STOP | EXT | OPT),
  f('serviceControl', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const InfoRequestResponse_callSignalAddress: readonly Field[] = [f('item', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress)];
const InfoRequestResponse: readonly Field[] = [
  f('nonStandardData', SEQ, 0, 2, 2, SKIP | OPT, NonStandardParameter),
  f('requestSeqNum', INT, WORD, 1, 0, SKIP),
  f('endpointType', SEQ, 6, 8, 10, SKIP | EXT, EndpointType),
  f('endpointIdentifier', BMPSTR, 7, 1, 0, SKIP),
  f('rasAddress', CHOICE, 3, 7, 7, DECODE | EXT, TransportAddress),
  f('callSignalAddress', SEQOF, SEMI, 0, 10, DECODE, InfoRequestResponse_callSignalAddress),
  f('endpointAlias', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('perCallInfo', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('tokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('cryptoTokens', SEQOF, SEMI, 0, 0, STOP | OPT),
  f('integrityCheckValue', SEQ, 0, 2, 2, STOP | OPT),
  f('needResponse', BOOL, FIXD, 0, 0, STOP),
  f('capacity', SEQ, 2, 2, 2, STOP | EXT | OPT),
  f('irrStatus', CHOICE, 2, 4, 4, STOP | EXT | OPT),
  f('unsolicited', BOOL, FIXD, 0, 0, STOP),
  f('genericData', SEQOF, SEMI, 0, 0, STOP | OPT),
];
const RasMessage: readonly Field[] = [
  f('gatekeeperRequest', SEQ, 4, 8, 18, DECODE | EXT, GatekeeperRequest),
  f('gatekeeperConfirm', SEQ, 2, 5, 14, DECODE | EXT, GatekeeperConfirm),
  f('gatekeeperReject', SEQ, 2, 5, 11, STOP | EXT),
  f('registrationRequest', SEQ, 3, 10, 31, DECODE | EXT, RegistrationRequest),
  f('registrationConfirm', SEQ, 3, 7, 24, DECODE | EXT, RegistrationConfirm),
  f('registrationReject', SEQ, 2, 5, 11, STOP | EXT),
  f('unregistrationRequest', SEQ, 3, 5, 15, DECODE | EXT, UnregistrationRequest),
  f('unregistrationConfirm', SEQ, 1, 2, 6, STOP | EXT),
  f('unregistrationReject', SEQ, 1, 3, 8, STOP | EXT),
  f('admissionRequest', SEQ, 7, 16, 34, DECODE | EXT, AdmissionRequest),
  f('admissionConfirm', SEQ, 2, 6, 27, DECODE | EXT, AdmissionConfirm),
  f('admissionReject', SEQ, 1, 3, 11, STOP | EXT),
  f('bandwidthRequest', SEQ, 2, 7, 18, STOP | EXT),
  f('bandwidthConfirm', SEQ, 1, 3, 8, STOP | EXT),
  f('bandwidthReject', SEQ, 1, 4, 9, STOP | EXT),
  f('disengageRequest', SEQ, 1, 6, 19, STOP | EXT),
  f('disengageConfirm', SEQ, 1, 2, 9, STOP | EXT),
  f('disengageReject', SEQ, 1, 3, 8, STOP | EXT),
  f('locationRequest', SEQ, 2, 5, 17, DECODE | EXT, LocationRequest),
  f('locationConfirm', SEQ, 1, 4, 19, DECODE | EXT, LocationConfirm),
  f('locationReject', SEQ, 1, 3, 10, STOP | EXT),
  f('infoRequest', SEQ, 2, 4, 15, STOP | EXT),
  f('infoRequestResponse', SEQ, 3, 8, 16, DECODE | EXT, InfoRequestResponse),
  f('nonStandardMessage', SEQ, 0, 2, 7, STOP | EXT),
  f('unknownMessageResponse', SEQ, 0, 1, 5, STOP | EXT),
  f('requestInProgress', SEQ, 4, 6, 6, STOP | EXT),
  f('resourcesAvailableIndicate', SEQ, 4, 9, 11, STOP | EXT),
  f('resourcesAvailableConfirm', SEQ, 4, 6, 7, STOP | EXT),
  f('infoRequestAck', SEQ, 4, 5, 5, STOP | EXT),
  f('infoRequestNak', SEQ, 5, 7, 7, STOP | EXT),
  f('serviceControlIndication', SEQ, 8, 10, 10, STOP | EXT),
  f('serviceControlResponse', SEQ, 7, 8, 8, STOP | EXT),
];

/** The top of a RAS message (UDP 1719). */
export const RAS_MESSAGE = f('rasMessage', CHOICE, 5, 24, 32, DECODE | EXT, RasMessage);
/** The top of the user-user information element of a Q.931 message. */
export const H323_USER_INFORMATION = f('h323UserInformation', SEQ, 1, 2, 2, DECODE | EXT, H323_UserInformation);
/** The top of an H.245 message. */
export const MULTIMEDIA_SYSTEM_CONTROL_MESSAGE = f('multimediaSystemControlMessage', CHOICE, 2, 4, 4, DECODE | EXT, MultimediaSystemControlMessage);
