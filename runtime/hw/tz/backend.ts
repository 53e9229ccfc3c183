/**
 * The TrustZone backend (../backend.ts) for EDL enclaves: an enclave image becomes a trusted application of the
 * board's secure world (./board.ts, ./edl-ta.ts). Its signature is checked as any TA's (../signed-image.ts) and
 * it gets a UUID derived from its measurement; each `enclave_open` is one OpenSession on a fresh instance (a
 * multi-instance TA, so that instances share no state, as on SGX) whose memory — the signed heap — comes from
 * the carve-out; each ECALL is one InvokeCommand of that session (command id = the ECALL number, the guest's
 * frame a value parameter) whose TA entry point is the shared gate's bridge; each OCALL is the session's call
 * back into the client (OP-TEE's OCALL setting, an RPC out of the secure world: OPTEE_MSG_RPC_CMD); and
 * `enclave_close` is CloseSession. The modeled costs are a TA invocation per command and an SMC round trip per
 * OCALL and session change (../cost/model.ts). Keys come from the board's HUK through the same derivation as on
 * SGX (./platform.ts), and the enclave's hw leaves keep their names, so the same enclave and the same guest run
 * unchanged on either backend.
 */
import { EmonError } from '../../errors.js';
import type { EnclaveBackend } from '../backend.js';
import type { EcallEntry, InitializedEnclave } from '../enclave-instance.js';
import { instantiateEnclave, noHooks } from '../sgx/enclave.js';
import { verifySignedImage } from '../signed-image.js';
import { attachBoard } from './board.js';
import { edlTaImage, ecallStatus } from './edl-ta.js';
import type { SecureWorld } from './secure-world.js';
import { loadTzPlatform } from './platform.js';

let board: { world: SecureWorld } | null = null;

export const tzBackend: EnclaveBackend = {
  name: 'tz',
  // The gate does not spin for ECALLs: the secure world does, at each InvokeCommand.
  transitions: { ecall: null, ocall: 'smc' },
  attachGuest(guest) {
    const b = attachBoard(guest);
    board = { world: b.world };
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
  open(enc, platform, untrusted, ocalls, guest, trace = null) {
    const b = board;
    if (b === null) throw new EmonError('E_BACKEND', `guest ${guest}: the TrustZone board is not attached`);
    const world = b.world;
    const img = edlTaImage(enc);
    const id = world.openEdlSession(img, () => instantiateEnclave(enc, platform, untrusted, ocalls, noHooks), { trace, track: `${guest}/ta:${img.props.uuid}` });
    const inst = world.edlInstance(id)!;
    let closed = false;
    return {
      exports: inst.exports,
      memory: inst.memory,
      identity: inst.identity,
      memoryLimit: inst.memoryLimit,
      access: inst.access,
      commands(bridges, names, lost): EcallEntry[] {
        // The normal-world driver's side: a command's TEE_Result back into the ECALL status the guest sees.
        return world.bindEdlSession(id, bridges, names, lost, ecallStatus);
      },
      destroy: () => {
        if (closed) return;
        closed = true;
        world.closeSession(id);
      },
    };
  },
};
