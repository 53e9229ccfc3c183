/**
 * The UDP tunnel on loopback: frames from the guest leave as datagrams to the peer; datagrams from the peer
 * reach the guest; datagrams from anyone else, runts and oversized ones are dropped, and none of them can
 * disturb the monitor.
 */
import { describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { UdpTunnel } from '../../runtime/monitor/tunnel.js';
import { createWake, WAKE_DELIVERED } from '../../runtime/monitor/wake.js';

function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}
/** Waits (bounded) until the condition holds; the assertions after it say what must have happened. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('UdpTunnel', () => {
  it('carries frames both ways and drops datagrams it must not accept', async () => {
    const peer = await bound();
    const stranger = await bound();
    const probe = await bound();
    const localPort = probe.address().port; // a port known to be free once released
    await new Promise<void>((r) => probe.close(() => r()));
    const { port1, port2 } = new MessageChannel();
    const wake = createWake();
    const tunnel = await UdpTunnel.open({ guest: 'g', device: 'nic', port: port1, wake, handle: 0, mac: new Uint8Array(6) }, localPort, '127.0.0.1', peer.address().port);
    try {
      const got: Buffer[] = [];
      peer.on('message', (m) => got.push(m));
      port2.postMessage(new Uint8Array(60).fill(1));
      await until(() => got.length > 0);
      expect(got.map((m) => m.length)).toEqual([60]);

      stranger.send(Buffer.alloc(64, 3), localPort, '127.0.0.1'); // wrong source
      peer.send(Buffer.alloc(10, 4), localPort, '127.0.0.1'); // shorter than an Ethernet header
      peer.send(Buffer.alloc(1515, 5), localPort, '127.0.0.1'); // larger than MTU + header
      peer.send(Buffer.alloc(64, 2), localPort, '127.0.0.1'); // the one good frame, sent last
      await until(() => Atomics.load(wake, WAKE_DELIVERED) > 0);
      const frames: Uint8Array[] = [];
      for (let m = receiveMessageOnPort(port2); m !== undefined; m = receiveMessageOnPort(port2)) frames.push(m.message as Uint8Array);
      expect(frames.map((f) => [f.length, f[0]])).toEqual([[64, 2]]);
      expect(Atomics.load(wake, WAKE_DELIVERED)).toBe(1);
      expect([tunnel.sent, tunnel.received]).toEqual([1, 1]);
    } finally {
      await tunnel.close();
      port2.close();
      peer.close();
      stranger.close();
    }
  });

  it('a port in use is a typed error naming the device', async () => {
    const busy = await bound();
    const { port1, port2 } = new MessageChannel();
    await expect(UdpTunnel.open({ guest: 'g', device: 'nic', port: port1, wake: createWake(), handle: 0, mac: new Uint8Array(6) }, busy.address().port, '127.0.0.1', 9)).rejects.toThrow(/cannot open UDP port .* for net device "nic" of guest g: EADDRINUSE/);
    busy.close();
    port1.close();
    port2.close();
  });
});
