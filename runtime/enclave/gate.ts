/**
 * The gate between one guest and one enclave instance (DESIGN.md §4): the only host code that copies bytes
 * between their memories. It compiles the per-function closures of ./gate-codegen.ts once, when the enclave is
 * opened, and exposes them as `ecalls[i](framePtr)` for the "emon" import and as the enclave's "emon_ocall"
 * imports. The Intel SGX SDK does the same work in sgx_edger8r-generated code on both sides of the boundary.
 */
import { EmonError } from '../errors.js';
import type { EnclaveMemoryAccess } from '../hw/sgx/enclave.js';
import type { TraceSink } from '../trace/sink.js';
import { DEFAULT_CALL_CAP } from './abi.js';
import type { EdlInterface } from './edl/types.js';
import { ecallSource, ocallSource } from './gate-codegen.js';
import { GateContext } from './gate-context.js';
import { STD_ECALLS, STD_OCALLS, stdEcall, stdOcall } from './std-ocalls.js';
import { findSignature, handlerSignature, hasSignature } from './handler-type.js';

export type EcallFn = (framePtr: number) => number;
type EcallFactory = (c: GateContext, fn: Function, name: string) => EcallFn;
type OcallFactory = (c: GateContext, h: Function, name: string, index: number) => Function;

/** Compiled factories, shared by every instance of the same interface (compiling once per EDL, not per open). */
const compiled = new WeakMap<EdlInterface, { ecalls: EcallFactory[]; ocalls: OcallFactory[] }>();

function factories(iface: EdlInterface): { ecalls: EcallFactory[]; ocalls: OcallFactory[] } {
  let hit = compiled.get(iface);
  if (!hit) {
    const n = iface.trusted.length;
    hit = {
      ecalls: iface.trusted.map((f) => new Function('c', 'fn', 'name', ecallSource(f, n)) as EcallFactory),
      ocalls: iface.untrusted.map((f) => new Function('c', 'h', 'name', 'index', ocallSource(f)) as OcallFactory),
    };
    compiled.set(iface, hit);
  }
  return hit;
}

export interface GateOptions {
  readonly iface: EdlInterface;
  /** Names used in messages and the trace track: `${guest}/${enclave}`. */
  readonly guest: string;
  readonly enclave: string;
  readonly guestMemory: () => WebAssembly.Memory;
  readonly guestExports: () => WebAssembly.Exports;
  readonly scratch: { readonly ptr: number; readonly len: number };
  readonly trace: TraceSink | null;
  readonly spinEcall: (() => void) | null;
  readonly spinOcall: (() => void) | null;
  readonly callCap?: number;
}

/**
 * Build the OCALL imports first (the enclave needs them to instantiate), then `attach` the instance to get the
 * ECALL entry points. Missing guest handlers are found here, before the enclave exists.
 */
export class Gate {
  readonly ctx: GateContext;
  readonly ecalls: EcallFn[] = [];
  /** The enclave's "emon_ocall" import module. */
  readonly ocallImports: Record<string, Function> = {};

  constructor(private readonly o: GateOptions) {
    const { iface } = o;
    const ex = o.guestExports();
    const handlers = iface.untrusted.map((f) => {
      const h = ex[f.name];
      // The SDK's standard OCALLs (sgx_tstdc.edl, ...) are served by emon unless the guest serves them.
      if (typeof h !== 'function' && STD_OCALLS[f.name]) return null;
      if (typeof h !== 'function') {
        throw new EmonError('E_GATE_OCALL', `guest ${o.guest}: enclave ${o.enclave} declares OCALL ${f.name} but the guest exports no function of that name`, {
          hint: `export a handler named ${f.name} from the guest (see the generated ${iface.name}_u stubs)`,
        });
      }
      const want = handlerSignature(f);
      if (!hasSignature(h, want)) {
        const got = findSignature(h);
        throw new EmonError('E_GATE_OCALL', `guest ${o.guest}: enclave ${o.enclave} declares OCALL ${f.name} as (${want}), but the guest's export ${f.name} is (${got ?? `another type with ${h.length} parameters`})`, {
          hint: `export ${f.name} with the type of the generated ${iface.name}_u stubs: (${want})`,
        });
      }
      return h;
    });
    const nE = iface.trusted.length;
    const allowed = new Uint8Array(Math.max(1, iface.untrusted.length * nE));
    iface.untrusted.forEach((u, ui) => {
      for (const name of u.allow) allowed[ui * nE + iface.trusted.findIndex((t) => t.name === name)] = 1;
    });
    this.ctx = new GateContext(
      o.guestMemory,
      o.scratch.ptr,
      o.scratch.ptr + o.scratch.len,
      o.callCap ?? DEFAULT_CALL_CAP,
      allowed,
      o.trace,
      `${o.guest}/${o.enclave}`,
      o.spinEcall,
      o.spinOcall,
    );
    const { ocalls } = factories(iface);
    iface.untrusted.forEach((f, i) => {
      const h = handlers[i];
      this.ocallImports[f.name] = h ? ocalls[i]!(this.ctx, h, f.name, i) : stdOcall(f, this.ctx)!;
    });
  }

  /** Wire the instance: check its marshalling area and exports, then specialise every ECALL. */
  attach(exports: WebAssembly.Exports, memory: WebAssembly.Memory, memoryLimit: number, access: EnclaveMemoryAccess | null = null): void {
    const { iface, enclave, guest } = this.o;
    const what = `guest ${guest}: enclave ${enclave}`;
    const msFn = exports['__emon_ms'];
    const msSizeFn = exports['__emon_ms_size'];
    if (typeof msFn !== 'function' || typeof msSizeFn !== 'function') {
      throw new EmonError('E_ENCLAVE_EXPORTS', `${what}: the enclave exports no marshalling area (__emon_ms, __emon_ms_size)`, {
        hint: `re-export them from the generated ${iface.name}_t.ts in the enclave's entry file`,
      });
    }
    const msBase = Number(msFn()) >>> 0;
    const msSize = Number(msSizeFn()) >>> 0;
    if (msBase + msSize > memory.buffer.byteLength || msSize === 0) {
      throw new EmonError('E_ENCLAVE_EXPORTS', `${what}: the marshalling area [${msBase}, +${msSize}) lies outside the enclave's memory`, { hint: 'rebuild the enclave' });
    }
    const { ecalls } = factories(iface);
    const fns = iface.trusted.map((f) => {
      const fn = exports[f.name];
      // The ECALLs of the SDK's trusted libraries (sgx_tswitchless.edl, ...) are emon's unless the enclave has them.
      if (typeof fn !== 'function' && STD_ECALLS[f.name]) return null;
      if (typeof fn !== 'function') {
        throw new EmonError('E_ENCLAVE_EXPORTS', `${what}: the enclave does not export ECALL ${f.name} declared in ${iface.name}.edl`, {
          hint: `export function ${f.name} from the enclave's entry file`,
        });
      }
      return fn;
    });
    this.ctx.bindEnclave(memory, msBase, msBase + msSize, memoryLimit, access);
    iface.trusted.forEach((f, i) => this.ecalls.push(fns[i] ? ecalls[i]!(this.ctx, fns[i]!, f.name) : stdEcall(f, this.ctx)!));
  }
}
