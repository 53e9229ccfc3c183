/**
 * The secure-memory carve-out: the fixed region of DRAM a TrustZone board reserves for the secure world at boot
 * (TZASC/TZC-400 region; OP-TEE's TA_RAM pool, optee_os core/arch/arm/plat-rpi3/platform_config.h), shared by
 * every loaded TA and never paged. emon counts it in 64 KiB Wasm pages: a TA instance takes its whole
 * memory limit (code aside) when it is loaded and gives it back when it is unloaded. Past the carve-out,
 * loading fails with TEE_ERROR_OUT_OF_MEMORY.
 *
 * The count lives in a SharedArrayBuffer, like the EPC budget (../epc/budget.ts): each guest runs in its own
 * worker, and the carve-out belongs to the board, not to a guest.
 */
import { EmonError } from '../../errors.js';

export const DEFAULT_SECURE_MEM = 16 * 1024 * 1024;
export const WASM_PAGE = 65536;

export class Carveout {
  private readonly words: Int32Array;
  private constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  static create(bytes: number): Carveout {
    const c = new Carveout(new SharedArrayBuffer(8));
    c.words[0] = Math.floor(bytes / WASM_PAGE);
    return c;
  }

  static attach(buffer: SharedArrayBuffer): Carveout {
    return new Carveout(buffer);
  }

  get capacityBytes(): number {
    return Atomics.load(this.words, 0) * WASM_PAGE;
  }
  get usedBytes(): number {
    return Atomics.load(this.words, 1) * WASM_PAGE;
  }

  /** Take `pages` 64 KiB pages if they fit; false otherwise (nothing taken). */
  tryTake(pages: number): boolean {
    for (;;) {
      const used = Atomics.load(this.words, 1);
      if (used + pages > Atomics.load(this.words, 0)) return false;
      if (Atomics.compareExchange(this.words, 1, used, used + pages) === used) return true;
    }
  }

  give(pages: number): void {
    Atomics.sub(this.words, 1, pages);
  }
}

/** `--secure-mem=SIZE`: bytes, or with a K/M/G suffix (binary units); at least one Wasm page, at most 2 GiB. */
export function parseSecureMem(text: string | number | boolean | undefined): number {
  if (text === undefined || text === false) return DEFAULT_SECURE_MEM;
  const m = /^(\d+)([KMG]?)(i?B)?$/i.exec(String(text).trim());
  const n = m ? Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!.toUpperCase()]! : NaN;
  if (!(n >= WASM_PAGE) || n > 2 * 1024 ** 3) {
    throw new EmonError('E_USAGE', `--secure-mem=${String(text)}: expected a size from 64K to 2G (e.g. 16M)`, { hint: 'the secure-world carve-out all TAs share; default 16M' });
  }
  return n;
}
