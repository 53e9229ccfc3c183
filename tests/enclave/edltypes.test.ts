/**
 * A real AssemblyScript enclave over EDL user types (enclaves/edltypes), built by `npm run build` from an EDL
 * that imports the SDK's sgx_tstdc.edl: the generated bridge compiles, the signed module carries the
 * interface with its imports inlined, and structs, struct arrays, a 2-D array, a by-value struct, a deep-copied
 * struct, an enum and an OCALL with a struct cross the gate with their values; CPUID is refused by name.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EUNSPEC, OK } from '../../runtime/enclave/abi.js';
import { buildDir } from '../../runtime/paths.js';
import { FRAME, FREE, image, tempPlatform, TestGuest } from './harness.js';
import { emon, guests } from '../cli/helpers.js';

const file = path.join(buildDir, 'enclaves', 'edltypes.wasm');

describe('the edltypes enclave', () => {
  it('was built from an EDL that imports sgx_tstdc.edl, and embeds the whole interface', () => {
    expect(existsSync(file)).toBe(true);
    const img = image('edltypes', new Uint8Array(readFileSync(file)));
    expect(img.iface.untrusted.map((f) => f.name)).toContain('sgx_oc_cpuidex');
    expect(img.iface.types!.map((t) => t.name)).toEqual(['rec64_t', 'msg_t', 'kind_t']);
  });

  it('receives structs, arrays, a by-value struct and a deep-copied struct with their values', () => {
    const recs: number[][] = [];
    const g = new TestGuest({
      ocall_rec: (r: number) => void recs.push([...g.u8().subarray(r, r + 16)]),
      ocall_make: (dR: number, id: bigint) => new DataView(g.memory.buffer).setBigUint64(dR, id * 2n, true),
    }).open(image('edltypes', new Uint8Array(readFileSync(file))), tempPlatform());
    const dv = (): DataView => new DataView(g.memory.buffer);
    const R = FREE;
    for (let k = 0; k < 64; k++) g.u8()[R + k] = k;
    dv().setUint32(R + 12, 0xabcd, true);
    expect(g.call('take_rec', [R]).ret & 0xffffffffn).toBe(0xabcdn);
    expect(g.call('take_rec_value', [R]).ret & 0xffffffffn).toBe(BigInt(dv().getUint32(R + 8, true)));
    const RS = FREE + 1024;
    dv().setUint32(RS + 64 * 2 + 12, 777, true);
    expect(g.call('take_recs', [RS, 3]).ret & 0xffffffffn).toBe(777n);
    const G = FREE + 2048;
    for (let k = 0; k < 16; k++) dv().setUint32(G + 4 * k, k, true);
    expect(g.call('take_grid', [G]).ret & 0xffffffffn).toBe(120n);
    const M = FREE + 4096, D = FREE + 4200;
    dv().setUint32(M, 5, true);
    dv().setUint32(M + 4, D, true);
    g.u8()[D] = 200;
    expect(g.call('take_msg', [M]).ret & 0xffffffffn).toBe(205n);
    // [in, out] struct, an enum, and an OCALL that carries the struct back to the guest.
    dv().setBigUint64(R, 41n, true);
    const r = g.call('bump_rec', [R, 1]);
    expect(r.status).toBe(OK);
    expect(r.ret).toBe(42n);
    expect(dv().getBigUint64(R, true)).toBe(42n);
    expect(dv().getUint32(R + 12, true)).toBe(0x5ea1);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.slice(0, 8)).toEqual([42, 0, 0, 0, 0, 0, 0, 0]);
    // CPUID is declared by sgx_tstdc.edl and refused by emon with a named error.
    expect(g.call('cpuid_probe', []).ret & 0xffffffffn).toBe(BigInt(EUNSPEC));
    expect(g.rejects.at(-1)).toBe('E_OCALL_UNAVAILABLE');
    // A struct result, filled by the guest's OCALL (which returns one too) and completed by the enclave.
    const OUT = FREE + 8192;
    g.u8().fill(0xff, OUT, OUT + 64);
    const make = g.prepare('make_rec', [21n]);
    dv().setUint32(FRAME, OUT, true); // slot 0: where the struct result goes
    expect(make().status).toBe(OK);
    expect([dv().getBigUint64(OUT, true), dv().getUint32(OUT + 12, true), g.u8()[OUT + 20]]).toEqual([42n, 1, 0]);
  });

  it('serves an AssemblyScript guest built against the generated stubs, under the real monitor', () => {
    const r = emon(['run', `--enclave:edltypes=${file}`, path.join(guests, 'enclave-types.wasm')]);
    expect(r.stdout, r.stderr).toContain('edltypes: structs, arrays and deep copy crossed intact');
    expect(r.status).toBe(0);
  });

  it('emon enclave sign --edl inlines the imports, so the signed module alone carries the whole interface', () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'emon-edltypes-'));
    try {
      const key = path.join(d, 'k.key');
      expect(emon(['enclave', 'keygen', key]).status).toBe(0);
      const mod = path.join(d, 'e.wasm');
      copyFileSync(path.join(buildDir, 'enclaves', 'edltypes.unsigned.wasm'), mod);
      const r = emon(['enclave', 'sign', '--key', key, '--edl', path.resolve(__dirname, '../../enclaves/edltypes/edltypes.edl'), mod]);
      expect(r.status, r.stderr).toBe(0);
      const img = image('edltypes', new Uint8Array(readFileSync(mod)));
      expect(img.iface.untrusted.map((f) => f.name)).toEqual(['sgx_oc_cpuidex', 'sgx_thread_wait_untrusted_event_ocall', 'sgx_thread_set_untrusted_event_ocall', 'sgx_thread_setwait_untrusted_events_ocall', 'sgx_thread_set_multiple_untrusted_events_ocall', 'ocall_rec', 'ocall_make']);
      expect(img.iface.imports ?? []).toEqual([]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
