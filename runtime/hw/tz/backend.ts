/**
 * The TrustZone backend (../backend.ts) for EDL enclaves: an enclave image becomes a trusted application of this
 * worker's secure world (./board.ts). Its signature is checked as any TA's (../signed-image.ts), it gets a UUID
 * derived from its measurement, and each `enclave_open` is a session on a fresh instance (a multi-instance TA,
 * so that instances share no state, as on SGX) whose memory — the signed heap size — comes from the carve-out.
 * ECALLs are the commands of that session and OCALLs are the RPCs OP-TEE uses to come back out
 * (OPTEE_MSG_RPC_CMD; optee_os core/include/optee_rpc_cmd.h), both through the shared gate; their modeled costs
 * are a TA invocation and an SMC round trip (../cost/model.ts). Keys come from the board's HUK through the
 * same derivation as on SGX (./platform.ts), and the enclave's hw leaves keep their names, so the same enclave
 * and the same guest run unchanged on either backend.
 */
import { EmonError } from '../../errors.js';
import type { BackendGuest, EnclaveBackend } from '../backend.js';
import { instantiateEnclave, noHooks, type InitializedEnclave } from '../sgx/enclave.js';
import { verifySignedImage } from '../signed-image.js';
import { attachBoard } from './board.js';
import type { SecureWorld } from './secure-world.js';
import { loadTzPlatform } from './platform.js';
import { uuidOfBytes } from './uuid.js';

let board: { world: SecureWorld; guest: BackendGuest } | null = null;

export const tzBackend: EnclaveBackend = {
  name: 'tz',
  transitions: { ecall: 'ta_invoke', ocall: 'smc' },
  attachGuest(guest) {
    const b = attachBoard(guest);
    board = { world: b.world, guest };
    return () => {
      b.release();
      board = null;
    };
  },
  load(bytes, file, options): InitializedEnclave {
    const v = verifySignedImage(bytes, file, options, 'TA load');
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(v.image as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new EmonError('E_BAD_WASM', `${file}: the enclave module does not compile: ${(e as Error).message}`, { hint: 'rebuild the enclave' });
    }
    return { file, identity: v.identity, sigstruct: v.sigstruct, module, edl: v.edl, imageSize: v.image.length };
  },
  platform: (stateDir) => loadTzPlatform(stateDir),
  open(enc, platform, untrusted, ocalls, guest) {
    const b = board;
    if (b === null) throw new EmonError('E_BACKEND', `guest ${guest}: the TrustZone board is not attached`);
    const pages = enc.sigstruct.config.heapPages;
    const uuid = uuidOfBytes(enc.identity.mrenclave);
    const t0 = performance.now();
    const carve = b.world.o.carveout;
    if (!carve.tryTake(pages)) {
      throw new EmonError('E_TZ_OOM', `TEE_ERROR_OUT_OF_MEMORY: ${enc.file} (TA ${uuid}) needs ${pages * 64} KiB of secure memory, the carve-out has ${(carve.capacityBytes - carve.usedBytes) >> 10} KiB free`, {
        hint: 'close other sessions or give a larger --secure-mem',
      });
    }
    let inst;
    try {
      b.world.o.spin?.smc();
      inst = instantiateEnclave(enc, platform, untrusted, ocalls, noHooks);
    } catch (e) {
      carve.give(pages);
      throw e;
    }
    b.world.o.trace?.record({ kind: 'smc', name: 'open_session', track: `${guest}/ta:${uuid}`, start: t0, dur: performance.now() - t0, args: { uuid, file: enc.file } });
    let closed = false;
    return {
      ...inst,
      destroy: () => {
        if (closed) return;
        closed = true;
        inst.destroy();
        b.world.o.spin?.smc();
        carve.give(pages);
        b.world.o.trace?.record({ kind: 'smc', name: 'close_session', track: `${guest}/ta:${uuid}`, start: performance.now(), dur: 0, args: { uuid } });
      },
    };
  },
};
