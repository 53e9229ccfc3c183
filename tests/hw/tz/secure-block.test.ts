/**
 * A block device assigned to the secure world (`--secure:NAME=block:PATH`, runtime/hw/tz/secure-block.ts): a TA
 * reads and writes its blocks through TEE_SecureBlockInfo/Read/Write (the hello-world TA's "disk" commands),
 * with Solo5's whole-block rules as GP codes; the normal world's block_acquire/read/write on it are refused with
 * SOLO5_R_EINVAL before the block layer sees them and traced as `secure_device_denied`; bad options are
 * E_ATTACH errors naming the option.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { teecExtension } from '../../../runtime/enclave/teec.js';
import { isEmonError } from '../../../runtime/errors.js';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { openSecureBlock } from '../../../runtime/hw/tz/secure-block.js';
import { SOLO5_R_EINVAL } from '../../../runtime/monitor/abi.js';
import type { GuestHost } from '../../../runtime/monitor/extension.js';
import type { TraceEvent } from '../../../runtime/trace/sink.js';
import { emon, guests } from '../../cli/helpers.js';
import { HELLO, NormalWorld, secureWorld, taDir, tempDir } from './world.js';

const CMD_BLOCK_INFO = 11, CMD_BLOCK_READ = 12, CMD_BLOCK_WRITE = 13;
const { paramTypes: T, PARAM_VALUE_INPUT: VI, PARAM_VALUE_OUTPUT: VO, PARAM_MEMREF_INPUT: MI, PARAM_MEMREF_OUTPUT: MO } = gp;

function image(bytes: number): string {
  const file = path.join(tempDir(), 'disk.img');
  const b = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 7) & 0xff;
  writeFileSync(file, b);
  return file;
}

function attachError(name: string, value: string): string {
  try {
    openSecureBlock(name, value).close();
  } catch (e) {
    expect(isEmonError(e, 'E_ATTACH'), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`--secure:${name}=${value} was accepted`);
}

describe('secure block device: the TA side', () => {
  it('a TA reads its info and blocks, writes blocks that reach the image, and gets GP codes for bad I/O', () => {
    const file = image(8 * 512);
    const disk = openSecureBlock('disk', `block:${file}`);
    const nw = new NormalWorld();
    const w = secureWorld(nw, { blocks: new Map([['disk', disk]]) });
    try {
      expect(gp.resultName(w.openSession(HELLO, gp.LOGIN_PUBLIC, nw.u8(), nw.dv(), 0)), w.lastError).toBe('TEE_SUCCESS');
      const s = w.lastSession;
      expect(w.invoke(s, CMD_BLOCK_INFO, nw.u8(), nw.dv(), nw.op(T(VO), [null]))).toBe(gp.TEE_SUCCESS);
      expect(nw.param(0)).toEqual([4096, 512]);

      // Read block 2: the image's bytes.
      expect(w.invoke(s, CMD_BLOCK_READ, nw.u8(), nw.dv(), nw.op(T(VI, MO), [{ value: [1024, 0] }, { buf: 8192, size: 512 }]))).toBe(gp.TEE_SUCCESS);
      expect([...nw.u8().subarray(8192, 8192 + 512)]).toEqual([...readFileSync(file).subarray(1024, 1536)]);

      // Write blocks 5 and 6 from the normal world's buffer: the image changes there and nowhere else.
      const before = readFileSync(file);
      nw.u8().fill(0xa5, 16384, 16384 + 1024);
      expect(w.invoke(s, CMD_BLOCK_WRITE, nw.u8(), nw.dv(), nw.op(T(VI, MI), [{ value: [2560, 0] }, { buf: 16384, size: 1024 }]))).toBe(gp.TEE_SUCCESS);
      const after = readFileSync(file);
      expect(after.subarray(2560, 3584).every((b) => b === 0xa5)).toBe(true);
      expect(after.subarray(0, 2560)).toEqual(before.subarray(0, 2560));
      expect(after.subarray(3584)).toEqual(before.subarray(3584));

      // Unaligned offset, partial block, past the end: TEE_ERROR_BAD_PARAMETERS from the TA; the image is unchanged.
      for (const [off, size] of [[1, 512], [0, 100], [4096, 512], [3584, 1024]] as const) {
        expect(gp.resultName(w.invoke(s, CMD_BLOCK_WRITE, nw.u8(), nw.dv(), nw.op(T(VI, MI), [{ value: [off, 0] }, { buf: 16384, size }]))), `${off}+${size}`).toBe('TEE_ERROR_BAD_PARAMETERS');
        expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
      }
      expect(readFileSync(file)).toEqual(after);
    } finally {
      w.shutdown();
      disk.close();
    }
  });

  it('without a block device assigned, the TA gets TEE_ERROR_ITEM_NOT_FOUND', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    expect(w.openSession(HELLO, gp.LOGIN_PUBLIC, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
    expect(gp.resultName(w.invoke(w.lastSession, CMD_BLOCK_INFO, nw.u8(), nw.dv(), nw.op(T(VO), [null])))).toBe('TEE_ERROR_ITEM_NOT_FOUND');
    expect(gp.resultName(w.invoke(w.lastSession, CMD_BLOCK_READ, nw.u8(), nw.dv(), nw.op(T(VI, MO), [{ value: [0, 0] }, { buf: 8192, size: 512 }])))).toBe('TEE_ERROR_ITEM_NOT_FOUND');
    w.shutdown();
  });

  it('bad --secure:NAME=block:... values are E_ATTACH errors naming the option', () => {
    expect(attachError('disk', 'block:')).toMatch(/--secure:disk=block:: no image path/);
    expect(attachError('disk', `block:${path.join(tempDir(), 'missing.img')}`)).toMatch(/cannot open the image: ENOENT/);
    expect(attachError('disk', `block:${image(700)}`)).toMatch(/700 bytes, not a whole non-zero number of 512-byte blocks/);
    expect(attachError('disk', `block:${image(4096)},sector=1000`)).toMatch(/"sector=1000" is not an option/);
    expect(openSecureBlock('disk', `block:${image(8192)},sector=4096`).blockSize).toBe(4096);
  });
});

describe('secure block device: the normal world is refused', () => {
  it('block_acquire by name and block_read/write by handle never reach the block layer, return EINVAL and are traced', async () => {
    const file = image(4096);
    const memory = new WebAssembly.Memory({ initial: 1 });
    new TextEncoder().encodeInto('storage\0other\0', new Uint8Array(memory.buffer, 100));
    const events: TraceEvent[] = [];
    const logs: string[] = [];
    const host: GuestHost = {
      name: 'blk',
      manifest: { devices: [{ name: 'other', type: 'BLOCK_BASIC' }, { name: 'storage', type: 'BLOCK_BASIC' }] },
      attachments: new Map([['storage', `block:${file}`]]),
      options: { backend: 'tz', taDir, stateDir: tempDir() },
      trace: { record: (e) => void events.push(e) },
      memory: () => memory,
      exports: () => ({}),
      log: (m) => void logs.push(m),
      abort: (m) => {
        throw new Error(m);
      },
    };
    await teecExtension.imports(host);
    try {
      const reached: string[] = [];
      const inner = {
        block_acquire: () => (reached.push('acquire'), 0),
        block_read: (h: bigint) => (reached.push(`read ${h}`), 0),
        block_write: (h: bigint) => (reached.push(`write ${h}`), 0),
        console_write: () => 0,
      };
      const t = teecExtension.wrapHypercalls!(host, inner) as unknown as Record<string, (...a: unknown[]) => number>;
      expect(t['block_acquire']!(100, 0, 16)).toBe(SOLO5_R_EINVAL);
      expect(t['block_read']!(1n, 0n, 0, 512)).toBe(SOLO5_R_EINVAL);
      expect(t['block_write']!(1n, 0n, 0, 512)).toBe(SOLO5_R_EINVAL);
      expect(reached).toEqual([]);
      // The guest's other devices go through untouched.
      expect(t['block_acquire']!(108, 0, 16)).toBe(0);
      expect(t['block_read']!(0n, 0n, 0, 512)).toBe(0);
      expect(reached).toEqual(['acquire', 'read 0']);
      const denied = events.filter((e) => e.name === 'secure_device_denied');
      expect(denied.map((e) => [e.track, e.args?.['call']])).toEqual([
        ['blk/secure:storage', 'block_acquire'],
        ['blk/secure:storage', 'block_read'],
        ['blk/secure:storage', 'block_write'],
      ]);
      expect(logs.filter((l) => l.includes('secure block device "storage": refused'))).toHaveLength(3);
    } finally {
      teecExtension.dispose?.(host);
    }
  });

  it('emon run: the blk guest cannot acquire a block device given to the secure world; giving it to both is an error', () => {
    const file = image(64 * 1024);
    const before = readFileSync(file);
    const blk = path.join(guests, 'blk.wasm');
    const r = emon(['run', '--backend=tz', `--ta-dir=${taDir}`, `--secure:storage=block:${file}`, blk]);
    expect(r.stdout).toContain("blk: cannot acquire 'storage' (result 2)");
    expect(r.stderr).toContain('normal world tried block_acquire on secure block device "storage": refused');
    expect(r.status).toBe(1);
    expect(readFileSync(file)).toEqual(before);
    const both = emon(['run', '--backend=tz', `--ta-dir=${taDir}`, `--block:storage=${file}`, `--secure:storage=block:${file}`, blk]);
    expect(both.stderr).toMatch(/block device "storage" is given both to the guest \(--block:\) and to the secure world \(--secure:\)/);
    expect(both.stderr).not.toMatch(/\n\s+at /);
    expect(both.status).not.toBe(0);
    const sgx = emon(['run', `--secure:storage=block:${file}`, blk]);
    expect(sgx.stderr).toMatch(/needs --backend=tz/);
    expect(sgx.status).not.toBe(0);
  });
});
