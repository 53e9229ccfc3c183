/**
 * Every Solo5 hypercall through the in-thread runner, with good and bad arguments: out-of-bounds pointers and
 * lengths, unaligned block I/O, unknown and unacquired handles, undeclared devices.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOLO5_R_AGAIN, SOLO5_R_EINVAL, SOLO5_R_OK } from '../../runtime/monitor/abi.js';
import { deliver } from '../../runtime/monitor/switch.js';
import { bootProbe, type Probe } from './helpers.js';

const PAGE = 65536;
const MEM_END = 3 * PAGE; // 2 pages declared + the boot page for start_info
let dir: string;
let disk: string;
let p: Probe;

function call(name: string, ...args: unknown[]): unknown {
  const r = p.runner.invoke(`h_${name}`, ...args);
  if (r.ended) throw new Error(`guest ended: ${JSON.stringify(r.ended)}`);
  return r.value;
}
function u8(): Uint8Array {
  return new Uint8Array(p.runner.memory().buffer);
}
function dv(): DataView {
  return new DataView(p.runner.memory().buffer);
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'emon-hc-'));
  disk = path.join(dir, 'disk.img');
  writeFileSync(disk, Buffer.alloc(8 * 512));
  p = await bootProbe(disk);
});
afterEach(() => {
  p.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('console_write', () => {
  it('writes the bytes', () => {
    u8().set(Buffer.from('hi there'), 1000);
    call('console_write', 1000, 8);
    expect(p.console.text()).toBe('hi there');
  });
  it('aborts the guest cleanly on a buffer outside memory', () => {
    for (const [ptr, len] of [[MEM_END - 4, 8], [-1, 1], [0, -1]]) {
      const r = p.runner.invoke('h_console_write', ptr, len);
      expect(r.ended?.reason).toBe('abort');
      expect(r.ended?.status).toBe(255);
      expect(r.ended?.message).toMatch(/probe.*console_write/);
    }
  });
});

describe('memory growth', () => {
  it('hypercalls see pages the guest grew after boot (views refresh on growth)', () => {
    expect(p.runner.invoke('grow', 2).value).toBe(3);
    new Uint8Array(p.runner.memory().buffer).set(Buffer.from('new page'), MEM_END + 100);
    call('console_write', MEM_END + 100, 8);
    expect(p.console.text()).toBe('new page');
    expect(p.runner.invoke('h_console_write', MEM_END + 2 * PAGE - 4, 8).ended?.reason).toBe('abort');
  });
});

describe('clocks', () => {
  it('monotonic never goes back; wall is nanoseconds since the epoch', () => {
    const a = call('clock_monotonic') as bigint;
    const b = call('clock_monotonic') as bigint;
    expect(b >= a).toBe(true);
    const wall = Number(call('clock_wall') as bigint) / 1e6;
    expect(Math.abs(wall - Date.now())).toBeLessThan(5000);
  });
});

describe('yield', () => {
  it('returns an empty ready set once the deadline has passed', () => {
    dv().setUint32(2000, 0xffffffff, true);
    const now = call('clock_monotonic') as bigint;
    call('yield', now + 5_000_000n, 2000);
    expect(call('clock_monotonic') as bigint >= now + 5_000_000n).toBe(true);
    expect(dv().getBigUint64(2000, true)).toBe(0n);
  });
  it('returns early with the handle bit of a NIC that has a frame', () => {
    expect(call('net_acquire', 32, 100, 120)).toBe(SOLO5_R_OK);
    const handle = Number(dv().getBigUint64(100, true));
    deliver({ guest: 'probe', device: 'nic', port: p.peer, wake: p.wake, handle, mac: new Uint8Array(6) }, new Uint8Array(60));
    const now = call('clock_monotonic') as bigint;
    call('yield', now + 60_000_000_000n, 2000);
    expect(dv().getBigUint64(2000, true)).toBe(1n << BigInt(handle));
  });
  it('aborts on a ready-set pointer outside memory', () => {
    expect(p.runner.invoke('h_yield', 0n, MEM_END - 4).ended?.reason).toBe('abort');
  });
});

describe('exit, abort, traps, set_tls_base', () => {
  it('exit(n) ends with status n', () => {
    expect(p.runner.invoke('h_exit', 7).ended).toMatchObject({ status: 7, reason: 'exit' });
  });
  it('abort() ends with 255', () => {
    expect(p.runner.invoke('h_abort').ended).toMatchObject({ status: 255, reason: 'abort' });
  });
  it('a trap names the guest and the trap', () => {
    const r = p.runner.invoke('trap').ended!;
    expect(r.reason).toBe('trap');
    expect(r.status).not.toBe(0);
    expect(r.message).toMatch(/guest probe trapped: unreachable/);
  });
  it('exhausting the call stack is a trap, not a monitor error', () => {
    expect(p.runner.invoke('recurse', 0).ended).toMatchObject({ reason: 'trap', message: 'guest probe trapped: call stack exhausted' });
  });
  it('set_tls_base is OK', () => {
    expect(call('set_tls_base', 4096)).toBe(SOLO5_R_OK);
  });
});

describe('block device', () => {
  function acquire(): bigint {
    expect(call('block_acquire', 16, 100, 120)).toBe(SOLO5_R_OK);
    expect(dv().getBigUint64(120, true)).toBe(4096n);
    expect(dv().getBigUint64(128, true)).toBe(512n);
    return dv().getBigUint64(100, true);
  }

  it('writes durably and reads back whole blocks', () => {
    const h = acquire();
    u8().fill(0xab, 4096, 4096 + 1024);
    expect(call('block_write', h, 1024n, 4096, 1024)).toBe(SOLO5_R_OK);
    const onDisk = readFileSync(disk);
    expect(onDisk.subarray(1024, 2048).every((b) => b === 0xab)).toBe(true);
    expect(onDisk.subarray(0, 1024).every((b) => b === 0)).toBe(true);
    u8().fill(0, 8192, 8192 + 1024);
    expect(call('block_read', h, 1024n, 8192, 1024)).toBe(SOLO5_R_OK);
    expect(u8().subarray(8192, 9216).every((b) => b === 0xab)).toBe(true);
  });

  it('refuses unaligned, empty, out-of-range and out-of-memory I/O with EINVAL', () => {
    const h = acquire();
    for (const op of ['block_read', 'block_write']) {
      expect(call(op, h, 1n, 4096, 512)).toBe(SOLO5_R_EINVAL); // unaligned offset
      expect(call(op, h, 0n, 4096, 100)).toBe(SOLO5_R_EINVAL); // partial block
      expect(call(op, h, 0n, 4096, 0)).toBe(SOLO5_R_EINVAL); // nothing
      expect(call(op, h, 4096n, 4096, 512)).toBe(SOLO5_R_EINVAL); // at the end
      expect(call(op, h, 3584n, 4096, 1024)).toBe(SOLO5_R_EINVAL); // runs past the end
      expect(call(op, h, -512n, 4096, 512)).toBe(SOLO5_R_EINVAL); // huge u64 offset
      expect(call(op, h, 0n, MEM_END - 256, 512)).toBe(SOLO5_R_EINVAL); // buffer leaves memory
      expect(call(op, h, 0n, -512, 512)).toBe(SOLO5_R_EINVAL); // wrapped pointer
    }
    expect(readFileSync(disk).every((b) => b === 0)).toBe(true);
  });

  it('refuses unknown and unacquired handles', () => {
    expect(call('block_read', 0n, 0n, 4096, 512)).toBe(SOLO5_R_EINVAL); // not acquired yet
    const h = acquire();
    expect(call('block_read', h + 1n, 0n, 4096, 512)).toBe(SOLO5_R_EINVAL); // the NIC's handle
    expect(call('block_read', 64n, 0n, 4096, 512)).toBe(SOLO5_R_EINVAL);
    expect(call('block_read', -1n, 0n, 4096, 512)).toBe(SOLO5_R_EINVAL);
  });

  it('acquiring twice, a NIC by name, or with bad pointers is EINVAL; an undeclared name aborts', () => {
    acquire();
    expect(call('block_acquire', 16, 100, 120)).toBe(SOLO5_R_EINVAL);
    expect(call('block_acquire', 32, 100, 120)).toBe(SOLO5_R_EINVAL); // "nic" is NET_BASIC
    expect(call('block_acquire', 16, MEM_END - 4, 120)).toBe(SOLO5_R_EINVAL);
    expect(call('block_acquire', 16, 100, MEM_END - 8)).toBe(SOLO5_R_EINVAL);
    expect(call('block_acquire', MEM_END + 10, 100, 120)).toBe(SOLO5_R_EINVAL);
    const r = p.runner.invoke('h_block_acquire', 48, 100, 120);
    expect(r.ended?.reason).toBe('abort');
    expect(r.ended?.message).toMatch(/"ghost".*declares no such device/);
  });
});

describe('net device', () => {
  function acquire(): bigint {
    expect(call('net_acquire', 32, 100, 120)).toBe(SOLO5_R_OK);
    expect([...u8().subarray(120, 126)]).toEqual([2, 0, 0, 0, 0, 1]);
    expect(dv().getUint32(128, true)).toBe(1500);
    return dv().getBigUint64(100, true);
  }
  const ep = (h: bigint) => ({ guest: 'probe', device: 'nic', port: p.peer, wake: p.wake, handle: Number(h), mac: new Uint8Array(6) });

  it('sends a frame to its link', async () => {
    const h = acquire();
    u8().fill(7, 5000, 5060);
    expect(call('net_write', h, 5000, 60)).toBe(SOLO5_R_OK);
    const frame = await new Promise<Uint8Array>((resolve) => p.peer.once('message', resolve));
    expect(frame.length).toBe(60);
    expect(frame.every((b) => b === 7)).toBe(true);
  });

  it('reads AGAIN with nothing queued, then the delivered frame', () => {
    const h = acquire();
    expect(call('net_read', h, 5000, 1514, 200)).toBe(SOLO5_R_AGAIN);
    deliver(ep(h), new Uint8Array(100).fill(9));
    expect(call('net_read', h, 5000, 1514, 200)).toBe(SOLO5_R_OK);
    expect(dv().getUint32(200, true)).toBe(100);
    expect(u8().subarray(5000, 5100).every((b) => b === 9)).toBe(true);
    expect(call('net_read', h, 5000, 1514, 200)).toBe(SOLO5_R_AGAIN);
  });

  it('refuses oversized, undersized and out-of-memory frames and too-small buffers', () => {
    const h = acquire();
    expect(call('net_write', h, 5000, 1515)).toBe(SOLO5_R_EINVAL);
    expect(call('net_write', h, 5000, 10)).toBe(SOLO5_R_EINVAL);
    expect(call('net_write', h, MEM_END - 30, 60)).toBe(SOLO5_R_EINVAL);
    deliver(ep(h), new Uint8Array(200));
    expect(call('net_read', h, 5000, 100, 200)).toBe(SOLO5_R_EINVAL); // frame larger than the buffer
    expect(call('net_read', h, MEM_END - 10, 100, 200)).toBe(SOLO5_R_EINVAL);
    expect(call('net_read', h, 5000, 1514, MEM_END - 2)).toBe(SOLO5_R_EINVAL);
    expect(call('net_write', h + 5n, 5000, 60)).toBe(SOLO5_R_EINVAL);
    expect(call('net_read', 0n, 5000, 1514, 200)).toBe(SOLO5_R_EINVAL); // the disk's handle
  });

  it('acquiring twice is EINVAL', () => {
    acquire();
    expect(call('net_acquire', 32, 100, 120)).toBe(SOLO5_R_EINVAL);
    expect(call('net_acquire', 16, 100, 120)).toBe(SOLO5_R_EINVAL); // "disk" is BLOCK_BASIC
  });
});
