/**
 * The fate of a packet: what the guest's stack did with it. Every frame the
 * host hands to the guest ends in exactly one fate; packets the guest
 * generates (REJECT replies, TEE's copies) have a fate of their own that
 * names their cause.
 */

export const enum FateKind {
  /** Left the guest on a conet unit after FORWARD and POSTROUTING. */
  Forwarded = 1,
  /** Reached a local socket (after INPUT). */
  Delivered = 2,
  /** A locally generated packet (source = a guest address) left on a unit after OUTPUT and POSTROUTING. */
  Sent = 3,
  /** Dropped by a rule's target (DROP, REJECT, ...). */
  DroppedByRule = 4,
  /** Dropped by a built-in chain's policy. */
  DroppedByPolicy = 5,
  /** Dropped by the stack itself: malformed, TTL expired, no route, hotdrop... */
  DroppedByStack = 6,
  /** A packet netfilter generated (REJECT's reply, TEE's copy) that left on a unit. */
  Generated = 7,
  /** A generated packet that was itself dropped (by a rule, policy or the stack). */
  GeneratedDropped = 8,
  /** Not IPv4 (ARP and others): passed by the conet bridge without filtering. */
  Bridged = 9,
  /** Never reached the guest, or was left unprocessed after a guest oops (fail policy). */
  FailPolicy = 10,
  /**
   * A copy of a packet leaving the capture point (pcapng direction "out")
   * that the firewall did not send itself: its inbound copy is what is
   * replayed, so this one is not (it would be counted twice).
   */
  Outbound = 11,
  /**
   * A copy of a frame that a bridge sent out of a port beyond the frame's
   * own fate: the second and later copies of a flooded frame (broadcast,
   * multicast, unknown unicast; the frame's own fate names the first copy
   * that left), and every copy of a frame iptables does not see (ARP and
   * the like, whose own fate is Bridged). Counted apart, as generated
   * packets are.
   */
  Copy = 12,
}

/** Where a drop happened, for rule and policy drops. */
export interface DropSite {
  readonly table: string;
  readonly chain: string;
  /** 1-based rule number in the chain; 0 for the policy. */
  readonly rule: number;
  /** A site of the ip6tables rule set. */
  readonly ipv6?: boolean;
}

export interface Fate {
  readonly kind: FateKind;
  /** Capture frame number (1-based) of the frame this fate belongs to (or the cause of a generated packet). */
  readonly frameNo: number;
  /** conet unit the packet left on (Forwarded, Sent, Generated), else -1. */
  readonly unit: number;
  /** Drop site for rule and policy drops. */
  readonly site?: DropSite;
  /** Stack drop reason (e.g. `ttl-expired`, `bad-ip-checksum`, `hotdrop`), or the fail policy's. */
  readonly reason?: string;
  /** The frame as it left (Ethernet), for Forwarded, Sent, Generated. */
  readonly frame?: Uint8Array;
}
