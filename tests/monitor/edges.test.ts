/**
 * Fixed edge cases for every bounds check of the hypercalls (issue 10, "tests that let bugs through"): a buffer
 * ending exactly at the end of guest memory is served, one byte further is refused (EINVAL, or a clean abort
 * for the calls Solo5 gives no error return), and a zero length at the very end is allowed. Block offsets are
 * checked the same way against the device's capacity. An off-by-one in any check makes one of these fail.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BLOCK_INFO_SIZE, NET_INFO_SIZE, SOLO5_R_AGAIN, SOLO5_R_EINVAL, SOLO5_R_OK } from '../../runtime/monitor/abi.js';
import { GuestMemory } from '../../runtime/monitor/memory.js';
import { deliver } from '../../runtime/monitor/switch.js';
import { bootProbe, type Probe } from './helpers.js';

const END = 3 * 65536; // the probe's 2 pages + the boot page
const SECTORS = 8;
let dir: string;
let p: Probe;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'emon-edge-'));
  writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(SECTORS * 512, 7));
  p = await bootProbe(path.join(dir, 'disk.img'));
});
afterEach(() => {
  p.close();
  rmSync(dir, { recursive: true, force: true });
});

function value(name: string, ...args: unknown[]): unknown {
  const r = p.runner.invoke(`h_${name}`, ...args);
  if (r.ended) throw new Error(`guest ended: ${JSON.stringify(r.ended)}`);
  return r.value;
}
function ended(name: string, ...args: unknown[]): string | undefined {
  return p.runner.invoke(`h_${name}`, ...args).ended?.reason;
}

describe('GuestMemory.inBounds', () => {
  it('exactly at the end, one past, zero length at the end and one past it', () => {
    const m = new GuestMemory();
    m.attach(new WebAssembly.Memory({ initial: 1 }));
    expect(m.inBounds(65536 - 16, 16)).toBe(true);
    expect(m.inBounds(65536 - 16, 17)).toBe(false);
    expect(m.inBounds(65536 - 15, 16)).toBe(false);
    expect(m.inBounds(65536, 0)).toBe(true);
    expect(m.inBounds(65537, 0)).toBe(false);
    expect(m.inBounds(0, 65536)).toBe(true);
    expect(m.inBounds(0, 65537)).toBe(false);
  });
});

describe('console_write and yield at the end of memory', () => {
  it('console_write: the last 5 bytes are written; one byte further aborts; zero bytes at the end is fine', () => {
    new Uint8Array(p.runner.memory().buffer).set(Buffer.from('tail!'), END - 5);
    value('console_write', END - 5, 5);
    expect(p.console.text()).toBe('tail!');
    value('console_write', END, 0);
    expect(ended('console_write', END - 5, 6)).toBe('abort');
    expect(ended('console_write', END - 4, 5)).toBe('abort');
    expect(ended('console_write', END + 1, 0)).toBe('abort');
  });

  it('yield: a ready set in the last 8 bytes is written; one byte further aborts', () => {
    new Uint8Array(p.runner.memory().buffer).fill(0xff, END - 8, END);
    value('yield', 0n, END - 8);
    expect([...new Uint8Array(p.runner.memory().buffer, END - 8, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ended('yield', 0n, END - 7)).toBe('abort');
  });
});

describe('block devices at the edges', () => {
  beforeEach(() => {
    expect(value('block_acquire', 16, END - 8, END - 8 - BLOCK_INFO_SIZE)).toBe(SOLO5_R_OK);
  });

  it('acquire: handle and info ending exactly at the end of memory are written (above); one byte further is EINVAL', async () => {
    const q = await bootProbe(path.join(dir, 'disk.img'));
    try {
      expect(q.runner.invoke('h_block_acquire', 16, END - 7, 64).value).toBe(SOLO5_R_EINVAL);
      expect(q.runner.invoke('h_block_acquire', 16, 64, END - BLOCK_INFO_SIZE + 1).value).toBe(SOLO5_R_EINVAL);
    } finally {
      q.close();
    }
  });

  it('read/write: a buffer ending exactly at the end of memory works; one byte further is EINVAL', () => {
    expect(value('block_read', 0n, 0n, END - 512, 512)).toBe(SOLO5_R_OK);
    expect(new Uint8Array(p.runner.memory().buffer)[END - 1]).toBe(7);
    expect(value('block_write', 0n, 0n, END - 512, 512)).toBe(SOLO5_R_OK);
    expect(value('block_read', 0n, 0n, END - 511, 512)).toBe(SOLO5_R_EINVAL);
    expect(value('block_write', 0n, 0n, END - 511, 512)).toBe(SOLO5_R_EINVAL);
  });

  it('offset: the last sector of the device is readable and writable; one sector further is EINVAL', () => {
    const last = BigInt((SECTORS - 1) * 512);
    expect(value('block_read', 0n, last, 4096, 512)).toBe(SOLO5_R_OK);
    expect(value('block_write', 0n, last, 4096, 512)).toBe(SOLO5_R_OK);
    expect(value('block_read', 0n, last + 512n, 4096, 512)).toBe(SOLO5_R_EINVAL);
    expect(value('block_write', 0n, last + 512n, 4096, 512)).toBe(SOLO5_R_EINVAL);
    expect(value('block_read', 0n, last, 4096, 1024)).toBe(SOLO5_R_EINVAL);
    expect(value('block_read', 0n, 0n, 4096, SECTORS * 512)).toBe(SOLO5_R_OK);
    expect(value('block_read', 0n, 0n, 4096, SECTORS * 512 + 512)).toBe(SOLO5_R_EINVAL);
  });
});

describe('net devices at the edges', () => {
  beforeEach(() => {
    expect(value('net_acquire', 32, END - 8, END - 8 - NET_INFO_SIZE)).toBe(SOLO5_R_OK);
  });

  it('acquire: info ending one byte past the end is EINVAL', async () => {
    const q = await bootProbe(path.join(dir, 'disk.img'));
    try {
      expect(q.runner.invoke('h_net_acquire', 32, 64, END - NET_INFO_SIZE + 1).value).toBe(SOLO5_R_EINVAL);
      expect(q.runner.invoke('h_net_acquire', 32, END - 7, 64).value).toBe(SOLO5_R_EINVAL);
    } finally {
      q.close();
    }
  });

  it('write: a frame ending exactly at the end of memory is sent; one byte further is EINVAL', () => {
    expect(value('net_write', 1n, END - 60, 60)).toBe(SOLO5_R_OK);
    expect(value('net_write', 1n, END - 59, 60)).toBe(SOLO5_R_EINVAL);
  });

  it('read: buffer and length word exactly at the end work; one byte further is EINVAL', async () => {
    const frame = new Uint8Array(60).fill(0xab);
    const ep = { guest: 'probe', device: 'nic', port: p.peer, wake: p.wake, handle: 1, mac: new Uint8Array(6) };
    deliver(ep, frame);
    await new Promise((r) => setTimeout(r, 20));
    expect(value('net_read', 1n, END - 4 - 60, 60, END - 4)).toBe(SOLO5_R_OK);
    expect(new DataView(p.runner.memory().buffer).getUint32(END - 4, true)).toBe(60);
    expect(value('net_read', 1n, END - 59, 60, 64)).toBe(SOLO5_R_EINVAL);
    expect(value('net_read', 1n, 64, 60, END - 3)).toBe(SOLO5_R_EINVAL);
    expect(value('net_read', 1n, END, 0, END - 4)).toBe(SOLO5_R_AGAIN);
  });
});
