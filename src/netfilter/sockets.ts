/**
 * The firewall's own sockets and queue listeners, as the machine file
 * declares them (`sockets:`, `queues:`), turned into the two guest services
 * that read them: `socketOf` (the owner match) and `queueVerdict` (the
 * NFQUEUE target).
 *
 * Which packets have a socket, as in the kernel (skb_to_full_sk):
 *
 * - A packet netfilter generated: an ICMP or ICMPv6 error (REJECT's, the
 *   reassembly timeout's) leaves from the kernel's own ICMP socket, a
 *   socket without a file (icmp_send: ip_append_data sets skb->sk; the
 *   per-CPU control socket has a `struct socket` and no file); a TCP reset
 *   (nf_send_reset, nf_send_reset6) and TEE's copy (pskb_copy) have none.
 * - The firewall's own traffic from the captures (its source is one of the
 *   guest's addresses; the kernel drops a received packet with such a
 *   source as a martian, so no forwarded packet has one): owned by the
 *   declared socket of its protocol and source port, else by the one of its
 *   protocol without a port, else by `proto: any`, else by none.
 * - Anything else (received, forwarded): none.
 *
 * A non-first fragment has no port to look up: only a socket declared
 * without one owns it.
 *
 * @example
 * const socketOf = socketLookup(spec, (a) => fib.isLocal(a));
 * socketOf(skb)?.file?.uid; // 33 for {proto: tcp, port: 8080, uid: 33, gid: 33}
 */
import type { MachineSpec, SocketSpec } from '../machine/spec.js';
import type { InetAddr } from '../packet/inet-addr.js';
import { NF_ACCEPT, NF_DROP, type PacketSocket, type Skb } from './types.js';

/** The kernel's ICMP socket: a socket without a file. */
export const KERNEL_SOCKET: PacketSocket = Object.freeze({ file: null });

/** Protocols whose first two transport bytes are the source port: TCP, UDP, DCCP, SCTP, UDP-Lite. */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);

function socketOfSpec(s: SocketSpec): PacketSocket {
  return Object.freeze({
    file: Object.freeze({ uid: s.uid, gid: s.gid, groups: Object.freeze([...(s.groups ?? [])]) }),
    ...(s.cgroup !== undefined ? { cgroup: s.cgroup } : {}),
    ...(s.classid !== undefined ? { classid: s.classid } : {}),
  });
}

/**
 * `socketOf` for the guest services: the socket owning `skb`, or null.
 * `isLocal` says whether an address is one of the guest's own.
 */
export function socketLookup(spec: MachineSpec, isLocal: (addr: InetAddr) => boolean): (skb: Skb) => PacketSocket | null {
  const byPort = new Map<number, PacketSocket>();
  const byProto = new Map<number, PacketSocket>();
  let any: PacketSocket | null = null;
  for (const s of spec.sockets ?? []) {
    const sk = socketOfSpec(s);
    if (s.proto < 0) any = sk;
    else if (s.port === undefined) byProto.set(s.proto, sk);
    else byPort.set((s.proto << 16) | s.port, sk);
  }
  return (skb) => {
    const proto = skb.protocol;
    if (skb.dup) return null;
    if (skb.generated) return proto === 1 || proto === 58 ? KERNEL_SOCKET : null;
    if (!isLocal(skb.src)) return null;
    if (byPort.size && PORT_PROTOCOLS.has(proto) && skb.fragoff === 0 && skb.thoff + 2 <= skb.len) {
      const sport = (skb.data[skb.thoff]! << 8) | skb.data[skb.thoff + 1]!;
      const sk = byPort.get((proto << 16) | sport);
      if (sk) return sk;
    }
    return byProto.get(proto) ?? any;
  };
}

/** `queueVerdict` for the guest services: NF_ACCEPT or NF_DROP for a queue with a listener, null for one without. */
export function queueVerdicts(spec: MachineSpec): (num: number) => number | null {
  const verdicts = new Map<number, number>();
  for (const q of spec.queues ?? []) verdicts.set(q.num, q.verdict === 'accept' ? NF_ACCEPT : NF_DROP);
  return (num) => verdicts.get(num) ?? null;
}
