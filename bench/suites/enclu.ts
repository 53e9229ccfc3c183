/**
 * ENCLU leaves at hardware speed (issue 17 point 7): EREPORT and EGETKEY as the simulated CPU runs them
 * (runtime/hw/sgx/ereport.ts, egetkey.ts; native HKDF/HMAC and a per-platform key cache, ./keycache.ts), an ECALL
 * whose only work is one EREPORT (the sealer's isv_svn), sealing 64 B in the sealer enclave (a fresh KEYID per
 * blob, so one uncached EGETKEY, one EREPORT for its own SVN and a Wasm ChaCha20-Poly1305 seal), and node:crypto's
 * ChaCha20-Poly1305 on 64 B for scale. Issue targets: EREPORT and EGETKEY <= 1 us each.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SLOT } from '../../runtime/enclave/abi.js';
import { loadEnclaveImage, openEnclave } from '../../runtime/enclave/host.js';
import { EmonError } from '../../runtime/errors.js';
import { egetkey, KEYNAME_REPORT, KEYNAME_SEAL, POLICY_MRENCLAVE } from '../../runtime/hw/sgx/egetkey.js';
import { ereport } from '../../runtime/hw/sgx/ereport.js';
import type { EnclaveIdentity } from '../../runtime/hw/sgx/identity.js';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { buildDir } from '../../runtime/paths.js';
import type { BenchCase, BenchSuite } from '../suite.js';

let sink = 0;

export const suite: BenchSuite = {
  name: 'enclu',
  description: 'EREPORT and EGETKEY leaves, an ECALL doing one EREPORT, sealing 64 B in the sealer enclave',
  async setup() {
    const sealerFile = path.join(buildDir, 'enclaves', 'sealer.wasm');
    if (!existsSync(sealerFile)) throw new EmonError('E_BENCH', 'build/enclaves/sealer.wasm is missing', { hint: 'run `npm run build` first' });
    const platform = loadPlatform(mkdtempSync(path.join(tmpdir(), 'emon-bench-enclu-')));
    const self: EnclaveIdentity = { mrenclave: new Uint8Array(32).fill(1), mrsigner: new Uint8Array(32).fill(2), isvProdId: 1, isvSvn: 1, attributes: 1 };
    const target = { mrenclave: new Uint8Array(32), attributes: 0 };
    const data = new Uint8Array(64);
    const keyId = new Uint8Array(32).fill(3);
    const fresh = Array.from({ length: 1024 }, () => new Uint8Array(randomBytes(32)));
    // The sealer, driven from a memory of the bench's own as its untrusted side (its ocall_log does nothing).
    const memory = new WebAssembly.Memory({ initial: 2 });
    const dv = new DataView(memory.buffer);
    const FRAME = 1024, DATA = 4096, BLOB = 8192, SCRATCH = 65536;
    const image = loadEnclaveImage('sealer', sealerFile, null);
    const enc = openEnclave(image, {
      guest: 'bench', platform, guestMemory: () => memory, guestExports: () => ({ ocall_log: () => undefined }) as unknown as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len: SCRATCH }, trace: null, spinEcall: null, spinOcall: null, onLost: (r) => { throw new EmonError('E_BENCH', `sealer lost: ${r}`); },
    });
    const fn = (name: string) => enc.ecalls[image.iface.trusted.findIndex((f) => f.name === name)]!;
    const isvSvn = fn('isv_svn');
    const sealData = fn('seal_data');
    const slots = (...v: number[]) => v.forEach((x, i) => dv.setUint32(FRAME + SLOT * (i + 1), x, true));
    const call = (f: (frame: number) => number): number => {
      if (f(FRAME) !== 0) throw new EmonError('E_BENCH', 'a sealer ECALL failed');
      return dv.getInt32(FRAME, true);
    };
    const plain = new Uint8Array(64).fill(0x61);
    const aeadKey = randomBytes(32);
    const nonce = randomBytes(12);
    const cases: BenchCase[] = [
      { name: 'ereport', run(n) { for (let i = 0; i < n; i++) sink ^= ereport(platform, self, target, data)[176]!; } },
      {
        name: 'egetkey/report',
        run(n) {
          for (let i = 0; i < n; i++) sink ^= (egetkey(platform, self, { keyName: KEYNAME_REPORT, keyPolicy: 0, isvSvn: 0, keyId }) as Uint8Array)[0]!;
        },
      },
      {
        name: 'egetkey/seal-fresh-keyid',
        run(n) {
          // A fresh KEYID each time, as sealing uses: the cache cannot help, this is the native derivation.
          for (let i = 0; i < n; i++) {
            const k = fresh[i & 1023]!;
            k[0] = (k[0]! + 1) & 255;
            sink ^= (egetkey(platform, self, { keyName: KEYNAME_SEAL, keyPolicy: POLICY_MRENCLAVE, isvSvn: 1, keyId: k }) as Uint8Array)[0]!;
          }
        },
      },
      { name: 'ecall/isv_svn', baselines: ['ereport'], run(n) { for (let i = 0; i < n; i++) sink ^= call(isvSvn); } },
      {
        name: 'ecall/seal_data/64',
        bytes: 64,
        baselines: ['egetkey/seal-fresh-keyid', 'aead/node/64'],
        run(n) {
          new Uint8Array(memory.buffer).set(plain, DATA);
          for (let i = 0; i < n; i++) {
            slots(1, DATA, 0, DATA, 64, BLOB, 256);
            if (call(sealData) !== 144) throw new EmonError('E_BENCH', 'seal_data did not return a 144-byte blob');
          }
        },
      },
      {
        name: 'aead/node/64',
        bytes: 64,
        run(n) {
          for (let i = 0; i < n; i++) {
            const c = createCipheriv('chacha20-poly1305', aeadKey, nonce, { authTagLength: 16 });
            sink ^= c.update(plain)[0]! ^ c.final().length ^ c.getAuthTag()[0]!;
          }
        },
      },
    ];
    return cases;
  },
};
