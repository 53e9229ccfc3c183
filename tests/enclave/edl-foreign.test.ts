/**
 * The two corners of edger8r's type grammar emon used to refuse (issue 13 gaps 1, 2, 4): `long double`
 * (16 bytes on wasm32, passed and returned through memory like a struct), and types from included C headers
 * (edger8r's Ast.Foreign), sized by emon's table of SDK typedefs, an `--type NAME=SIZE` option or an
 * `// emon: type NAME=SIZE` comment, with a named error when the size is unknown. Through the real gate:
 * both cross ECALLs and OCALLs byte for byte, and `size=` with `count=` copies count × size bytes and refuses
 * a product that would wrap in 32 bits.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EINVAL, OK } from '../../runtime/enclave/abi.js';
import { SDK_TYPES, typeOptions } from '../../runtime/enclave/edl/foreign-types.js';
import { generateGuestC } from '../../runtime/enclave/edl/gen-guest-c.js';
import { loadEdl } from '../../runtime/enclave/edl/imports.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import { embeddableEdl, printEdl } from '../../runtime/enclave/edl/print.js';
import { elementSize, isAggregate, valueSize, wasmTypeOf, type EdlInterface, type EdlStruct } from '../../runtime/enclave/edl/types.js';
import { structReturnSize } from '../../runtime/enclave/gate-structret.js';
import { isEmonError } from '../../runtime/errors.js';
import { EDL_SECTION } from '../../runtime/hw/sgx/enclave.js';
import { readCustomSection } from '../../runtime/hw/sgx/wasm-sections.js';
import { buildDir } from '../../runtime/paths.js';
import { emon } from '../cli/helpers.js';
import { E_MS, G_FRAME, G_FREE, wire } from './fake-enclave.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-edl-foreign-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function err(text: string, types: string[] = []): string {
  try {
    parseEdl(text, 'x.edl', undefined, { types: typeOptions(types) });
  } catch (e) {
    if (isEmonError(e)) return `${e.code} ${e.message} | ${e.hint ?? ''}`;
    throw e;
  }
  return 'parsed';
}

/** The interface minus source locations, for comparing a re-parse. */
function shape(i: EdlInterface): unknown {
  return JSON.parse(JSON.stringify({ t: i.trusted, u: i.untrusted, ty: i.types }, (k, v) => (k === 'loc' || k === 'from' || k === 'origin' ? undefined : v)));
}

describe('long double', () => {
  const i = parseEdl(
    `enclave {
      struct ld_t { char c; long double x; };
      trusted { public long double twice(long double d, [in] const long double* p, [in, count=2] long double* q); };
      untrusted { long double half(long double d); };
    };`,
    'ld.edl',
  );

  it('is 16 bytes aligned to 16, passed by the address of a copy and returned through a result slot', () => {
    const f = i.trusted[0]!;
    expect(f.params[0]).toMatchObject({ byValue: true, direction: 'in' });
    expect(valueSize(f.params[0]!.type)).toBe(16);
    expect(wasmTypeOf(f.params[0]!.type)).toBe('i32');
    expect(elementSize(f.params[1]!.type)).toBe(16);
    expect(isAggregate(f.ret)).toBe(true);
    expect(structReturnSize(f)).toBe(16);
    const s = i.types![0] as EdlStruct;
    expect([s.size, s.align, s.members[1]!.offset]).toEqual([32, 16, 16]);
  });

  it('no longer gives edger8r-foreign messages where edger8r accepts it', () => {
    expect(err('enclave { trusted { public void f(long double d); }; };')).toBe('parsed');
    expect(err('enclave { trusted { public long double f(void); }; };')).toBe('parsed');
    expect(err('enclave { trusted { public void f(long long double d); }; };')).toMatch(/^E_EDL_TYPE x.edl:1:45: 'long long double' is not a C type/);
  });

  it('crosses an ECALL and an OCALL byte for byte, both ways', () => {
    const bytes = Array.from({ length: 16 }, (_, k) => 0xa0 + k);
    let sawArg: number[] = [];
    let ocallRet: number[] = [];
    const w = wire(
      i,
      (env) => ({
        twice(dR: number, d: number) {
          sawArg = [...env.u8().subarray(d, d + 16)];
          // The enclave asks the guest for half of it: the OCALL copies d out and the result back.
          const R = E_MS - 64;
          expect(env.ocall['half']!(R, d)).toBe(OK);
          ocallRet = [...env.u8().subarray(R, R + 16)];
          env.u8().set(sawArg.map((b) => b ^ 0xff), dR);
        },
      }),
      {
        half(dR: number, d: number) {
          const g = new Uint8Array(w.gmem.buffer);
          g.set(g.subarray(d, d + 16).map((b) => b + 1), dR);
        },
      },
    );
    const D = G_FREE, RET = G_FREE + 64, Q = G_FREE + 128;
    w.g8().set(bytes, D);
    const dv = w.gdv();
    // Frame: slot 0 holds where the result goes, then d (the address of the caller's copy), p, q.
    [RET, D, D, Q].forEach((v, k) => dv.setBigUint64(G_FRAME + 8 * k, BigInt(v), true));
    const status = w.gate.ecalls[0]!(G_FRAME);
    expect(status).toBe(OK);
    expect(sawArg).toEqual(bytes);
    expect(ocallRet).toEqual(bytes.map((b) => b + 1));
    expect([...w.g8().subarray(RET, RET + 16)]).toEqual(bytes.map((b) => b ^ 0xff));
  });
});

