/**
 * An enclave driven from host code rather than from a guest: the untrusted half of Intel's architectural
 * enclaves (the AESM service and the DCAP quote library drive the QE and PCE this way), and of host tools such
 * as `emon attest quote`. It lends the enclave a memory of its own as the untrusted side and calls ECALLs
 * through the real gate: [in] buffers are copied in, [out] buffers copied back, scalars passed in frame slots.
 */
import { SLOT } from '../enclave/abi.js';
import { wasmTypeOf } from '../enclave/edl/types.js';
import { loadEnclaveImage, openEnclave, type EnclaveImage, type OpenEnclave } from '../enclave/host.js';
import { EmonError } from '../errors.js';
import type { PlatformSecrets } from '../hw/sgx/platform.js';

const FRAME = 1024;
const SCRATCH = 8192;
const SCRATCH_LEN = 64 * 1024;
const BUFFERS = SCRATCH + SCRATCH_LEN;

/** One ECALL argument: a scalar, input bytes, or the size of an output buffer. */
export type HostArg = number | bigint | Uint8Array | { readonly out: number };

export class HostEnclave {
  readonly memory = new WebAssembly.Memory({ initial: 4, maximum: 64 });
  readonly enc: OpenEnclave;
  private lost: string | null = null;

  constructor(readonly image: EnclaveImage, platform: PlatformSecrets) {
    this.enc = openEnclave(image, {
      guest: 'host',
      platform,
      guestMemory: () => this.memory,
      guestExports: () => ({}) as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len: SCRATCH_LEN },
      trace: null,
      spinEcall: null,
      spinOcall: null,
      onLost: (r) => (this.lost = r),
    });
  }

  static load(name: string, file: string, platform: PlatformSecrets): HostEnclave {
    return new HostEnclave(loadEnclaveImage(name, file, null), platform);
  }

  /** ECALL `name`; returns its int result and the output buffers in argument order. */
  call(name: string, args: readonly HostArg[]): { rc: number; outs: Uint8Array[] } {
    const f = this.image.iface.trusted.find((t) => t.name === name);
    if (!f || f.params.length !== args.length) throw new Error(`internal: no ECALL ${name}/${args.length} in ${this.image.name}`);
    const need = args.reduce<number>((n, a) => n + (a instanceof Uint8Array ? a.length : typeof a === 'object' ? a.out : 0) + 16, BUFFERS);
    if (need > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
    const u8 = new Uint8Array(this.memory.buffer);
    const dv = new DataView(this.memory.buffer);
    let at = BUFFERS;
    const outs: Array<[number, number]> = [];
    f.params.forEach((p, i) => {
      const a = args[i]!;
      const slot = FRAME + SLOT * (i + 1);
      if (typeof a === 'object' && !(a instanceof Uint8Array)) {
        u8.fill(0, at, at + a.out);
        outs.push([at, a.out]);
        dv.setUint32(slot, at, true);
        at += (a.out + 15) & ~15;
      } else if (a instanceof Uint8Array) {
        u8.set(a, at);
        dv.setUint32(slot, at, true);
        at += (a.length + 15) & ~15;
      } else if (wasmTypeOf(p.type) === 'i64') dv.setBigInt64(slot, BigInt(a), true);
      else dv.setUint32(slot, Number(a) >>> 0, true);
    });
    const status = this.enc.ecalls[f.index]!(FRAME);
    if (status !== 0 || this.lost) {
      throw new EmonError('E_ATTEST_ENCLAVE', `${this.image.name}: ECALL ${name} failed (status ${status}${this.lost ? `, ${this.lost}` : ''})`, {
        hint: 'rebuild the enclaves with `npm run build`',
      });
    }
    const after = new Uint8Array(this.memory.buffer);
    return { rc: new DataView(this.memory.buffer).getInt32(FRAME, true), outs: outs.map(([p, n]) => after.slice(p, p + n)) };
  }
}
