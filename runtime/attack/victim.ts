/**
 * A victim enclave under an adversarial monitor (issue 18): loads a module that follows the victim protocol
 * (docs/side-channels.md) into its own paged EPC, provisions a secret into it as hw would (a hw-side copy, like
 * the gate's [in] buffers), runs one ECALL and serves its OCALLs, calling the monitor's hooks at every
 * transition. This is the test bench; the attack modules only ever get the `OsPageView` and the hooks.
 */
import { EmonError } from '../errors.js';
import type { SetAssocCache } from '../hw/cache/model.js';
import { cacheRouting } from '../hw/cache/instrument.js';
import { Epc, instrumentCodeFetch, pagingCounterImports, type EnclaveSpace, type OsPageView } from '../hw/epc/index.js';
import type { TransitionHooks } from './module.js';
import type { Observation } from './observation.js';

export const VICTIM_IMPORT = 'emon_victim';
/** Longest secret a victim takes (one byte per symbol, one page). */
export const MAX_SECRET = 4096;

export interface VictimOptions {
  /** Name for messages and the fault channel. */
  readonly name: string;
  /** The EPC to load into (default: a fresh 1024-page one, no pressure). */
  readonly epc?: Epc;
  /** Most memory the enclave may grow to (default 1 MiB). */
  readonly maxBytes?: number;
  /** Route the enclave's loads and stores through this cache model (hw/cache), for cache attacks. */
  readonly cache?: SetAssocCache;
}

type Entry = (n: number) => number;

export class VictimEnclave {
  readonly epc: Epc;
  readonly view: OsPageView;
  readonly name: string;
  /** The 4 KiB page numbers of the code region, [first, end). */
  readonly codePages: { readonly first: number; readonly end: number };
  private readonly space: EnclaveSpace;
  private readonly exports: WebAssembly.Exports;
  private hooks: TransitionHooks | null = null;
  private obs: Observation | null = null;
  private unsubscribe: (() => void) | null = null;

  private constructor(epc: Epc, space: EnclaveSpace, exports: WebAssembly.Exports, name: string) {
    this.epc = epc;
    this.space = space;
    this.exports = exports;
    this.name = name;
    this.view = epc.osView(space);
    this.codePages = { first: space.codeBase / 4096, end: space.codeEnd / 4096 };
  }

  static async load(bytes: Uint8Array, options: VictimOptions): Promise<VictimEnclave> {
    const name = options.name;
    if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
      throw new EmonError('E_BAD_WASM', `victim ${name} is not a valid WebAssembly module`, { hint: 'give a .wasm file built for the victim protocol (docs/side-channels.md)' });
    }
    const plain = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const exported = new Set(WebAssembly.Module.exports(plain).filter((e) => e.kind === 'function').map((e) => e.name));
    if (!exported.has('secret_buf')) {
      throw new EmonError('E_ATTACK_VICTIM', `victim ${name} does not export secret_buf()`, { hint: 'a victim exports secret_buf(): i32 and ECALLs (n: i32) => i32 (docs/side-channels.md)' });
    }
    for (const i of WebAssembly.Module.imports(plain)) {
      const ok = (i.module === VICTIM_IMPORT && i.name === 'ocall') || (i.module === 'emon_hw' && i.name === 'paging_events');
      if (!ok) {
        throw new EmonError('E_ATTACK_VICTIM', `victim ${name} imports ${i.module}.${i.name}, which a victim enclave cannot have`, {
          hint: 'a victim may import only emon_victim.ocall(kind, size) and emon_hw.paging_events()',
        });
      }
    }
    const epc = options.epc ?? new Epc({ pages: 1024 });
    const maxBytes = options.maxBytes ?? 1 << 20;
    // Code pages are observed too: each function fetches its code page on entry (code-fetch.ts).
    const cache = options.cache ? cacheRouting(options.cache) : null;
    const routed = cache ? cache.rewrite(bytes, name) : bytes;
    const code = instrumentCodeFetch(routed, { name, maxBytes });
    const prepared = epc.prepare(code.bytes, { name, maxBytes });
    const module = new WebAssembly.Module(prepared.bytes as Uint8Array<ArrayBuffer>);
    const space = epc.open(prepared.layout, name);
    space.reserveCode(code.codeWasmPages);
    let self: VictimEnclave | null = null;
    const imports: WebAssembly.Imports = {
      ...pagingCounterImports(space, module),
      ...(cache ? cache.imports : {}),
      [VICTIM_IMPORT]: { ocall: (id: number, size: number): void => self?.ocall(id, size) },
    };
    try {
      const instance = await WebAssembly.instantiate(module, { ...imports, emon_epc: space.imports });
      epc.start(space, instance, imports);
      self = new VictimEnclave(epc, space, instance.exports, name);
      return self;
    } catch (e) {
      epc.destroy(space);
      throw e;
    }
  }

  /** The ECALLs of the module: exported functions other than the protocol's own. */
  entries(): string[] {
    return Object.keys(this.exports).filter((k) => typeof this.exports[k] === 'function' && k !== 'secret_buf' && k !== 'churn');
  }

  private entry(name: string): Entry {
    const f = this.exports[name];
    if (typeof f !== 'function') {
      throw new EmonError('E_ATTACK_VICTIM', `victim ${this.name} has no ECALL "${name}"`, { hint: `use one of: ${this.entries().join(', ')}` });
    }
    return f as Entry;
  }

  private ocall(id: number, size: number): void {
    this.hooks?.ocall?.(id, size >>> 0);
    this.obs?.push({ t: this.obs.now(), kind: 'ocall', id, size: size >>> 0 });
  }

  /**
   * Provisions `secret` (hw-side copy into the enclave, not observed), then runs ECALL `entry` on it under the
   * monitor `hooks`, recording into `obs`. Returns how many symbols the enclave says it processed.
   */
  run(entry: string, secret: Uint8Array, hooks: TransitionHooks | null, obs: Observation | null, faults = true): number {
    if (secret.length > MAX_SECRET) throw new EmonError('E_ATTACK_ARG', `a secret of ${secret.length} symbols is longer than the ${MAX_SECRET} a victim takes`, { hint: `use --symbols ${MAX_SECRET} or fewer` });
    const f = this.entry(entry);
    const at = (this.exports.secret_buf as () => number)() >>> 0;
    this.space.write(at, secret);
    this.hooks = hooks;
    this.obs = obs;
    if (obs && faults) {
      const id = this.space.id;
      this.unsubscribe = this.epc.subscribe((x) => {
        if (x.enclave === id) obs.push({ t: obs.now(), kind: 'fault', page: x.page, write: x.access === 'write' });
      });
    }
    try {
      obs?.push({ t: obs.now(), kind: 'ecall', name: entry, size: secret.length });
      hooks?.enter?.();
      const ret = f(secret.length) >>> 0;
      hooks?.exit?.();
      obs?.push({ t: obs.now(), kind: 'eexit', ret });
      return ret;
    } finally {
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.hooks = null;
      this.obs = null;
    }
  }

  /** Runs the module's `churn` export (another tenant's working set), if it has one. */
  churn(pages: number, start: number, count: number): void {
    (this.entry('churn') as unknown as (p: number, s: number, c: number) => number)(pages, start, count);
  }

  /** Faults and paging events (faults + walks) so far. */
  get faults(): number {
    return this.space.faults;
  }

  destroy(): void {
    this.epc.destroy(this.space);
  }
}
