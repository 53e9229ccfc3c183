/**
 * The whole EDL language as sgx_edger8r accepts it (issue 13 points 1, 2, 4, 5): a sample project in the
 * shape of the SDK's SampleEnclave (fixtures written for emon) parses with its imports, the SDK's standard
 * EDLs parse, edger8r's errors come with file:line:col and the rule in words, the inlined form re-parses to
 * the same interface, and hostile input only ever yields typed errors.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEdl, STD_EDL_DIR } from '../../runtime/enclave/edl/imports.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import { printEdl } from '../../runtime/enclave/edl/print.js';
import { elementSize, type EdlInterface, type EdlStruct } from '../../runtime/enclave/edl/types.js';
import { describeInterface } from '../../runtime/enclave/edl/describe.js';
import { isEmonError } from '../../runtime/errors.js';
import { emon } from '../cli/helpers.js';

const fx = path.resolve(__dirname, 'fixtures/edl');
const sample = path.join(fx, 'sample/Enclave.edl');

function err(text: string): string {
  try {
    parseEdl(text, 'x.edl');
  } catch (e) {
    if (isEmonError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'parsed';
}
function loadErr(file: string, searchPath: string[] = []): string {
  try {
    loadEdl(file, { searchPath });
  } catch (e) {
    if (isEmonError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'parsed';
}

/** The interface minus source locations, for comparing a re-parse. */
function shape(i: EdlInterface): unknown {
  return JSON.parse(JSON.stringify({ t: i.trusted, u: i.untrusted, ty: i.types, inc: i.includes }, (k, v) => (k === 'loc' || k === 'from' ? undefined : v)));
}

