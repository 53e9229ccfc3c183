/**
 * net_write has backpressure (issue 10, defect 3): a guest sending full-size frames as fast as it can, on a
 * switch or over the UDP tunnel, keeps the monitor's memory flat (peak RSS of a long flood close to a short
 * one's) because at most TX_QUEUE_FRAMES frames per NIC wait for the supervisor; the rest are dropped and
 * counted like a NIC's, and the counts appear with -v and in the trace.
 */
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emonMeasured, hostileGuest } from '../fixtures/hostile.js';
import { runGuests } from '../../runtime/monitor/supervisor.js';

/** Sends `frames` broadcast frames of `size` bytes on "service", then exits 0 (1 if a write is refused). */
const flooder = (frames: number, size = 1514): string => `(module
  (import "solo5" "net_acquire" (func $acquire (param i32 i32 i32) (result i32)))
  (import "solo5" "net_write" (func $write (param i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "service\\00")
  (func (export "solo5_app_main") (param i32) (result i32) (local $i i32)
    (if (call $acquire (i32.const 16) (i32.const 64) (i32.const 80)) (then (return (i32.const 2))))
    (memory.fill (i32.const 1024) (i32.const 0xff) (i32.const 6))
    (loop $next
      (if (call $write (i64.load (i32.const 64)) (i32.const 1024) (i32.const ${size})) (then (return (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const ${frames}))))
    (i32.const 0)))`;

const manifest = { devices: [{ name: 'service', type: 'NET_BASIC' }] };
const SHORT = 5_000;
const LONG = 400_000;

describe('net_write flood', () => {
  for (const [kind, net] of [
    ['switch', 'switch:sw0'],
    ['UDP tunnel', 'udp:39411:127.0.0.1:39412'],
  ] as const) {
    it(`${LONG} frames on a ${kind}: RSS stays flat, drops are counted under -v and in the trace`, async () => {
      const short = await hostileGuest('flood-short', flooder(SHORT), manifest);
      const long = await hostileGuest('flood-long', flooder(LONG), manifest);
      const trace = path.join(mkdtempSync(path.join(tmpdir(), 'emon-flood-')), 'trace.json');
      const a = await emonMeasured(['run', `--net:service=${net}`, short]);
      const b = await emonMeasured(['run', '-v', `--net:service=${net}`, long], 120000);
      expect(a.status, a.stderr).toBe(0);
      expect(b.status, b.stderr).toBe(0);
      // Unbounded, the queue held every frame not yet forwarded: 1.28 GB after 900k frames on a switch, 448 MB
      // after 300k over the tunnel (issue 10; here +40 and +370 MiB for 300k). Bounded, the peak does not depend
      // on the frame count (measured +4 to +8 MiB).
      console.log(`net flood (${kind}): peak RSS ${a.peakMiB.toFixed(0)} MiB after ${SHORT} frames, ${b.peakMiB.toFixed(0)} MiB after ${LONG}`);
      expect(b.peakMiB - a.peakMiB, `peak RSS ${a.peakMiB.toFixed(0)} -> ${b.peakMiB.toFixed(0)} MiB`).toBeLessThan(30);
      const m = /net "service": (\d+) frames sent, (\d+) dropped \(transmit queue full\)/.exec(b.stderr);
      expect(m, b.stderr).not.toBeNull();
      expect(Number(m![1]) + Number(m![2])).toBe(LONG);
      expect(Number(m![2]), 'a flood this long outruns the supervisor').toBeGreaterThan(0);
      // The trace holds one event per hypercall, so it is checked on a shorter flood of its own.
      const c = await emonMeasured(['run', '-v', `--trace=${trace}`, `--net:service=${net}`, short]);
      const n = /net "service": (\d+) frames sent, (\d+) dropped/.exec(c.stderr);
      expect(Number(n![1]) + Number(n![2])).toBe(SHORT);
      const events = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { name: string; args?: Record<string, number> }[] };
      const tx = events.traceEvents.find((e) => e.name === 'net service transmit');
      expect(tx?.args).toMatchObject({ sent: Number(n![1]), dropped: Number(n![2]) });
    }, 180000);
  }

  it('a frame written just before the guest ends still leaves through the UDP tunnel (net_write put it on the wire)', async () => {
    // A guest that writes one frame and returns at once. Before the supervisor drained the NIC's port at exit, the
    // frame was often still queued on the port when the tunnel closed it (net-ping's "quit" never reached net-pong
    // in CI). It is a race, so it is run many times in-process.
    const guest = await hostileGuest('last-frame', flooder(1, 60), manifest);
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    let got = 0;
    peer.on('message', (m) => {
      if (m.length === 60) got++;
    });
    const ROUNDS = 25;
    try {
      const port = peer.address().port;
      for (let round = 0; round < ROUNDS; round++) {
        const [r] = await runGuests([{ file: guest, memMiB: 16, attachments: new Map([['net', new Map([['service', `udp:${port + 1}:127.0.0.1:${port}`]])]]), macs: new Map(), cmdline: '' }], {
          options: {},
          console: 'null',
          log: () => {},
        });
        expect(r!.status).toBe(0);
      }
      for (let i = 0; i < 100 && got < ROUNDS; i++) await new Promise((res) => setTimeout(res, 20));
      expect(got, `frames that reached the peer in ${ROUNDS} runs`).toBe(ROUNDS);
    } finally {
      peer.close();
    }
  }, 120000);
});