describe('types from included headers', () => {
  it("know the SDK's common typedefs with their sizes (scalars travel as scalars, structs as copies)", () => {
    const i = parseEdl(
      `enclave { include "sgx_key_exchange.h"
        struct keys_t { sgx_ec256_public_t pub; sgx_ra_context_t ctx; sgx_enclave_id_t eid; };
        trusted {
          public sgx_status_t f(sgx_enclave_id_t eid, sgx_ra_context_t ctx, sgx_ec256_public_t by_value, [out] sgx_ec256_public_t* g_a, [in] const sgx_target_info_t* ti, [out] sgx_report_t* r, [in, count=n] sgx_ec256_signature_t* sigs, size_t n, [in, count=2] sgx_report_t** two);
          public sgx_report_t g(void);
        };
      };`,
      'sdk.edl',
    );
    const p = i.trusted[0]!.params;
    expect(wasmTypeOf(p[0]!.type)).toBe('i64');
    expect(p[0]!.byValue).toBeUndefined();
    expect(wasmTypeOf(p[1]!.type)).toBe('i32');
    expect(p[2]).toMatchObject({ byValue: true });
    expect(valueSize(p[2]!.type)).toBe(64);
    expect([elementSize(p[3]!.type), elementSize(p[4]!.type), elementSize(p[5]!.type), elementSize(p[6]!.type), elementSize(p[8]!.type)]).toEqual([64, 512, 432, 64, 4]);
    expect(structReturnSize(i.trusted[1]!)).toBe(432);
    const s = i.types![0] as EdlStruct;
    expect([s.size, s.align, ...s.members.map((m) => m.offset)]).toEqual([80, 8, 0, 64, 72]);
    expect(SDK_TYPES['sgx_ra_msg2_t']!.size).toBe(168);
  });

  it.each([
    ['enclave { trusted { public void f(sgx_foo_t e); }; };', /^E_EDL_TYPE x.edl:1:35: unknown type 'sgx_foo_t' for 'e': a type from an included header, whose size emon does not know \| .*--type sgx_foo_t=SIZE.*emon: type sgx_foo_t=SIZE/],
    ['enclave { struct s { foo_t a; }; };', /^E_EDL_TYPE x.edl:1:22: unknown type 'foo_t' for member 'a'.*--type foo_t=SIZE/],
    ['enclave { trusted { public foo_t f(void); }; };', /^E_EDL_TYPE x.edl:1:28: unknown type 'foo_t' \(the return type\).*--type foo_t=SIZE/],
    ['enclave { trusted { public void f([in] foo_t* p); }; };', /^E_EDL_TYPE x.edl:1:35: 'p' of header type 'foo_t' needs size= for \[in\].*--type foo_t=SIZE/],
    ['enclave { trusted { public void f([in, count=n] foo_t* p, size_t n); }; };', /count= on 'p' needs sizeof\(foo_t\).*--type foo_t=SIZE/],
    ['enclave { struct s { size_t n; [count=n] foo_t* p; }; };', /count= on member 'p' needs sizeof\(foo_t\)/],
    ['enclave { trusted { public void f([in] foo_t a[2]); }; };', /unknown type 'foo_t' for 'a'/],
  ])('an unknown size is a named error: %s', (text, re) => {
    expect(err(text)).toMatch(re);
  });

  it('of unknown size still pass where no size is needed: size= in bytes, user_check, T**, unsized pointer members', () => {
    expect(err('enclave { struct s { foo_t* p; size_t n; [size=n] foo_t* q; }; trusted { public void f([in, size=n] foo_t* p, size_t n, [user_check] foo_t* u, [in, count=n] foo_t** pp); }; };')).toBe('parsed');
  });

  it('are sized by --type (bytes, bytes/align, or a scalar alias) and by emon: type comments', () => {
    const text = `enclave {
      // emon: type blob_t=12
      /* emon: type wide_t = 32/16 */
      struct s { char c; handle_t h; blob_t b; wide_t w; };
      trusted { public id_t f(id_t a, handle_t h, [in, count=n] blob_t* bs, size_t n, [in, size=n] wide_t* w); };
    };`;
    const i = parseEdl(text, 'decl.edl', undefined, { types: typeOptions(['handle_t=24/4', 'id_t=uint64_t']) });
    const s = i.types![0] as EdlStruct;
    expect([s.size, s.align, ...s.members.map((m) => m.offset)]).toEqual([80, 16, 0, 4, 28, 48]);
    const f = i.trusted[0]!;
    expect([wasmTypeOf(f.ret), wasmTypeOf(f.params[0]!.type), f.params[1]!.byValue, elementSize(f.params[2]!.type)]).toEqual(['i64', 'i64', true, 12]);
    expect(i.declared!.map((t) => `${t.name}:${t.origin}`).sort()).toEqual(['blob_t:comment', 'handle_t:option', 'id_t:option', 'wide_t:comment']);
    // The size of a size-less declaration defaults to the largest power of two up to 8 dividing it.
    expect(typeOptions(['a_t=12', 'b_t=7', 'c_t=64']).map((t) => t.align)).toEqual([4, 1, 8]);
    // An option may size an SDK type differently from emon's table (the project's headers win).
    expect(elementSize(parseEdl('enclave { trusted { public void f([in] sgx_report_t* r); }; };', 'x.edl', undefined, { types: typeOptions(['sgx_report_t=440']) }).trusted[0]!.params[0]!.type)).toBe(440);
  });

  it.each([
    [['foo_t'], /bad type declaration 'foo_t': expected NAME=SIZE/],
    [['foo_t=0'], /size must be a decimal number of bytes/],
    [['foo_t=0x10'], /size must be a decimal number of bytes/],
    [['foo_t=12/8'], /size 12 is not a multiple of its alignment 8/],
    [['foo_t=16/3'], /alignment must be 1, 2, 4, 8 or 16/],
    [['foo_t=banana'], /'banana' is neither a size nor an EDL scalar type/],
    [['int=4'], /'int' is a built-in EDL type/],
  ])('a bad --type %s is refused with the form to use', (opts, re) => {
    expect(err('enclave { };', opts)).toMatch(re);
    expect(err('enclave { };', opts)).toContain('NAME=SIZE');
  });

  it('two declarations of one name must agree; a bad comment names its place', () => {
    expect(err('enclave { // emon: type foo_t=8\n };', ['foo_t=8'])).toBe('parsed');
    expect(err('enclave { // emon: type foo_t=8\n };', ['foo_t=12'])).toMatch(/^E_EDL_TYPE x.edl:1:\d+: type 'foo_t' is declared as 12 bytes .* and as 8 bytes/);
    expect(err('enclave {\n /* emon: type foo_t=huge */ };')).toMatch(/^E_EDL_TYPE x.edl:2:5: bad type declaration 'foo_t=huge'/);
  });

  it('declared by --type travel with the enclave: the embedded EDL alone rebuilds the same interface', () => {
    const src = 'enclave { trusted { public void f(handle_t h, [in, count=2] handle_t* hs); }; };';
    const i = parseEdl(src, 'emb.edl', undefined, { types: typeOptions(['handle_t=24']) });
    const embedded = embeddableEdl(i, src);
    expect(embedded).toContain('// emon: type handle_t=24/8');
    expect(shape(parseEdl(embedded, 'emb.edl'))).toEqual(shape(i));
    // With imports the interface is printed; the declarations come along.
    expect(shape(parseEdl(printEdl(i), 'emb.edl'))).toEqual(shape(i));
    expect(embeddableEdl(parseEdl(src.replace(/handle_t/g, 'int'), 'e.edl'), 'x')).toBe('x');
  });

  it('emon enclave sign --edl --type embeds the declarations, and pointer return types print back', () => {
    const key = path.join(tmp, 'k.key');
    expect(emon(['enclave', 'keygen', key]).status).toBe(0);
    const mod = path.join(tmp, 'e.wasm');
    copyFileSync(path.join(buildDir, 'enclaves', 'sealer.unsigned.wasm'), mod);
    const f = path.join(tmp, 'signed.edl');
    writeFileSync(f, 'enclave { trusted { public const char* f(handle_t h, [in, count=2] handle_t* hs, long double d); }; };\n');
    const sign = emon(['enclave', 'sign', '--key', key, '--edl', f, '--type', 'handle_t=24', mod]);
    expect(sign.status, sign.stderr).toBe(0);
    const embedded = new TextDecoder().decode(readCustomSection(new Uint8Array(readFileSync(mod)), EDL_SECTION, mod)!);
    expect(embedded).toContain('// emon: type handle_t=24/8');
    const i = parseEdl(embedded, 'e.edl');
    expect(shape(i)).toEqual(shape(parseEdl(readFileSync(f, 'utf8'), 'e.edl', undefined, { types: typeOptions(['handle_t=24']) })));
    expect(shape(parseEdl(printEdl(i), 'e.edl'))).toEqual(shape(i));
    expect(printEdl(i)).toContain('public const char * f(handle_t h, [in, count=2] handle_t * hs, long double d);');
    const missing = emon(['enclave', 'sign', '--key', key, '--edl', f, mod]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('--type handle_t=SIZE');
  });

  it('emon edl check and gen take --type; without it the error names the type and the option', () => {
    const f = path.join(tmp, 'cli.edl');
    writeFileSync(f, 'enclave { include "h.h"\n trusted { public handle_t f(handle_t h, sgx_enclave_id_t e); }; };');
    const bad = emon(['edl', 'check', f]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/^emon: .*cli.edl:2:19: unknown type 'handle_t' \(the return type\): a type from an included header/);
    expect(bad.stderr).toContain('--type handle_t=SIZE');
    const ok = emon(['edl', 'check', f, '--type', 'handle_t=24']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('header type handle_t: 24 bytes, align 8 (--type)');
    expect(ok.stdout).toContain("header type sgx_enclave_id_t: uint64_t, 8 bytes, align 8 (emon's table of SDK types)");
    expect(ok.stdout).toContain('ecall 0 public handle_t f([by value] handle_t h, sgx_enclave_id_t e)');
    expect(ok.stdout).toContain('    retval: enclave → guest, 24 bytes (handle_t returned by value)');
    const gen = emon(['edl', 'gen', f, '--out', path.join(tmp, 'gen'), '--type', 'handle_t=24']);
    expect(gen.status, gen.stderr).toBe(0);
    for (const cmd of [['bench', '--help'], ['enclave', 'sign', '--help'], ['edl', 'gen', '--help']]) expect(emon(cmd).stdout).toContain('--type <NAME=SIZE>');
  });

  it('generated C defines the SDK stand-ins (unless EMON_SDK_TYPES_FROM_HEADERS) and asserts every declared size', () => {
    const i = parseEdl('enclave { trusted { public void f(sgx_ec256_public_t k, handle_t h, long double d); }; untrusted { void o(long double d); }; };', 'c.edl', undefined, { types: typeOptions(['handle_t=24']) });
    const h = generateGuestC(i);
    expect(h).toContain('#ifndef EMON_SDK_TYPES_FROM_HEADERS\ntypedef struct { _Alignas(1) uint8_t emon_bytes[64]; } sgx_ec256_public_t;');
    expect(h).toContain('_Static_assert(sizeof(handle_t) == 24 && _Alignof(handle_t) == 8');
    expect(h).toContain('frame[3].u64 = (uint32_t)(uintptr_t)&d;');
    expect(h).toContain('void o(const long double *d);');
  });

  it('cross the gate: scalar typedefs as values, sized structs copied in and out', () => {
    const i = parseEdl('enclave { trusted { public sgx_enclave_id_t f(sgx_enclave_id_t e, sgx_ec256_public_t k, [out] sgx_ec256_public_t* g_a); }; };', 's.edl');
    let seen: number[] = [];
    const w = wire(i, (env) => ({
      f(e: bigint, k: number, ga: number) {
        seen = [...env.u8().subarray(k, k + 64)];
        env.u8().set(seen.map((b) => 255 - b), ga);
        return e + 1n;
      },
    }));
    const K = G_FREE, GA = G_FREE + 128;
    w.g8().set(Array.from({ length: 64 }, (_, k) => k), K);
    const r = w.ecall('f', [0x1_0000_0001n, K, GA]);
    expect(r.status).toBe(OK);
    expect(r.ret).toBe(0x1_0000_0002n);
    expect(seen).toEqual(Array.from({ length: 64 }, (_, k) => k));
    expect([...w.g8().subarray(GA, GA + 64)]).toEqual(Array.from({ length: 64 }, (_, k) => 255 - k));
    // The copy is sizeof(T): a pointer 63 bytes from the end of guest memory is refused untouched.
    expect(w.ecall('f', [1n, K, w.g8().length - 63]).status).toBe(EINVAL);
    expect(w.rejects.at(-1)!.code).toBe('E_GATE_BOUNDS');
  });
});

describe('size= and count= together', () => {
  const i = parseEdl('enclave { trusted { public uint32_t take([in, out, size=sz, count=n] uint8_t* p, size_t sz, size_t n, uint64_t big); public uint32_t take64([in, size=sz, count=n] uint8_t* p, uint64_t sz, uint64_t n); }; };', 'sc.edl');

  it('copy count × size bytes in and back out', () => {
    let got = -1;
    const w = wire(i, (env) => ({
      take(p: number, sz: number, n: number) {
        got = sz * n;
        for (let k = 0; k < got; k++) env.u8()[p + k] = env.u8()[p + k]! + 1;
        // The byte after the copy is not the guest's: the enclave's copy is exactly count × size long.
        return 0;
      },
      take64: () => 0,
    }));
    const P = G_FREE;
    for (let k = 0; k < 40; k++) w.g8()[P + k] = k;
    expect(w.ecall('take', [P, 6, 5, 0n]).status).toBe(OK);
    expect(got).toBe(30);
    expect([...w.g8().subarray(P, P + 40)]).toEqual(Array.from({ length: 40 }, (_, k) => (k < 30 ? k + 1 : k)));
  });

  it('refuse a product that wraps in 32 bits (C would copy 0 or a few bytes) before anything moves', () => {
    const w = wire(i, () => ({ take: () => 0, take64: () => 0 }));
    const before = Buffer.from(w.e8());
    for (const [sz, n] of [[0x10000, 0x10000], [2, 0x80000001], [0xffffffff, 0xffffffff], [0x40000000, 4]] as const) {
      expect(w.ecall('take', [G_FREE, sz, n, 0n]).status).toBe(EINVAL);
      expect(w.rejects.at(-1)!.code).toBe('E_GATE_CAP');
    }
    // 64-bit operands: 2^32 × 2^32 wraps to 0 in 64 bits too.
    expect(w.ecall('take64', [G_FREE, 1n << 32n, 1n << 32n]).status).toBe(EINVAL);
    expect(w.rejects.at(-1)!.code).toBe('E_GATE_CAP');
    expect(Buffer.compare(Buffer.from(w.e8()), before)).toBe(0);
  });
});
