/**
 * The guest side of a NIC attached to a host TAP interface: the guest's own worker thread reads and writes the
 * TAP descriptor, straight between the TAP and guest memory, as Solo5's hvt/spt tenders do in
 * tenders/hvt/hvt_module_net.c (read/write on the tap fd, poll in yield). No thread hop and no message per
 * frame, which is what makes `ping -f` against a guest as fast as against a native tender.
 *
 * What the host may do wrong is dropped and counted in the link's stats, never an exception: a frame larger
 * than MTU + header (a TAP given a bigger MTU), a write the kernel refuses while the interface is down or its
 * queue full. An interface deleted under a running guest takes its NIC down for good (reads say AGAIN, writes
 * EUNSPEC) and the guest goes on.
 */
import { ETHERNET_HEADER, NET_MTU, SOLO5_R_AGAIN, SOLO5_R_EINVAL, SOLO5_R_EUNSPEC, SOLO5_R_OK } from '../abi.js';
import type { GuestMemory } from '../memory.js';
import { constants as osc } from 'node:os';
import { tunAddon, type TunAddon } from '../tun.js';
import { WAKE_GEN } from '../wake.js';

/** Indices into a TAP link's stats (an Int32Array over a SharedArrayBuffer the supervisor reads at the end). */
export const TAP_STAT_RX = 0;
export const TAP_STAT_TX = 1;
/** Frames from the host longer than MTU + header, read and dropped. */
export const TAP_STAT_RX_OVERSIZE = 2;
/** Frames the guest wrote that the kernel refused (interface down, queue full), dropped. */
export const TAP_STAT_TX_DROPPED = 3;
/** 1 once the interface went away under the guest. */
export const TAP_STAT_GONE = 4;
export const TAP_STATS = 5;

const MAX_FRAME = NET_MTU + ETHERNET_HEADER;
const { EAGAIN, EINTR } = osc.errno;
/** Linux's EBADFD ("file descriptor in bad state"), which Node's errno table lacks: a TAP whose device is gone. */
const EBADFD = 77;

export function createTapStats(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(TAP_STATS * 4));
}

export class TapNics {
  private readonly tun: TunAddon;
  /** Descriptors in poll order; -1 for a NIC that is not acquired yet or is gone (poll skips it). */
  private readonly pollFds: Int32Array;
  private readonly fds: number[];
  private readonly handles: number[];
  private readonly stats: Int32Array[];
  /** With NICs on MessagePorts too, poll in short slices so their wake-ups are seen within 1 ms. */
  private readonly sliceMs: number;

  constructor(
    nics: readonly { readonly handle: number; readonly fd: number; readonly stats: Int32Array }[],
    private readonly wake: Int32Array,
    alsoPortNics: boolean,
  ) {
    this.tun = tunAddon();
    this.fds = nics.map((n) => n.fd);
    this.handles = nics.map((n) => n.handle);
    this.stats = nics.map((n) => n.stats);
    this.pollFds = new Int32Array(nics.length).fill(-1);
    this.sliceMs = alsoPortNics ? 1 : 50;
  }

  /** Index of handle h among the TAP NICs, or -1. */
  indexOf(handle: number): number {
    return this.handles.indexOf(handle);
  }

  acquire(i: number): void {
    if (Atomics.load(this.stats[i]!, TAP_STAT_GONE) === 0) this.pollFds[i] = this.fds[i]!;
  }

  reset(): void {
    this.pollFds.fill(-1);
  }

  write(i: number, mem: GuestMemory, buf: number, size: number): number {
    if (this.pollFds[i] === -1 && Atomics.load(this.stats[i]!, TAP_STAT_GONE) !== 0) return SOLO5_R_EUNSPEC;
    const n = this.tun.write(this.fds[i]!, mem.u8, buf, size);
    if (n === size) {
      this.stats[i]![TAP_STAT_TX]!++;
      return SOLO5_R_OK;
    }
    if (n === -EBADFD) {
      this.gone(i);
      return SOLO5_R_EUNSPEC;
    }
    // Down, queue full, short write: the frame is lost on the wire, as a NIC's would be.
    Atomics.add(this.stats[i]!, TAP_STAT_TX_DROPPED, 1);
    return SOLO5_R_OK;
  }

  read(i: number, mem: GuestMemory, buf: number, size: number, readOut: number): number {
    if (this.pollFds[i] === -1) return SOLO5_R_AGAIN;
    for (;;) {
      const n = this.tun.read(this.fds[i]!, mem.u8, buf, size);
      if (n < 0) {
        if (n === -EAGAIN || n === -EINTR) return SOLO5_R_AGAIN;
        this.gone(i);
        return SOLO5_R_AGAIN;
      }
      if (n > MAX_FRAME || n < ETHERNET_HEADER) {
        Atomics.add(this.stats[i]!, TAP_STAT_RX_OVERSIZE, 1);
        continue;
      }
      if (n > size) return SOLO5_R_EINVAL;
      this.stats[i]![TAP_STAT_RX]!++;
      mem.dv.setUint32(readOut, n, true);
      return SOLO5_R_OK;
    }
  }

  ready(out: Uint32Array): void {
    const mask = this.tun.poll(this.pollFds, 0);
    if (mask > 0) this.setBits(mask, out);
  }

  /** yield's sleep: poll the TAPs in slices, returning early when the wake word moves (stop, port frames). */
  wait(gen: number, ms: number): void {
    const until = performance.now() + ms;
    for (;;) {
      const left = until - performance.now();
      if (left <= 0) return;
      const mask = this.tun.poll(this.pollFds, Math.ceil(Math.min(left, this.sliceMs)));
      if (mask !== 0 || Atomics.load(this.wake, WAKE_GEN) !== gen) return;
    }
  }

  private setBits(mask: number, out: Uint32Array): void {
    for (let i = 0; i < this.handles.length; i++) {
      if ((mask & (1 << i)) !== 0) {
        const h = this.handles[i]!;
        out[h >>> 5] |= 1 << (h & 31);
      }
    }
  }

  private gone(i: number): void {
    this.pollFds[i] = -1;
    Atomics.store(this.stats[i]!, TAP_STAT_GONE, 1);
  }
}
