/**
 * The in-process Ethernet switch joining the NICs of guests run by one `emon run` (what a host bridge does for
 * Solo5's tap devices): frames are forwarded by destination MAC (learned from source addresses, seeded with
 * the MACs emon assigned), broadcast, multicast and unknown destinations are flooded to every other port.
 * Runs on the supervisor's main thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { queueFull, signalDelivered, signalTaken, txCounts } from './wake.js';

/** The supervisor's end of one guest NIC. */
export interface Endpoint {
  readonly guest: string;
  readonly device: string;
  /** Main-thread end of the NIC's channel. */
  readonly port: MessagePort;
  readonly wake: Int32Array;
  readonly handle: number;
  readonly mac: Uint8Array;
}

/** Posts one frame to a guest NIC and wakes the guest; false (frame dropped) when its receive queue is full. */
export function deliver(to: Endpoint, frame: Uint8Array): boolean {
  if (queueFull(to.wake, to.handle)) return false;
  to.port.postMessage(frame);
  signalDelivered(to.wake, to.handle);
  return true;
}

function macKey(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = at; i < at + 6; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}

export class EthernetSwitch {
  private readonly ports: Endpoint[] = [];
  private readonly table = new Map<string, Endpoint>();
  /** Frames forwarded and flooded, for tests and the verbose log. */
  forwarded = 0;
  flooded = 0;
  /** Frames dropped because the receiving NIC's queue was full. */
  dropped = 0;

  constructor(readonly name: string) {}

  attach(ep: Endpoint): void {
    this.ports.push(ep);
    this.table.set(macKey(ep.mac, 0), ep);
    ep.port.on('message', (frame: unknown) => {
      signalTaken(ep.wake, ep.handle);
      if (frame instanceof Uint8Array && frame.length >= 14) this.forward(ep, frame);
    });
  }

  detach(ep: Endpoint): void {
    const i = this.ports.indexOf(ep);
    if (i >= 0) this.ports.splice(i, 1);
    for (const [k, v] of this.table) if (v === ep) this.table.delete(k);
    ep.port.close();
  }

  forward(from: Endpoint, frame: Uint8Array): void {
    this.table.set(macKey(frame, 6), from);
    const groupBit = (frame[0]! & 1) !== 0;
    const to = groupBit ? undefined : this.table.get(macKey(frame, 0));
    if (to !== undefined) {
      if (to !== from) {
        if (deliver(to, frame)) this.forwarded++;
        else this.dropped++;
      }
      return;
    }
    this.flooded++;
    for (const p of this.ports) if (p !== from && !deliver(p, frame)) this.dropped++;
  }
}

/** What one NIC sent and dropped on transmit, for `-v` and the trace (read when its guest has ended). */
export function txReport(ep: Endpoint): { line: string; sent: number; dropped: number } {
  const { sent, dropped } = txCounts(ep.wake, ep.handle);
  return { line: `guest ${ep.guest}: net "${ep.device}": ${sent} frames sent, ${dropped} dropped (transmit queue full)`, sent, dropped };
}
