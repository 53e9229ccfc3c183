/**
 * The EDL parser and generators (issue 5 point 1): the SGX syntax and attributes parse into the meaning
 * sgx_edger8r gives them; syntax errors and unsupported constructs name file:line:col; random input never
 * escapes as anything but a typed error. The generated code itself is compiled by the build (30-enclaves).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEnclaveAs } from '../../runtime/enclave/edl/gen-enclave-as.js';
import { generateGuestAs } from '../../runtime/enclave/edl/gen-guest-as.js';
import { generateGuestC } from '../../runtime/enclave/edl/gen-guest-c.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import { isEmonError } from '../../runtime/errors.js';

const good = `
/* comment */ enclave {
  trusted {
    public int f([in, size=len] const uint8_t* buf, size_t len, [out, count=n] uint32_t* out, size_t n);
    public void g([in, string] const char* s, [user_check] void* p, double d, unsigned long long q);
    int priv(void);
    public unsigned int h([in, out] int64_t* x);
  };
  untrusted {
    void log([in, string] const char* m) allow(priv, f);
    int64_t t();
  };
};`;

function err(text: string): string {
  try {
    parseEdl(text, 'x.edl');
  } catch (e) {
    if (isEmonError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'parsed';
}

describe('EDL parser', () => {
  it('parses sections, visibility, attributes and types', () => {
    const i = parseEdl(good, 'dir/iface.edl');
    expect(i.name).toBe('iface');
    expect(i.trusted.map((f) => [f.name, f.index, f.isPublic])).toEqual([['f', 0, true], ['g', 1, true], ['priv', 2, false], ['h', 3, true]]);
    const [buf, len, out, n] = i.trusted[0]!.params;
    expect([buf!.direction, buf!.size, buf!.type.isConst]).toEqual(['in', { kind: 'param', name: 'len', index: 1 }, true]);
    expect(len!.direction).toBeNull();
    expect([out!.direction, out!.count]).toEqual(['out', { kind: 'param', name: 'n', index: 3 }]);
    expect(n!.type.base).toBe('size_t');
    const g = i.trusted[1]!.params;
    expect([g[0]!.isString, g[1]!.direction, g[2]!.type.base, g[3]!.type.base]).toEqual([true, 'user_check', 'double', 'unsigned long long']);
    expect(i.trusted[3]!.params[0]!.direction).toBe('inout');
    expect(i.trusted[3]!.ret.base).toBe('unsigned');
    expect(i.untrusted[0]!.allow).toEqual(['priv', 'f']);
    expect(i.untrusted[1]!.params).toEqual([]);
  });

  it('names file, line and column in syntax errors', () => {
    expect(err('enclave {\n  trusted {\n    public int f(int x;\n  };\n};')).toBe("E_EDL_SYNTAX x.edl:3:23: expected ',', found ';'");
    expect(err('enclave { trusted { public int f(); }; }; junk')).toMatch(/^E_EDL_SYNTAX x.edl:1:43: unexpected 'junk'/);
    expect(err('enclave { trusted { int f(int* p); }; };')).toMatch(/x.edl:1:32: pointer parameter 'p' needs \[in\]/);
    expect(err('enclave { trusted { int f([in] int x); }; };')).toMatch(/x.edl:1:27: attributes apply to pointer and array parameters only/);
    expect(err('enclave { trusted { int f([in, size=n] uint8_t* p); }; };')).toMatch(/unknown parameter 'n'/);
    expect(err('enclave { untrusted { void f() allow(nope); }; };')).toMatch(/allow\(nope\) names no trusted function/);
    expect(err('enclave { trusted { int f([out] const char* p); }; };')).toMatch(/const but marked \[out\]/);
    expect(err('enclave { trusted { int f([out, string] char* p); }; };')).toMatch(/'string' needs \[in\]/);
    expect(err('enclave { trusted { int f([in] void* p); }; };')).toMatch(/void pointer 'p' needs size= or count=/);
    expect(err('enclave { trusted { int f(); int f(); }; };')).toMatch(/already declared/);
    expect(err('enclave { trusted { int f(/* open')).toMatch(/unterminated comment/);
  });

  it('refuses what edger8r refuses, and what emon cannot know, with the location', () => {
    expect(err('enclave { from "a.edl" import *; };')).toMatch(/^E_EDL_IMPORT x.edl:1:11: cannot import "a.edl"/);
    expect(err('enclave { trusted { int f([in, isptr] foo p); }; };')).toMatch(/^E_EDL_TYPE x.edl:1:27: 'p' of header type 'foo' needs size= for \[in\]: emon does not read C headers/);
    expect(err('enclave { trusted { int f(foo p); }; };')).toMatch(/^E_EDL_TYPE x.edl:1:27: unknown type 'foo'/);
    expect(err('enclave { trusted { int f([in, sizefunc=g] int* p); }; };')).toMatch(/^E_EDL_UNSUPPORTED x.edl:1:32: 'sizefunc' was removed/);
    expect(err('#include <x>\nenclave {};')).toMatch(/^E_EDL_SYNTAX x.edl:1:1: preprocessor/);
  });

  it('never throws anything but a typed error on random input', () => {
    const tokens = ['enclave', '{', '}', ';', 'trusted', 'untrusted', 'public', 'int', 'char', '*', '(', ')', '[', ']', 'in', 'out', ',', 'size', '=', 'len', 'x', '1', '"s"', 'allow', 'const', 'string', 'user_check', 'count', 'void', '/*', '*/', '//'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { maxLength: 40 }), fc.string({ maxLength: 40 }), (words, noise) => {
        for (const text of [words.join(' '), noise, `enclave { trusted { ${words.join(' ')} }; };`]) {
          try {
            parseEdl(text, 'r.edl');
          } catch (e) {
            expect(isEmonError(e)).toBe(true);
            expect((e as Error).message).toMatch(/^r\.edl(:\d+:\d+)?: /);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('EDL generators', () => {
  const i = parseEdl(good, 'iface.edl');
  it('mark every output as generated and cover every function', () => {
    for (const text of [generateGuestAs(i), generateEnclaveAs(i), generateGuestC(i)]) {
      expect(text.split('\n')[0]).toMatch(/generated by emon edl from iface\.edl — do not edit/);
    }
    const guest = generateGuestAs(i);
    for (const f of i.trusted) expect(guest).toContain(`export function ${f.name}(handle: i32`);
    const c = generateGuestC(i);
    for (const f of i.untrusted) expect(c).toContain(`export_name("${f.name}")`);
    const enc = generateEnclaveAs(i);
    for (const f of i.untrusted) expect(enc).toContain(`@external("emon_ocall", "${f.name}")`);
  });
});
