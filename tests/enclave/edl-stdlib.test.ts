/**
 * The SDK's standard EDLs emon ships (enclaves/sdk/edl; issue 13 point 2): a project importing all of them
 * parses, and through the real gate every imported OCALL is either served (a no-op returning 0 under one
 * TCS) or refused by name (E_OCALL_UNAVAILABLE, EUNSPEC to the enclave), every imported ECALL of the SDK's
 * trusted libraries is answered by emon when the enclave does not export it (sl_init_switchless served, the
 * rest refused with E_ECALL_UNAVAILABLE), and an enclave or guest that has its own function of that name wins.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EUNSPEC, OK } from '../../runtime/enclave/abi.js';
import { loadEdl, STD_EDL_DIR } from '../../runtime/enclave/edl/imports.js';
import { STD_ECALLS, STD_OCALLS } from '../../runtime/enclave/std-ocalls.js';
import { describeInterface } from '../../runtime/enclave/edl/describe.js';
import { generateAll } from '../../runtime/enclave/edl/generate.js';
import { E_MS, G_FRAME, wire } from './fake-enclave.js';

const haveClang = ((): boolean => {
  try {
    execFileSync('which', ['clang'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-edl-std-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const STD = ['sgx_tstdc.edl', 'sgx_pthread.edl', 'sgx_tswitchless.edl', 'sgx_tkey_exchange.edl', 'sgx_tprotected_fs.edl', 'sgx_ttls.edl', 'sgx_dcap_tvl.edl'];
const app = path.join(tmp, 'app.edl');
writeFileSync(app, `enclave {\n${STD.map((f) => `    from "${f}" import *;`).join('\n')}\n    trusted { public int go(int which); };\n};\n`);
const iface = loadEdl(app);

describe("the SDK's standard EDLs", () => {
  it('import together, each file once, with every function emon knows by name', () => {
    expect(new Set(iface.imports!.map((i) => path.basename(i.file)))).toEqual(new Set(STD));
    for (const f of iface.untrusted) expect(STD_OCALLS[f.name], f.name).toBeDefined();
    for (const f of iface.trusted.filter((t) => t.name !== 'go')) expect(STD_ECALLS[f.name], f.name).toBeDefined();
    expect(iface.untrusted.map((f) => f.name)).toContain('u_sgxprotectedfs_fread_node');
    expect(iface.trusted.map((f) => f.name)).toEqual(['sl_init_switchless', 'sl_run_switchless_tworker', 'sgx_ra_get_ga', 'sgx_ra_proc_msg2_trusted', 'sgx_ra_get_msg3_trusted', 'sgx_tvl_verify_qve_report_and_identity', 'go']);
  });

  it('every imported OCALL is served (0) or refused by name (EUNSPEC and E_OCALL_UNAVAILABLE naming it)', () => {
    let current = '';
    const w = wire(iface, (env) => ({
      go: () => {
        const f = iface.untrusted.find((x) => x.name === current)!;
        const hasRet = f.ret.base !== 'void' || f.ret.pointer;
        // Arguments as the enclave passes them: a result pointer first when there is a result, then the parameters.
        return (env.ocall[current] as Function)(...(hasRet ? [E_MS + 8192] : []), ...f.params.map(() => 0));
      },
    }));
    let served = 0;
    let refused = 0;
    for (const f of iface.untrusted) {
      current = f.name;
      const before = w.rejects.length;
      const r = w.ecall('go', [0]);
      expect(r.status, f.name).toBe(OK);
      const status = Number(r.ret & 0xffffffffn);
      if (STD_OCALLS[f.name]!.kind === 'served') {
        expect(status, f.name).toBe(OK);
        expect(w.rejects.length).toBe(before);
        if (f.ret.base !== 'void') expect(new DataView(w.emem.buffer).getInt32(E_MS + 8192, true)).toBe(0);
        served++;
      } else {
        expect(status, f.name).toBe(EUNSPEC);
        expect(w.rejects.at(-1)!.code).toBe('E_OCALL_UNAVAILABLE');
        expect(w.rejects.at(-1)!.message).toContain(`OCALL ${f.name} is unavailable`);
        refused++;
      }
    }
    expect([served, refused]).toEqual([6, 17]);
    expect(w.rejects.find((e) => e.message.includes('sgx_tls_get_quote_ocall'))!.message).toMatch(/no DCAP Quoting Enclave/);
    expect(w.rejects.find((e) => e.message.includes('u_sgxprotectedfs_fwrite_node'))!.message).toMatch(/no untrusted host file system/);
  });

  it('ECALLs of the trusted libraries the enclave does not export are answered by emon, by name', () => {
    const w = wire(iface, () => ({ go: () => 0 }));
    const dv = new DataView(w.gmem.buffer);
    dv.setInt32(G_FRAME, -1, true);
    expect(w.ecall('sl_init_switchless', [0]).status).toBe(OK);
    expect(dv.getInt32(G_FRAME, true)).toBe(0);
    for (const name of ['sl_run_switchless_tworker', 'sgx_ra_get_ga', 'sgx_ra_proc_msg2_trusted', 'sgx_ra_get_msg3_trusted', 'sgx_tvl_verify_qve_report_and_identity']) {
      const f = iface.trusted.find((x) => x.name === name)!;
      expect(w.ecall(name, f.params.map(() => 0)).status, name).toBe(EUNSPEC);
      expect(w.rejects.at(-1)!.code).toBe('E_ECALL_UNAVAILABLE');
      expect(w.rejects.at(-1)!.message).toContain(`ECALL ${name} is unavailable`);
    }
    expect(w.rejects.find((e) => e.message.includes('sgx_ra_get_ga'))!.message).toMatch(/sgx_tkey_exchange/);
    // A frame outside the guest's memory is refused like any ECALL's.
    expect(w.gate.ecalls[0]!(w.gmem.buffer.byteLength - 4)).not.toBe(OK);
  });

  it("an attestation EDL in the shape of the SDK's RemoteAttestation sample parses, generates, and its C header compiles", () => {
    const ra = path.join(tmp, 'ra_enclave.edl');
    writeFileSync(
      ra,
      `enclave {
        from "sgx_tkey_exchange.edl" import *;
        include "sgx_key_exchange.h"
        trusted {
          public sgx_status_t ra_init(sgx_ec256_public_t sp_key, int use_pse, [out] sgx_ra_context_t* ctx);
          public sgx_status_t ra_key_hash([out] sgx_status_t* status, sgx_ra_context_t ctx, sgx_ra_key_type_t type, [out, count=32] uint8_t* hash);
          public sgx_status_t ra_close(sgx_ra_context_t ctx);
        };
        untrusted { void ocall_eid(sgx_enclave_id_t eid, [in] const sgx_report_t* r); };
      };`,
    );
    const i = loadEdl(ra);
    const L = describeInterface(i);
    expect(L).toContain('ecall 0 public sgx_status_t sgx_ra_get_ga(sgx_ra_context_t context, [out] sgx_ec256_public_t* g_a)  [from ' + path.relative(process.cwd(), path.join(STD_EDL_DIR, 'sgx_tkey_exchange.edl')) + ']');
    expect(L).toContain('    g_a: enclave → guest (zeroed first), 64 bytes');
    expect(L).toContain('    ctx: enclave → guest (zeroed first), 4 bytes');
    expect(L).toContain('    sp_key: guest → enclave, 64 bytes (a copy of the value)');
    const out = path.join(tmp, 'ra-gen');
    generateAll(i, out);
    const h = readFileSync(path.join(out, 'ra_enclave_u.h'), 'utf8');
    expect(h).toContain('typedef uint32_t sgx_ra_context_t;');
    if (haveClang) {
      // The SDK's header is not here: an empty stand-in, as a project without the SDK would have.
      writeFileSync(path.join(out, 'sgx_key_exchange.h'), '');
      writeFileSync(path.join(out, 'check.c'), '#include "ra_enclave_u.h"\n');
      const r = spawnSync('clang', ['--target=wasm32', '-fsyntax-only', '-Wall', '-Werror', '-I', out, path.join(out, 'check.c')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
    }
  });

  it('an enclave that implements a standard ECALL, and a guest that serves a standard OCALL, win', () => {
    const w = wire(
      iface,
      (env) => ({
        go: () => (env.ocall['u_sgxprotectedfs_fclose'] as Function)(E_MS + 8192, 0),
        sgx_ra_get_ga: (ctx: number, ga: number) => {
          env.u8().fill(7, ga, ga + 64);
          return ctx + 1;
        },
      }),
      { u_sgxprotectedfs_fclose: () => 42 },
    );
    const GA = 70000;
    const r = w.ecall('sgx_ra_get_ga', [5, GA]);
    expect(r.status).toBe(OK);
    expect(Number(r.ret & 0xffffffffn)).toBe(6);
    expect([...w.g8().subarray(GA, GA + 64)]).toEqual(new Array(64).fill(7));
    expect(w.ecall('go', [0]).status).toBe(OK);
    expect(new DataView(w.emem.buffer).getInt32(E_MS + 8192, true)).toBe(42);
  });
});
