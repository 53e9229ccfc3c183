/**
 * Fixed edge cases for enclave_open's bounds checks (issue 10): the name, the scratch buffer and the handle
 * slot each ending exactly at the end of guest memory are accepted; one byte further is EINVAL; a name of
 * exactly the longest allowed length is looked up, one byte longer is EINVAL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EINVAL, OK } from '../../runtime/enclave/abi.js';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import type { GuestHost } from '../../runtime/monitor/extension.js';
import { buildDir } from '../../runtime/paths.js';
import { currentBackend } from './harness.js';

const memory = new WebAssembly.Memory({ initial: 2 });
const END = 2 * 65536;
const logs: string[] = [];
const host = {
  name: 'g',
  manifest: { enclaves: [{ name: 'gatetest' }] },
  attachments: new Map([['gatetest', path.join(buildDir, 'enclaves', 'gatetest.wasm')]]),
  // The harness's backend: SGX here, TrustZone when tests/hw/tz/shared-cases.test.ts runs this file.
  options: { stateDir: mkdtempSync(path.join(tmpdir(), 'emon-open-')), backend: currentBackend() },
  trace: null,
  memory: () => memory,
  exports: () => ({ ocall_tick: (d: number) => d, ocall_null: () => undefined, ocall_echo: () => undefined }) as unknown as WebAssembly.Exports,
  log: (l: string) => void logs.push(l),
  abort: (m: string) => {
    throw new Error(m);
  },
} as GuestHost;
afterAll(() => enclaveExtension.dispose?.(host));

describe('enclave_open at the edges of guest memory', () => {
  it('name, scratch and handle slot each ending at the end of memory work; one byte further is EINVAL', async () => {
    const emon = (await enclaveExtension.imports(host)) as Record<string, (...a: number[]) => number>;
    const u8 = new Uint8Array(memory.buffer);
    const name = new TextEncoder().encode('gatetest');
    u8.set(name, END - 8);
    u8.set(name, 64);
    const open = (n: number, nl: number, s: number, sl: number, h: number): number => {
      const st = emon['enclave_open']!(n, nl, s, sl, h);
      if (st === OK) expect(emon['enclave_close']!(new DataView(memory.buffer).getUint32(h, true))).toBe(OK);
      return st;
    };
    expect(open(END - 8, 8, 8192, 4096, 128)).toBe(OK);
    expect(open(END - 7, 8, 8192, 4096, 128)).toBe(EINVAL);
    expect(open(64, 8, END - 4096, 4096, 128)).toBe(OK);
    expect(open(64, 8, END - 4096, 4097, 128)).toBe(EINVAL);
    expect(open(64, 8, END, 0, 128)).toBe(OK);
    expect(open(64, 8, 8192, 4096, END - 4)).toBe(OK);
    expect(open(64, 8, 8192, 4096, END - 3)).toBe(EINVAL);
  });

  it('a name of 64 bytes is looked up (and not declared); 65 bytes is refused before any lookup', async () => {
    const emon = (await enclaveExtension.imports(host)) as Record<string, (...a: number[]) => number>;
    new Uint8Array(memory.buffer).fill(0x61, 1024, 1024 + 65);
    logs.length = 0;
    expect(emon['enclave_open']!(1024, 64, 8192, 4096, 128)).toBe(EINVAL);
    expect(logs.join('\n')).toMatch(/declares no enclave "a{64}"/);
    logs.length = 0;
    expect(emon['enclave_open']!(1024, 65, 8192, 4096, 128)).toBe(EINVAL);
    expect(logs).toEqual([]);
  });
});
