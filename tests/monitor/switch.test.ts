/**
 * The in-process Ethernet switch: unicast to the port owning the destination MAC (assigned or learned),
 * broadcast/multicast and unknown destinations flooded to every port but the sender, nothing echoed back.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { EthernetSwitch, type Endpoint } from '../../runtime/monitor/switch.js';
import { createWake, RX_QUEUE_FRAMES, WAKE_CONSUMED, WAKE_DELIVERED, WAKE_GEN } from '../../runtime/monitor/wake.js';

function port(sw: EthernetSwitch, last: number): { ep: Endpoint; guestSide: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const ep: Endpoint = { guest: `g${last}`, device: 'nic', port: port1, wake: createWake(), handle: 3, mac: new Uint8Array([2, 0, 0, 0, 0, last]) };
  sw.attach(ep);
  return { ep, guestSide: port2 };
}
function frame(dst: number[], src: number[]): Uint8Array {
  const f = new Uint8Array(60);
  f.set(dst, 0);
  f.set(src, 6);
  return f;
}
const drain = (p: MessagePort) => {
  let n = 0;
  while (receiveMessageOnPort(p) !== undefined) n++;
  return n;
};

describe('EthernetSwitch', () => {
  it('forwards unicast by MAC and floods broadcast and unknown destinations', () => {
    const sw = new EthernetSwitch('t');
    const [a, b, c] = [port(sw, 1), port(sw, 2), port(sw, 3)];
    sw.forward(a.ep, frame([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]));
    expect([drain(a.guestSide), drain(b.guestSide), drain(c.guestSide)]).toEqual([0, 1, 0]);
    expect(Atomics.load(b.ep.wake, WAKE_DELIVERED + 3)).toBe(1);
    expect(Atomics.load(b.ep.wake, WAKE_GEN)).toBe(1);
    sw.forward(a.ep, frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [2, 0, 0, 0, 0, 1]));
    expect([drain(a.guestSide), drain(b.guestSide), drain(c.guestSide)]).toEqual([0, 1, 1]);
    sw.forward(a.ep, frame([2, 9, 9, 9, 9, 9], [2, 0, 0, 0, 0, 1]));
    expect([drain(a.guestSide), drain(b.guestSide), drain(c.guestSide)]).toEqual([0, 1, 1]);
    for (const p of [a, b, c]) p.guestSide.close();
    for (const p of [a, b, c]) sw.detach(p.ep);
  });

  it('learns a source MAC it did not assign', () => {
    const sw = new EthernetSwitch('t');
    const [a, b] = [port(sw, 1), port(sw, 2)];
    sw.forward(b.ep, frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [2, 7, 7, 7, 7, 7]));
    drain(a.guestSide);
    sw.forward(a.ep, frame([2, 7, 7, 7, 7, 7], [2, 0, 0, 0, 0, 1]));
    expect([drain(a.guestSide), drain(b.guestSide)]).toEqual([0, 1]);
    expect(sw.forwarded).toBe(1);
    for (const p of [a, b]) p.guestSide.close();
    for (const p of [a, b]) sw.detach(p.ep);
  });

  it('drops frames for a NIC whose receive queue is full, and accepts again once the guest reads', () => {
    const sw = new EthernetSwitch('t');
    const [a, b] = [port(sw, 1), port(sw, 2)];
    for (let i = 0; i < RX_QUEUE_FRAMES + 50; i++) sw.forward(a.ep, frame([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]));
    expect(sw.dropped).toBe(50);
    expect(drain(b.guestSide)).toBe(RX_QUEUE_FRAMES);
    Atomics.store(b.ep.wake, WAKE_CONSUMED + 3, RX_QUEUE_FRAMES); // what the guest's net_read records
    sw.forward(a.ep, frame([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]));
    expect(drain(b.guestSide)).toBe(1);
    for (const p of [a, b]) p.guestSide.close();
    for (const p of [a, b]) sw.detach(p.ep);
  });

  it('any frame a guest sends is forwarded to at most the other ports, never echoed, never throwing', () => {
    const sw = new EthernetSwitch('t');
    const ports = [port(sw, 1), port(sw, 2), port(sw, 3)];
    fc.assert(
      fc.property(fc.nat(2), fc.uint8Array({ minLength: 14, maxLength: 1514 }), (from, bytes) => {
        const before = ports.map((p) => Atomics.load(p.ep.wake, WAKE_DELIVERED + 3));
        sw.forward(ports[from]!.ep, bytes);
        const got = ports.map((p, i) => Atomics.load(p.ep.wake, WAKE_DELIVERED + 3) - before[i]!);
        expect(got[from]).toBe(0);
        expect(got.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
        for (const p of ports) {
          drain(p.guestSide);
          Atomics.store(p.ep.wake, WAKE_CONSUMED + 3, Atomics.load(p.ep.wake, WAKE_DELIVERED + 3));
        }
      }),
      { numRuns: 300 },
    );
    for (const p of ports) p.guestSide.close();
    for (const p of ports) sw.detach(p.ep);
  });
});
