/**
 * The supervisor's side of NICs that reach the host's own network: TAP interfaces (./tun.ts; the guest's
 * thread then does the I/O, see ./devices/tap-nic.ts) and passt user-mode links (./passt.ts). Holds every
 * descriptor and passt process it opened for one `emon run`, reports their counters, and releases them all
 * when the guests end, whatever way they end.
 */
import type { NetLink } from './device.js';
import { createTapStats, TAP_STAT_GONE, TAP_STAT_RX, TAP_STAT_RX_OVERSIZE, TAP_STAT_TX, TAP_STAT_TX_DROPPED } from './devices/tap-nic.js';
import type { NetSpec } from './netspec.js';
import { PasstLink, USER_NET } from './passt.js';
import type { Endpoint } from './switch.js';
import { openTap, tunAddon } from './tun.js';

interface OpenTap {
  readonly guest: string;
  readonly device: string;
  readonly ifname: string;
  readonly fd: number;
  readonly stats: Int32Array;
}

export class HostNets {
  private readonly taps: OpenTap[] = [];
  private readonly passts: { readonly ep: Endpoint; readonly link: PasstLink }[] = [];

  constructor(private readonly log: (line: string) => void) {}

  static describe(spec: NetSpec): string {
    if (spec.kind === 'tap') return `TAP ${spec.ifname}`;
    if (spec.kind === 'user') {
      const fwd = spec.forwards.map((f) => ` ${f.proto} ${f.hostAddr || '*'}:${f.hostPort}->${f.guestPort}`).join(',');
      return `user-mode network (passt; guest ${USER_NET.guest}/${USER_NET.prefix}, gateway ${USER_NET.gateway})${fwd}`;
    }
    return spec.kind;
  }

  /** Attaches one NIC; returns the link the guest's worker gets. */
  async attach(ep: Endpoint, spec: NetSpec, link: NetLink): Promise<NetLink> {
    if (spec.kind === 'tap') {
      const fd = openTap(ep.guest, ep.device, spec.ifname);
      const stats = createTapStats();
      this.taps.push({ guest: ep.guest, device: ep.device, ifname: spec.ifname, fd, stats });
      return { ...link, tap: { fd, ifname: spec.ifname, stats } };
    }
    if (spec.kind === 'user') {
      this.passts.push({ ep, link: await PasstLink.open(ep, spec.forwards, this.log) });
      return link;
    }
    throw new Error(`HostNets.attach: not a host network: ${spec.kind}`);
  }

  /** Counters: always the drops and losses, everything with -v. */
  report(verbose: boolean): void {
    for (const t of this.taps) {
      const s = t.stats;
      const oversize = s[TAP_STAT_RX_OVERSIZE]!;
      const txDropped = s[TAP_STAT_TX_DROPPED]!;
      if (verbose) this.log(`emon: ${t.guest}: net "${t.device}" TAP ${t.ifname}: ${s[TAP_STAT_RX]} frames received, ${s[TAP_STAT_TX]} sent`);
      if (oversize > 0) this.log(`emon: ${t.guest}: net "${t.device}" TAP ${t.ifname}: dropped ${oversize} frames from the host longer than MTU 1500 (set the TAP's mtu to 1500)`);
      if (txDropped > 0) this.log(`emon: ${t.guest}: net "${t.device}" TAP ${t.ifname}: the kernel refused ${txDropped} frames from the guest (interface down or its queue full); they were dropped`);
      if (s[TAP_STAT_GONE] !== 0) this.log(`emon: ${t.guest}: net "${t.device}": TAP ${t.ifname} went away while the guest ran; the NIC was down from then on`);
    }
    for (const { ep, link } of this.passts) {
      if (verbose || link.dropped > 0 || link.restarts > 0) this.log(`emon: ${ep.guest}: net "${ep.device}" passt: ${link.sent} frames sent, ${link.received} received, ${link.dropped} dropped${link.restarts > 0 ? `; passt restarted ${link.restarts} times` : ''}`);
    }
  }

  close(): void {
    for (const t of this.taps.splice(0)) tunAddon().close(t.fd);
    for (const p of this.passts.splice(0)) p.link.close();
  }
}
