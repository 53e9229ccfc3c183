/**
 * Instruction fetch from code pages (issue 18), a model: in SGX an enclave's code lives in EPC pages like its
 * data, so the OS sees code-page faults and A bits too, and a secret-dependent branch between functions on
 * different pages leaks through them (Xu et al., IEEE S&P 2015, §4: the control flow of libjpeg and FreeType
 * recovered from code-page faults alone). Wasm code is not in linear memory, so this pass lays the module's
 * functions out one after the other by their size in the binary, as a linker lays out .text, in a code region
 * at the top of the enclave's configured size, and makes each function fetch its first code page when it is
 * entered (a one-byte load that the EPC instrumentation then guards like any other). Returns from a callee to
 * its caller's page are not fetched again (a simplification: the caller's page was fetched when it was
 * entered). The region is EADDed with the enclave and paged like data (space.ts `reserveCode`); growth of the
 * enclave's memory stops below it.
 */
import binaryen from 'binaryen';
import { EmonError } from '../../errors.js';
import { wrapper } from './ir.js';
import { PAGE_SIZE, WASM_PAGE } from './size.js';

const B = binaryen;

export interface CodeFetchModule {
  readonly bytes: Uint8Array;
  /** 64 KiB pages at the top of the configured size that hold the code region. */
  readonly codeWasmPages: number;
  /** Byte address of the code region. */
  readonly codeBase: number;
  /** 4 KiB code page (absolute page number) of each defined function's entry, by name. */
  readonly entryPage: ReadonlyMap<string, number>;
}

function leb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    if (b === undefined) throw new Error('truncated LEB128');
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [v, at];
  }
}

/** The body size in bytes of each defined function, in order, from the binary's code section. */
function bodySizes(bytes: Uint8Array): number[] {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, start] = leb(bytes, at + 1);
    if (id === 10) {
      let [count, p] = leb(bytes, start);
      const out: number[] = [];
      while (count-- > 0) {
        const [n, body] = leb(bytes, p);
        out.push(n);
        p = body + n;
      }
      return out;
    }
    at = start + size;
  }
  return [];
}

/** Adds code-page fetches to a module to be loaded paged with a configured size of `maxBytes`. */
export function instrumentCodeFetch(bytes: Uint8Array, options: { name: string; maxBytes: number }): CodeFetchModule {
  let m: binaryen.Module;
  try {
    m = B.readBinary(bytes);
  } catch (e) {
    throw new EmonError('E_BAD_WASM', `enclave ${options.name} is not a valid Wasm module`, { cause: e, hint: 'check the enclave file' });
  }
  try {
    m.setFeatures(B.Features.All);
    const sizes = bodySizes(bytes);
    const defined: number[] = [];
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const f = m.getFunctionByIndex(i);
      if (!B.getFunctionInfo(f).module) defined.push(f);
    }
    if (sizes.length !== defined.length) {
      throw new EmonError('E_EPC_INSTRUMENT', `enclave ${options.name}: its code section lists ${sizes.length} bodies for ${defined.length} functions`, { hint: 'check the enclave file' });
    }
    const codeBytes = sizes.reduce((a, b) => a + b, 0);
    const codeWasmPages = Math.max(1, Math.ceil(codeBytes / WASM_PAGE));
    const maxWasmPages = Math.ceil(options.maxBytes / WASM_PAGE);
    if (codeWasmPages >= maxWasmPages) {
      throw new EmonError('E_EPC_INSTRUMENT', `enclave ${options.name}: its ${codeBytes} bytes of code do not fit below its configured size of ${options.maxBytes} bytes`, { hint: 'give the enclave a larger size' });
    }
    const codeBase = (maxWasmPages - codeWasmPages) * WASM_PAGE;
    const entryPage = new Map<string, number>();
    let offset = 0;
    defined.forEach((f, i) => {
      const info = B.getFunctionInfo(f);
      const page = Math.floor((codeBase + offset) / PAGE_SIZE);
      entryPage.set(info.name, page);
      offset += sizes[i]!;
      const fetch = m.drop(m.i32.load8_u(0, 1, m.i32.const(page * PAGE_SIZE)));
      const body = m.block(null, [fetch, info.body], B.getExpressionType(info.body));
      wrapper('Function').setBody!(f, body);
    });
    if (!m.validate()) throw new EmonError('E_EPC_INSTRUMENT', `enclave ${options.name}: the module with code fetches does not validate`);
    return { bytes: m.emitBinary(), codeWasmPages, codeBase, entryPage };
  } finally {
    m.dispose();
  }
}
