/**
 * `emon bench --edl --enclave`: a suite built from a user's EDL measures every public ECALL over a sweep of
 * buffer sizes through the real gate, and every OCALL gate, with well-formed results; the generated Wasm for
 * any EDL assembles with the signatures the gate expects; bad inputs give typed errors naming the file.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { edlSuite, SIZES_QUICK } from '../../bench/edl/suite.js';
import { driverWat, guestWat, ocallGateParams } from '../../bench/edl/wat.js';
import { watToWasm } from '../../bench/wat.js';
import { runBench } from '../../bench/runner.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import { modeledCycles } from '../../runtime/hw/cost/model.js';
import { isEmonError } from '../../runtime/errors.js';
import { MemoryTraceSink } from '../../runtime/trace/sink.js';

const root = path.resolve(__dirname, '..', '..');
const sealerEdl = path.join(root, 'enclaves/sealer/sealer.edl');
const sealerWasm = path.join(root, 'build/enclaves/sealer.wasm');
const haveSealer = existsSync(sealerWasm);

const VARIED = `enclave {
  trusted {
    public int64_t mix(int64_t a, double b, [in, count=n] const uint32_t* xs, size_t n, [user_check] void* raw);
    public void put([in, string] const char* s, [out, size=4] uint8_t* four);
    void hidden(void);
  };
  untrusted {
    double report(float f, [in, size=len] const uint8_t* buf, uint32_t len) allow(hidden);
    void nothing(void);
  };
};`;

describe('EDL benchmark Wasm', () => {
  it('assembles a guest and a driver whose signatures match the gate ABI for any parameter types', async () => {
    const iface = parseEdl(VARIED, 'varied.edl');
    const guest = new WebAssembly.Module(await watToWasm('g', guestWat(iface, 1)));
    const driver = new WebAssembly.Module(await watToWasm('d', driverWat(iface)));
    const handlers = WebAssembly.Module.exports(guest).map((e) => e.name);
    expect(handlers).toEqual(['memory', 'report', 'nothing']);
    const imports = WebAssembly.Module.imports(driver).map((i) => `${i.module}.${i.name}`);
    expect(imports).toEqual(['ecall.0', 'ecall.1', 'ecall.2', 'ocall.0', 'ocall.1']);
    // report returns double: the gate takes a retval pointer first.
    expect(ocallGateParams(iface.untrusted[0]!)).toEqual(['i32', 'f32', 'i32', 'i32']);
    expect(ocallGateParams(iface.untrusted[1]!)).toEqual([]);
    // The guest handler really has the EDL's Wasm signature: calling it with those values returns 0.0.
    const inst = new WebAssembly.Instance(guest, {});
    expect((inst.exports.report as (f: number, p: number, l: number) => number)(1.5, 0, 0)).toBe(0);
  });
});

describe.skipIf(!haveSealer)('emon bench --edl (sealer enclave)', () => {
  it('measures each public ECALL per swept size and each OCALL gate, with modeled costs covering its OCALLs', async () => {
    const suite = await edlSuite(sealerEdl, sealerWasm);
    const run = await runBench({ quick: true, extraSuites: [suite] });
    const s = run.suites.find((x) => x.name === 'edl:sealer')!;
    expect(s.error).toBeUndefined();
    const names = s.cases.map((c) => c.name);
    for (const size of SIZES_QUICK) {
      expect(names).toContain(`seal_data/${size}`);
      expect(names).toContain(`unseal_data/${size}`);
      expect(names).toContain(`ocall:ocall_log/${size}`);
    }
    expect(names).toContain('isv_svn');
    for (const c of s.cases) {
      expect(Number.isFinite(c.median) && c.median > 0).toBe(true);
      expect(c.params?.backend).toBe('sgx');
    }
    const extra = s.extra as { ocallsPerEcall: Record<string, Record<string, number>>; returnValues: Record<string, number>; skipped: unknown[] };
    // seal_data gets room for aad + data + header, so the enclave really sealed: it returns the blob length.
    expect(extra.returnValues['seal_data/1024']).toBeGreaterThan(2 * 1024);
    // Bytes crossing per call: aad + data in, the blob buffer out.
    const seal = s.cases.find((c) => c.name === 'seal_data/1024')!;
    expect(seal.bytes).toBe(1024 + 1024 + (2 * 1024 + 256));
    const ocalls = Object.values(extra.ocallsPerEcall['seal_data/1024'] ?? {}).reduce((a, b) => a + b, 0);
    expect(seal.modeledCycles?.sgx).toBe(modeledCycles('sgx', 'ecall')! + ocalls * modeledCycles('sgx', 'ocall')!);
    expect(extra.skipped).toEqual([]);
  }, 60_000);

  it('gives every batch its declared inputs, whatever other cases did to the shared buffers in between', async () => {
    const sink = new MemoryTraceSink();
    const suite = await edlSuite(sealerEdl, sealerWasm, { measureTrace: sink });
    const cases = await suite.setup({ quick: true });
    const byName = (n: string) => cases.find((c) => c.name === n)!;
    // unseal_data's [in] blob and zero-filled [out] buffer land in the marshalling area where the OCALL case keeps
    // its string, and its 16 KiB blob of pattern bytes (with NULs) sits in the guest buffer seal_data reads.
    for (const [first, then, kind, bytes] of [
      ['unseal_data/16384', 'ocall:ocall_log/16384', 'ocall', 16384],
      ['unseal_data/16384', 'seal_data/1024', 'ecall', 1024 + 1024 + 2 * 1024 + 256],
    ] as const) {
      byName(first).run(1);
      sink.events.length = 0;
      byName(then).run(1);
      const ev = sink.events.filter((e) => e.kind === kind);
      expect(ev.length, then).toBeGreaterThan(0);
      // The gate reports bytes placed (8-byte aligned); the string or buffers must be the declared size.
      expect(ev[ev.length - 1]!.bytes!, then).toBeGreaterThanOrEqual(bytes);
    }
    await suite.teardown?.();
  }, 60_000);

  it('refuses an EDL that does not describe the enclave, an unsigned enclave and missing files, naming them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emon-edl-'));
    const other = path.join(dir, 'sealer.edl');
    await writeFile(other, 'enclave { trusted { public int seal_data(void); }; untrusted { }; };');
    const errs = await Promise.all([
      edlSuite(other, sealerWasm).catch((e: unknown) => e),
      edlSuite(sealerEdl, path.join(root, 'build/enclaves/sealer.unsigned.wasm')).catch((e: unknown) => e),
      edlSuite(path.join(dir, 'nope.edl'), sealerWasm).catch((e: unknown) => e),
      edlSuite(sealerEdl, path.join(dir, 'nope.wasm')).catch((e: unknown) => e),
    ]);
    expect(isEmonError(errs[0], 'E_EDL_MISMATCH')).toBe(true);
    expect((errs[0] as Error).message).toContain(other);
    expect(isEmonError(errs[1])).toBe(true);
    expect((errs[1] as Error).message).toMatch(/sealer\.unsigned\.wasm/);
    expect(isEmonError(errs[2], 'E_NO_FILE')).toBe(true);
    expect(isEmonError(errs[3], 'E_NO_FILE')).toBe(true);
  });
});

if (!haveSealer) {
  describe('emon bench --edl (sealer enclave)', () => {
    it.skip(`skipped: ${sealerWasm} not built (run \`npm run build\`)`, () => {});
  });
}