describe('a sample SGX project', () => {
  const i = loadEdl(sample);

  it('merges imports (selective, *, a diamond once), the includes and the types, numbering ECALLs and OCALLs in order', () => {
    const names = i.trusted.map((f) => f.name);
    expect(names.slice(0, 3)).toEqual(['ecall_type_char', 'ecall_type_int', 'ecall_type_float']);
    expect(names).toContain('ecall_array_2d');
    expect(names).toContain('ecall_increase_counter');
    expect(names).not.toContain('ecall_not_imported');
    expect(names.filter((n) => n === 'ecall_type_int')).toHaveLength(1);
    i.trusted.forEach((f, k) => expect(f.index).toBe(k));
    i.untrusted.forEach((f, k) => expect(f.index).toBe(k));
    expect(i.untrusted.filter((f) => f.name === 'sgx_oc_cpuidex')).toHaveLength(1);
    expect(i.untrusted.at(-1)!.name).toBe('ocall_print_string');
    expect(i.includes).toEqual(['user_types.h']);
    expect((i.types ?? []).map((t) => `${t.kind} ${t.name}`)).toEqual(['struct struct_foo_t', 'enum enum_foo_t', 'union union_foo_t']);
    expect(i.imports!.find((x) => x.spec === 'sgx_tstdc.edl')!.file).toBe(path.relative(process.cwd(), path.join(STD_EDL_DIR, 'sgx_tstdc.edl')));
  });

  it('keeps every attribute with the meaning edger8r gives it', () => {
    const fn = (n: string) => [...i.trusted, ...i.untrusted].find((f) => f.name === n)!;
    expect(fn('ecall_type_struct').params[0]).toMatchObject({ byValue: true, direction: 'in' });
    expect(fn('ecall_pointer_in').params[0]!.direction).toBe('in');
    expect(elementSize(fn('ecall_pointer_in').params[0]!.type)).toBe(4);
    expect(elementSize(fn('ecall_pointer_struct').params[0]!.type)).toBe(16);
    expect(fn('ecall_pointer_size_count').params[0]).toMatchObject({ size: { kind: 'const', value: 4 }, count: { kind: 'param', name: 'n' } });
    expect(fn('ecall_pointer_isptr_readonly').params[0]).toMatchObject({ flags: ['isptr', 'readonly'], type: { foreign: true, pointer: true, isConst: true } });
    expect(fn('ecall_array_2d').params[0]).toMatchObject({ dims: [2, 3], count: { kind: 'const', value: 6 }, direction: 'inout' });
    expect(fn('ecall_array_isary').params[0]).toMatchObject({ flags: ['isary'], size: { kind: 'const', value: 16 } });
    expect(fn('ocall_pointer_wstring').params[0]).toMatchObject({ isString: true, isWide: true });
    expect(fn('sgx_thread_set_multiple_untrusted_events_ocall').params[0]!.type.depth).toBe(2);
    expect(elementSize(fn('sgx_thread_set_multiple_untrusted_events_ocall').params[0]!.type)).toBe(4);
    expect(fn('ocall_function_allow').attrs).toEqual(['cdecl']);
    expect(fn('ocall_function_win').attrs).toEqual(['stdcall', 'dllimport', 'propagate_errno']);
    expect(fn('ocall_function_fast').attrs).toEqual(['fastcall', 'transition_using_threads']);
    expect(fn('ecall_pointer_private').isPublic).toBe(false);
    expect(fn('ocall_private_caller').allow).toEqual(['ecall_pointer_private']);
    const u = i.types!.find((t) => t.name === 'union_foo_t') as EdlStruct;
    expect([u.size, u.align, ...u.members.map((m) => m.offset)]).toEqual([8, 8, 0, 0, 0]);
  });

  it('prints back as one self-contained EDL that parses to the same interface', () => {
    const text = printEdl(i);
    expect(text).not.toMatch(/\bfrom\b.*import/);
    expect(shape(parseEdl(text, 'Enclave.edl'))).toEqual(shape(i));
  });

  it('parses the SDK standard EDLs emon ships', () => {
    for (const f of ['sgx_tstdc.edl', 'sgx_pthread.edl', 'sgx_tswitchless.edl', 'sgx_tkey_exchange.edl', 'sgx_tprotected_fs.edl', 'sgx_ttls.edl', 'sgx_dcap_tvl.edl']) {
      const s = loadEdl(path.join(STD_EDL_DIR, f));
      expect(s.untrusted.length + s.trusted.length).toBeGreaterThan(0);
    }
    expect(loadEdl(path.join(STD_EDL_DIR, 'sgx_tswitchless.edl')).trusted.map((f) => f.name)).toEqual(['sl_init_switchless', 'sl_run_switchless_tworker']);
    expect(loadEdl(path.join(STD_EDL_DIR, 'sgx_tkey_exchange.edl')).trusted.map((f) => f.name)).toEqual(['sgx_ra_get_ga', 'sgx_ra_proc_msg2_trusted', 'sgx_ra_get_msg3_trusted']);
  });

  it('emon edl check shows imports, types with sizes and offsets, and each copy with its direction and bytes', () => {
    const r = emon(['edl', 'check', sample]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('struct struct_foo_t: 16 bytes, align 8');
    expect(r.stdout).toContain('    +8 uint64_t struct_foo_1 (8 bytes)');
    expect(r.stdout).toMatch(/import "Edger8rSyntax\/Types.edl" -> .*Types.edl \(\*\)/);
    expect(r.stdout).toContain('    grid: guest → enclave → guest, 6 bytes');
    expect(r.stdout).toContain('    arr: guest → enclave → guest, cnt × 4 bytes');
    expect(r.stdout).toContain('    val: guest → enclave, 16 bytes (a copy of the struct)');
    // Return types (scalar, pointer) and calling conventions, as the EDL writes them.
    expect(r.stdout).toMatch(/^ecall \d+ public size_t ecall_counter_value\(\)  \[from .*Thread.edl\]$/m);
    expect(r.stdout).toMatch(/^ecall \d+ public void ecall_type_char\(char val\)/m);
    expect(r.stdout).toMatch(/^ocall \d+ \[stdcall, dllimport\] int ocall_function_win\(\) propagate_errno/m);
    expect(r.stdout).toMatch(/^ocall \d+ \[fastcall\] int ocall_function_fast\(int x\) transition_using_threads/m);
    expect(describeInterface(parseEdl('enclave { struct s2 { int a; }; trusted { [cdecl] public const char* f(void); public struct s2* g(void); }; };', 'p.edl')).filter((l) => l.startsWith('ecall'))).toEqual([
      'ecall 0 [cdecl] public const char* f()',
      'ecall 1 public struct s2* g()',
    ]);
    expect(describeInterface(i)).toEqual(r.stdout.trimEnd().split('\n'));
    expect(emon(['edl', 'check', '--help']).stdout).toContain('--search-path');
  });
});

describe('imports', () => {
  it('search the importing folder first, then --search-path in order, then the standard EDLs', () => {
    expect(loadErr(path.join(fx, 'errors/not_found.edl'))).toMatch(/^E_EDL_IMPORT .*not_found.edl:2:5: cannot find "missing.edl" \(searched .*errors, .*enclaves\/sdk\/edl\)/);
    // With the sample's folder on the search path, a bare file name resolves there.
    const t = loadEdl(path.join(fx, 'errors/../sample/TrustedLibrary/Thread.edl'), { searchPath: [path.join(fx, 'sample')] });
    expect(t.trusted.map((f) => f.name)).toEqual(['ecall_increase_counter', 'ecall_counter_value', 'ecall_not_imported']);
  });

  it('emon edl gen --search-path: the importing folder wins over the search path, which finds the rest', () => {
    const app = path.join(fx, 'searchpath/app.edl');
    const out = path.join(os.tmpdir(), `emon-edl-sp-${process.pid}`);
    const miss = emon(['edl', 'gen', app, '--out', out]);
    expect(miss.status).not.toBe(0);
    expect(miss.stderr).toMatch(/^emon: .*app.edl:4:5: cannot find "Only.edl"/);
    expect(miss.stderr).toContain('hint: add its folder with --search-path DIR');
    const ok = emon(['edl', 'gen', app, '--out', out, '--search-path', path.join(fx, 'searchpath/lib')]);
    expect(ok.status, ok.stderr).toBe(0);
    const h = readFileSync(path.join(out, 'app_u.h'), 'utf8');
    expect(h).toContain('from_app_folder');
    expect(h).not.toContain('from_search_path');
    expect(h).toContain('static inline int32_t lib_only(int32_t handle, int *retval, struct pair_t *p)');
    rmSync(out, { recursive: true, force: true });
  });

  it('name cycles and unknown imported functions, with the import statement location', () => {
    expect(loadErr(path.join(fx, 'errors/cycle_a.edl'))).toMatch(/^E_EDL_IMPORT_CYCLE .*cycle_b.edl:2:5: import cycle cycle_a.edl -> cycle_b.edl -> cycle_a.edl/);
    expect(loadErr(path.join(fx, 'errors/unknown_fn.edl'))).toMatch(/^E_EDL_IMPORT .*unknown_fn.edl:2:5: ".*Thread.edl" declares no function 'nope'/);
  });
});

describe('random import graphs', () => {
  it('load when acyclic (each file once, every function numbered once) and name a cycle when there is one', () => {
    const graph = fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(graph, (edges) => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'emon-edl-graph-'));
        try {
          const n = edges.length;
          edges.forEach((to, k) => {
            const imports = [...new Set(to.filter((t) => t < n))].map((t) => `from "g${t}.edl" import *;`).join(' ');
            writeFileSync(path.join(dir, `g${k}.edl`), `enclave { ${imports} trusted { public void f${k}(void); }; };`);
          });
          // Reachable from g0, and is there a cycle among them?
          const reach = new Set<number>();
          let cyclic = false;
          const state = new Map<number, 'open' | 'done'>();
          const visit = (k: number): void => {
            if (state.get(k) === 'open') return void (cyclic = true);
            if (state.get(k) === 'done') return;
            state.set(k, 'open');
            reach.add(k);
            for (const t of edges[k]!) if (t < n) visit(t);
            state.set(k, 'done');
          };
          visit(0);
          let result: string;
          try {
            const i = loadEdl(path.join(dir, 'g0.edl'));
            result = i.trusted.map((f) => f.name).sort().join(',');
          } catch (e) {
            expect(isEmonError(e), String(e)).toBe(true);
            result = (e as { code: string }).code;
          }
          if (cyclic) expect(result).toBe('E_EDL_IMPORT_CYCLE');
          else expect(result).toBe([...reach].map((k) => `f${k}`).sort().join(','));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('edger8r errors, with file:line:col and the rule in words', () => {
  it.each([
    ['enclave { trusted { public void f([out] const int* p); }; };', /x.edl:1:35: 'p' is const but marked \[out\] \(edger8r: an \[out\] pointer must be writable\)/],
    ['enclave { trusted { public void f([in, string, size=4] char* s); }; };', /x.edl:1:35: 'string' cannot be combined with size= or count=/],
    ['enclave { trusted { public void f([in] void* p); }; };', /x.edl:1:35: void pointer 'p' needs size= or count= for \[in\]/],
    ['enclave { trusted { public void f(my_t v); }; };', /^E_EDL_TYPE x.edl:1:35: unknown type 'my_t'/],
    ['enclave { trusted { public void f([in] struct nope* v); }; };', /^E_EDL_TYPE x.edl:1:47: unknown type 'struct nope'/],
    ['enclave { trusted { public void f(void); };\n untrusted { void f(void); }; };', /x.edl:2:14: function 'f' is already declared at line 1/],
    ['enclave { trusted { public void f(void); }; untrusted { void g(void) allow(h); }; };', /allow\(h\) names no trusted function/],
    ['enclave { trusted { public void f([in, sizefunc=sz] int* p); }; };', /^E_EDL_UNSUPPORTED x.edl:1:40: 'sizefunc' was removed from the Intel SGX SDK/],
    ['enclave { trusted { public void f([in, isptr] int* p); }; };', /'isptr' marks a type defined in an included header/],
    ['enclave { trusted { public void f([in, readonly, size=4] void* p); }; };', /'readonly' goes with 'isptr'/],
    ['enclave { trusted { public void f([in, size=4] int a[4]); }; };', /array 'a' has a fixed size/],
    ['enclave { trusted { public void f([in, isary] array_t a); }; };', /^E_EDL_TYPE x.edl:1:35: 'a' of header type 'array_t' needs size= for \[in\]: emon does not read C headers/],
    ['enclave { struct s { [size=n] uint8_t* p; uint32_t q; }; };', /x.edl:1:28: size\/count of member 'p' refers to unknown member 'n'/],
    ['enclave { union u { size_t n; [size=n] uint8_t* p; }; };', /a union member cannot be deep-copied/],
    ['enclave { struct s { size_t n; [size=n] uint8_t* p; };\n trusted { public void f([out] struct s* v); }; };', /x.edl:2:26: \[out\] cannot deep-copy s/],
    ['enclave { struct s { int a; }; struct s { int b; }; };', /struct 's' is already defined/],
    ['enclave { trusted { public struct_t f(void); }; };', /unknown type 'struct_t'/],
    ['enclave { trusted { [cdecl, fancy] void f(void); }; };', /unknown function attribute 'fancy'/],
    ['enclave { trusted { public void f(void) propagate_errno; }; };', /'propagate_errno' applies to untrusted functions only/],
    ['enclave { struct e { int a[0]; }; };', /array dimension 0 is out of range/],
    ['enclave { enum e { A = 2147483648 }; };', /does not fit an int/],
  ])('%s', (text, re) => {
    expect(err(text)).toMatch(re);
  });

  it('accepts what edger8r accepts around those rules', () => {
    expect(err('enclave { trusted { public void f([in, out, string] char* s, [in, count=4] const struct s0* none); }; };')).toMatch(/unknown type 'struct s0'/);
    expect(err('enclave { enum e { A, B = A, C }; struct s { uint8_t g[B + 0]; }; };')).toMatch(/unexpected character '\+'/);
    expect(err('enclave { enum e { A = 3, B }; struct s { uint8_t g[B]; }; trusted { public int f([in, count=A] int* p); }; };')).toBe('parsed');
    expect(err('enclave { trusted { public void* f(void); }; untrusted { [cdecl] int* g(void); }; };')).toBe('parsed');
    // An [isary] header array without a direction passes as it is, like [user_check].
    expect(parseEdl('enclave { trusted { public void f([isary] array_t a); }; };', 'x.edl').trusted[0]!.params[0]!.direction).toBe('user_check');
  });
});

describe('hostile input', () => {
  it('never yields anything but a typed error naming the file', () => {
    const tokens = ['enclave', '{', '}', ';', 'trusted', 'untrusted', 'public', 'int', 'char', '*', '(', ')', '[', ']', 'in', 'out', ',', 'size', '=', 'len', 'x', '1', '0', '"s.edl"', 'allow', 'const', 'string', 'wstring', 'user_check', 'count', 'void', 'struct', 'union', 'enum', 'from', 'import', 'include', 'isptr', 'isary', 'readonly', 'sizefunc', '-', 'wchar_t', 'uint8_t', 'cdecl', 'propagate_errno', 'transition_using_threads', '/*', '*/', '//', '4294967296', '0x7fffffff', 'long', 'double', 'h_t', 'sgx_report_t', '/* emon: type h_t=8 */', '/* emon: type h_t=x */', '// emon: type'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 60 }), fc.string({ maxLength: 60 }), (words, noise) => {
        for (const text of [words.join(' '), noise, `enclave { ${words.join(' ')} };`, `enclave { struct s { ${words.join(' ')} }; };`, `enclave { trusted { ${words.join(' ')} }; };`]) {
          try {
            parseEdl(text, 'r.edl');
          } catch (e) {
            expect(isEmonError(e), String(e)).toBe(true);
            expect((e as Error).message).toMatch(/^r\.edl(:\d+:\d+)?: /);
          }
        }
      }),
      { numRuns: 600 },
    );
  });

  it('refuses deep nesting and huge arrays without exhausting memory', () => {
    expect(err(`enclave { struct s { uint8_t a[16777216][16777216][16777216]; }; };`)).toMatch(/^E_EDL_SYNTAX x.edl:1:18: struct s is .* bytes, more than a wasm32 memory can hold/);
    expect(err('enclave { trusted { public void f([in] int a[16777216][16777216]); }; };')).toMatch(/array 'a' is larger than a wasm32 memory/);
    const deep = Array.from({ length: 200 }, (_, k) => `struct s${k} { ${k ? `struct s${k - 1} x;` : 'int x;'} };`).join(' ');
    expect(err(`enclave { ${deep} };`)).toBe('parsed');
  });
});
