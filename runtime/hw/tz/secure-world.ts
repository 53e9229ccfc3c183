/**
 * The secure world of one simulated TrustZone board (Arm Security Extensions; GP TEE System Architecture v1.2
 * §2.2): the TEE OS's side of sessions. It finds TAs by UUID in the TA directory as OP-TEE's tee-supplicant
 * does (`--ta-dir`, files `<uuid>.ta`), verifies and loads them at the first session, places each instance's
 * memory in the carve-out, and runs the GP entry points: OpenSession, InvokeCommand (through ./operation.ts),
 * CloseSession, with the single-instance / multi-session / keep-alive rules of OP-TEE's TA flags
 * (optee_os core/kernel/tee_ta_manager.c). EDL enclaves run here too, as multi-instance TAs (./edl-ta.ts): the
 * enclave host opens a session per `enclave_open` and each ECALL is an InvokeCommand of it. Every failure is a GP
 * code with its origin; a TA that traps or exhausts memory dies alone, and the guest and the other TAs keep
 * running.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { EmonError, isEmonError } from '../../errors.js';
import { readRegularFile } from '../../files.js';
import type { HwTraceEvent, HwTraceSink } from '../backend.js';
import type { EcallEntry, EnclaveInstance } from '../enclave-instance.js';
import { BRIDGE_ELOST, BRIDGE_OK, bridgeResult, EdlTaInstance, type EdlTaImage } from './edl-ta.js';
import { Carveout } from './carveout.js';
import {
  LOGINS,
  TEE_ERROR_ACCESS_DENIED,
  TEE_ERROR_BAD_FORMAT,
  TEE_ERROR_BAD_PARAMETERS,
  TEE_ERROR_BUSY,
  TEE_ERROR_ITEM_NOT_FOUND,
  TEE_ERROR_NOT_SUPPORTED,
  TEE_ERROR_OUT_OF_MEMORY,
  TEE_ERROR_TARGET_DEAD,
  TEE_ERROR_SECURITY,
  TEE_ORIGIN_API,
  TEE_ORIGIN_TEE,
  TEE_ORIGIN_TRUSTED_APP,
  TEE_SUCCESS,
  PARAM_VALUE_INPUT,
  paramTypes,
  resultName,
} from './gp.js';
import { Marshal } from './operation.js';
import { decodeReport, INTEGRITY_TA, type IntegrityReport } from './integrity.js';
import { loadTaImage, TA_SUFFIX, type TaImage, type TaInstrumentation } from './ta-image.js';
import { TaInstance, type TaServices } from './ta-instance.js';
import { isUuid } from './uuid.js';
import type { SecureBlock } from './secure-block.js';
import { WasmCrypto } from '../crypto/index.js';

/**
 * Session ids and command numbers are handled as int32, as Wasm passes them: client sessions count up from 1,
 * the secure world's own sessions are negative (0x80000001 and up as u32), and TA commands from 0x80000000 up
 * (negative as int32) may be invoked only on the secure world's own sessions (emon's rule). One sign test on
 * the hot path checks both.
 */
export const SYSTEM_SESSION = 0x80000000 | 0;
export const SYSTEM_COMMAND = 0x80000000 | 0;

/** Client sessions one secure world keeps open at once (OP-TEE bounds them by its memory; this bounds a looping guest). */
export const MAX_SESSIONS = 1024;

export interface SecureWorldOptions {
  /** Where `<uuid>.ta` files are looked up; null: no TA directory (only EDL enclaves run). */
  readonly taDir: string | null;
  readonly carveout: Carveout;
  /** Name used on trace tracks and in messages (the guest talking to this world). */
  readonly client: string;
  readonly log: (line: string) => void;
  readonly trace: { record(e: HwTraceEvent): void } | null;
  /** Spins for modeled costs (--emulate-cost); null when off. */
  readonly spin: { smc(): void; invoke(): void } | null;
  /** Secure devices assigned at start (`--secure:NAME=...`), read by TAs only. */
  readonly devices?: ReadonlyMap<string, SecureDevice>;
  /** Block devices assigned at start (`--secure:NAME=block:PATH`), read and written by TAs only. */
  readonly blocks?: ReadonlyMap<string, SecureBlock>;
  readonly normalWorld?: () => WebAssembly.Memory | null;
  readonly onIntegrityAlert?: (code: number, detail: string) => void;
  /** The board's attestation service for the integrity TA's report (a PSA token over the nonce); absent: none. */
  readonly integrityToken?: (nonce: Uint8Array, report: IntegrityReport) => Uint8Array;
  /** TAs the secure world carries itself, by UUID (OP-TEE's early TAs): looked up before the TA directory. */
  readonly builtin?: ReadonlyMap<string, string>;
  /** Show TAs' DMSG lines (OP-TEE's debug level); errors and info are always shown. */
  readonly verbose?: boolean;
  /** Rewrites every TA this world loads (a simulation's opt-in instrumentation, ./ta-image.ts); none in `emon run`. */
  readonly instrument?: TaInstrumentation;
}

/** A device assigned to the secure world (TZPC-protected peripheral): only TAs read it. */
export interface SecureDevice {
  read(max: number): Uint8Array;
}

interface Session {
  readonly id: number;
  readonly ta: TaInstance | EdlTaInstance;
  readonly ctx: number;
  readonly uuid: string;
  /** False once closed or its TA died: a client's cached fast path falls back to `invoke`. */
  open: boolean;
  /** Its specialised null InvokeCommand, made at the first fastSession call. */
  fast?: FastSession;
  /** An EDL enclave's session (./edl-ta.ts): its InvokeCommand per ECALL number for GP clients, made at the first. */
  edl?: EcallEntry[];
  /** Who opened an EDL session: its events go to that client's trace. */
  client?: EdlClient;
}

/** Every session object has all fields from the start (one shape, so the invoke path's loads stay monomorphic). */
function newSession(id: number, ta: TaInstance | EdlTaInstance, ctx: number, uuid: string, client: EdlClient | undefined): Session {
  return { id, ta, ctx, uuid, open: true, fast: undefined, edl: undefined, client };
}

/** The client an EDL session records its commands for: its trace and track. */
export interface EdlClient {
  readonly trace: HwTraceSink | null;
  readonly track: string;
}

/**
 * One client session's InvokeCommand without an operation, specialised once per session (the way
 * runtime/enclave/gate-codegen.ts specialises the gate): the TA's entry, its session context and its TEE_Param
 * address are bound once, so a call is one Wasm call and a death check, with no lookup and no allocation.
 * `cmd` is a non-negative int32 (client commands); anything else goes through SecureWorld#invoke.
 */
export interface FastSession {
  readonly id: number;
  /** Read before each call: false once the session closed or its TA died. */
  readonly live: () => boolean;
  readonly invokeNull: (cmd: number) => number;
}

type CommandFactory = (s: { readonly open: boolean }, bridge: EcallEntry, answer: (r: number) => number, failed: (cmd: number, status: number) => number, cmd: number, dead: number) => EcallEntry;
const commandFactories = new WeakMap<EdlTaImage, CommandFactory[]>();

/**
 * The specialised InvokeCommand of ECALL `cmd` of an EDL TA: a liveness check and the bridge call, compiled once
 * per command of a loaded image (as runtime/enclave/gate.ts compiles its bridges once per interface) so that each
 * command's call site sees one bridge and V8 keeps it monomorphic; one shared closure body would see every
 * ECALL's bridge and cost a megamorphic call per ECALL.
 */
function fastCommand(img: EdlTaImage, cmd: number): CommandFactory {
  let fs = commandFactories.get(img);
  if (fs === undefined) commandFactories.set(img, (fs = []));
  return (fs[cmd] ??= new Function(
    's', 'bridge', 'answer', 'failed', 'cmd', 'dead',
    `return function tz_command_${cmd}(frame) { if (!s.open) return answer(dead); const r = bridge(frame); return r === ${BRIDGE_OK} ? ${TEE_SUCCESS} : answer(failed(cmd, r)); };`,
  ) as CommandFactory);
}

export class SecureWorld {
  /** Origin of the last result (TEEC_ORIGIN_*). */
  origin = TEE_ORIGIN_TEE;
  /** Session id written by the last successful openSession. */
  lastSession = 0;
  /** Why the last call was refused, for logs and tests. */
  lastError = '';
  private readonly images = new Map<string, TaImage>();
  /** Single-instance TAs' live instance by UUID. */
  private readonly singles = new Map<string, TaInstance>();
  private readonly sessions = new Map<number, Session>();
  private nextSession = 1;
  private nextSystem = 0x80000001;
  private readonly m = new Marshal();
  private readonly services: TaServices;
  private cryptoCore: WasmCrypto | null = null;

  constructor(readonly o: SecureWorldOptions) {
    this.services = {
      log: (level, text) => {
        if (level < 3 || o.verbose === true) o.log(`${['', 'E', 'I', 'D', 'F'][level] ?? level}/TA: ${text.replace(/\n+$/, '')}`);
      },
      secureDeviceRead: (name, max) => o.devices?.get(name)?.read(max) ?? null,
      secureBlock: (name) => o.blocks?.get(name) ?? null,
      normalWorld: () => o.normalWorld?.() ?? null,
      integrityAlert: (code, detail) => o.onIntegrityAlert?.(code, detail),
      // Only the integrity TA, which the secure world carries itself (a TA directory cannot replace a built-in UUID).
      integrityToken: (caller, nonce, report) => {
        if (caller !== INTEGRITY_TA || o.integrityToken === undefined || o.builtin?.has(INTEGRITY_TA) !== true) return null;
        try {
          return o.integrityToken(nonce, decodeReport(report));
        } catch (e) {
          if (isEmonError(e)) {
            o.log(`secure world: no integrity token: ${e.message}`);
            return null;
          }
          throw e;
        }
      },
      crypto: () => (this.cryptoCore ??= WasmCrypto.create()),
    };
  }

  private result(code: number, origin: number, why = ''): number {
    this.origin = origin;
    this.lastError = why;
    if (why !== '') this.o.log(`secure world: ${resultName(code)} (origin ${origin}): ${why}`);
    return code >>> 0;
  }

  /** Load (or reuse) the image of `uuid`; a GP code on failure. */
  private image(uuid: string): TaImage | number {
    const hit = this.images.get(uuid);
    if (hit) return hit;
    const early = this.o.builtin?.get(uuid);
    if (early === undefined && this.o.taDir === null) return this.result(TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE, `no TA directory (--ta-dir) to find TA ${uuid} in`);
    const file = early ?? path.join(this.o.taDir!, uuid + TA_SUFFIX);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readRegularFile(file));
    } catch {
      return this.result(TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE, `no TA ${uuid} in ${early ?? this.o.taDir}`);
    }
    try {
      const img = loadTaImage(bytes, file, this.o.instrument);
      if (img.props.uuid !== uuid) return this.result(TEE_ERROR_SECURITY, TEE_ORIGIN_TEE, `${file} declares UUID ${img.props.uuid}, not the ${uuid} its name says`);
      this.images.set(uuid, img);
      return img;
    } catch (e) {
      const msg = isEmonError(e) ? e.message : String(e);
      if (isEmonError(e) && e.code.startsWith('E_EINIT')) return this.result(TEE_ERROR_SECURITY, TEE_ORIGIN_TEE, msg);
      return this.result(TEE_ERROR_BAD_FORMAT, TEE_ORIGIN_TEE, msg);
    }
  }

  /** Make an instance: carve-out pages, Wasm instance, TA_CreateEntryPoint. */
  private instantiate(img: TaImage): TaInstance | number {
    if (!this.o.carveout.tryTake(img.memoryPages)) {
      return this.result(TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE, `TA ${img.props.uuid} needs ${img.memoryPages * 64} KiB, the carve-out has ${(this.o.carveout.capacityBytes - this.o.carveout.usedBytes) >> 10} KiB free of ${this.o.carveout.capacityBytes >> 10} KiB`);
    }
    let ta: TaInstance;
    try {
      ta = new TaInstance(img, this.services);
    } catch (e) {
      this.o.carveout.give(img.memoryPages);
      const code = isEmonError(e, 'E_TA_OOM') ? TEE_ERROR_OUT_OF_MEMORY : TEE_ERROR_BAD_FORMAT;
      return this.result(code, TEE_ORIGIN_TEE, isEmonError(e) ? e.message : String(e));
    }
    const r = ta.createEntry();
    if (r !== TEE_SUCCESS) {
      this.unload(ta);
      return this.result(r, ta.dead ? TEE_ORIGIN_TEE : TEE_ORIGIN_TRUSTED_APP, `TA ${img.props.uuid}: TA_CreateEntryPoint returned ${resultName(r)}${ta.dead ? `: ${ta.deathReason}` : ''}`);
    }
    if (img.singleInstance) this.singles.set(img.props.uuid, ta);
    return ta;
  }

  private unload(ta: TaInstance | EdlTaInstance): void {
    if (this.singles.get(ta.image.props.uuid) === ta) this.singles.delete(ta.image.props.uuid);
    if (ta.unloaded) return;
    ta.unloaded = true;
    ta.destroyEntry();
    this.o.carveout.give(ta.image.memoryPages);
  }

  /** A dead instance takes all its sessions with it. */
  private bury(ta: TaInstance | EdlTaInstance): void {
    for (const [id, s] of this.sessions) {
      if (s.ta === ta) {
        s.open = false;
        this.sessions.delete(id);
      }
    }
    if (this.hot?.ta === ta) this.hot = null;
    this.unload(ta);
  }

  /**
   * TEEC_OpenSession: `uuid` text, `login` a TEEC_LOGIN_*, `op` a TEEC_Operation in `g` (0: none). A `system`
   * session is the secure world's own (the integrity monitor's): its id has the top bit set, and only it may
   * call a TA's commands from SYSTEM_COMMAND up.
   */
  openSession(uuid: string, login: number, g: Uint8Array, gdv: DataView, op: number, system = false): number {
    const t0 = performance.now();
    this.o.spin?.smc();
    if (!isUuid(uuid)) return this.result(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `"${uuid}" is not a UUID`);
    if (!LOGINS.includes(login)) return this.result(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `login method ${login} is not a TEEC_LOGIN_*`);
    if (!system && this.sessions.size >= MAX_SESSIONS) return this.result(TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE, `${MAX_SESSIONS} sessions are open; close some first`);
    const img = this.image(uuid);
    if (typeof img === 'number') return img;
    let ta = img.singleInstance ? this.singles.get(uuid) : undefined;
    if (ta !== undefined && !img.multiSession && ta.sessions > 0) {
      return this.result(TEE_ERROR_BUSY, TEE_ORIGIN_TEE, `TA ${uuid} is single-instance without multi-session and already has a session`);
    }
    const fresh = ta === undefined;
    if (ta === undefined) {
      const made = this.instantiate(img);
      if (typeof made === 'number') return made;
      ta = made;
    }
    const r0 = this.m.marshal(g, gdv, op, ta);
    if (r0 !== TEE_SUCCESS) {
      if (fresh && ta.sessions === 0 && !img.keepAlive) this.unload(ta);
      return this.result(r0, this.m.refusal!.origin, this.m.refusal!.why);
    }
    ta.data().setUint32(ta.params + 32, 0, true);
    const r = ta.enter(ta.openEntry, this.m.types, ta.params, ta.params + 32);
    if (ta.dead) {
      this.bury(ta);
      return this.result(r, TEE_ORIGIN_TEE, `TA ${uuid}: ${ta.deathReason}`);
    }
    const res = this.m.unmarshal(g, gdv, op, ta, r);
    if (res !== TEE_SUCCESS) {
      if (ta.sessions === 0 && !(img.singleInstance && img.keepAlive)) this.unload(ta);
      return this.result(res, TEE_ORIGIN_TRUSTED_APP);
    }
    const id = system ? (this.nextSystem++ | 0) : this.nextSession++;
    ta.sessions++;
    this.sessions.set(id, newSession(id, ta, ta.data().getUint32(ta.params + 32, true), uuid, undefined));
    this.lastSession = id;
    this.o.trace?.record({ kind: 'smc', name: 'open_session', track: `${this.o.client}/ta:${uuid}`, start: t0, dur: performance.now() - t0, args: { session: id, uuid } });
    return this.result(TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP);
  }

  /** The session the last invoke used: a guest invoking one session in a loop skips the map lookup. */
  private hot: Session | null = null;

  /**
   * TEEC_InvokeCommand on session `id` with the TEEC_Operation at `op` in `g` (0: none). The hot path: no
   * allocation, one map lookup at most, no operation decoding when there is no operation.
   */
  invoke(id: number, cmd: number, g: Uint8Array, gdv: DataView, op: number, system = false): number {
    id |= 0;
    cmd |= 0;
    if ((id | cmd) < 0 && !system) {
      return this.result(TEE_ERROR_ACCESS_DENIED, TEE_ORIGIN_TEE, id < 0 ? `session 0x${(id >>> 0).toString(16)} is the secure world's own` : `command 0x${(cmd >>> 0).toString(16)} is for the secure world's own sessions`);
    }
    const trace = this.o.trace;
    const t0 = trace === null ? 0 : performance.now();
    if (this.o.spin !== null) this.o.spin.invoke();
    let s = this.hot;
    if (s === null || s.id !== id) {
      const found = this.sessions.get(id);
      if (found === undefined) return this.result(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `no open session ${id}`);
      this.hot = s = found;
    }
    // Only EDL sessions have a client of their own (one field load, not a prototype walk, on the hot path).
    if (s.client !== undefined) return this.invokeEdlOperation(s, cmd, g, gdv, op);
    const ta = s.ta as TaInstance;
    const m = this.m;
    let types = 0;
    if (op !== 0) {
      const r0 = m.marshal(g, gdv, op, ta);
      if (r0 !== TEE_SUCCESS) return this.result(r0, m.refusal!.origin, m.refusal!.why);
      types = m.types;
    }
    let r: number;
    try {
      r = ta.invokeEntry(s.ctx, cmd, types, ta.params) >>> 0;
    } catch (e) {
      r = ta.died(e);
    }
    if (ta.dead) {
      this.bury(ta);
      return this.result(r, TEE_ORIGIN_TEE, `TA ${s.uuid} died in command ${cmd}: ${ta.deathReason}`);
    }
    const res = op === 0 ? r : m.unmarshal(g, gdv, op, ta, r);
    // The memrefs' sizes are the normal world's own (it built the operation): what an observer sees of a command.
    if (trace !== null) trace.record({ kind: 'ta_invoke', name: `cmd ${cmd >>> 0}`, track: `${this.o.client}/ta:${s.uuid}`, start: t0, dur: performance.now() - t0, bytes: op === 0 ? 0 : m.len[0]! + m.len[1]! + m.len[2]! + m.len[3]!, args: { session: id, result: resultName(res) } });
    this.origin = TEE_ORIGIN_TRUSTED_APP;
    return res;
  }

  /**
   * The specialised null InvokeCommand of client session `id` (see FastSession), or null when there is none:
   * no such session, or tracing or cost emulation is on (those calls take the general path, which records and
   * spins). Made once per session: a client alternating between sessions allocates nothing per call.
   */
  fastSession(id: number): FastSession | null {
    id |= 0;
    const s = id > 0 ? this.sessions.get(id) : undefined;
    if (s === undefined || this.o.trace !== null || this.o.spin !== null || !(s.ta instanceof TaInstance)) return null;
    if (s.fast !== undefined) return s.fast;
    const ta = s.ta;
    const entry = ta.invokeEntry;
    const ctx = s.ctx;
    const params = ta.params;
    const invokeNull = (cmd: number): number => {
      let r: number;
      try {
        r = entry(ctx, cmd, 0, params) >>> 0;
      } catch (e) {
        r = ta.died(e);
      }
      if (ta.dead) {
        this.bury(ta);
        return this.result(r, TEE_ORIGIN_TEE, `TA ${s.uuid} died in command ${cmd}: ${ta.deathReason}`);
      }
      this.origin = TEE_ORIGIN_TRUSTED_APP;
      return r;
    };
    return (s.fast = { id, live: () => s.open, invokeNull });
  }

  /**
   * OpenSession on an EDL enclave run as a TA (./edl-ta.ts), for the enclave host's `enclave_open`: a new
   * instance of the multi-instance TA, its memory (the signed heap) taken from the carve-out, made by
   * `instantiate` (TA_CreateEntryPoint: the module with the shared hw leaves and this session's OCALL handlers,
   * OP-TEE's TEEC_SESSION_SETTING_OCALL). Returns the session id; the host's errors are typed EmonErrors that
   * name the GP code (E_TZ_OOM: TEE_ERROR_OUT_OF_MEMORY; E_TZ_BUSY: too many sessions).
   */
  openEdlSession(img: EdlTaImage, instantiate: () => EnclaveInstance, client: EdlClient): number {
    const t0 = performance.now();
    this.o.spin?.smc();
    const uuid = img.props.uuid;
    if (this.sessions.size >= MAX_SESSIONS) {
      this.result(TEE_ERROR_BUSY, TEE_ORIGIN_TEE, `${MAX_SESSIONS} sessions are open`);
      throw new EmonError('E_TZ_BUSY', `TEE_ERROR_BUSY: ${img.file} (TA ${uuid}): the secure world has ${MAX_SESSIONS} sessions open`, { hint: 'close enclaves or TA sessions first' });
    }
    const carve = this.o.carveout;
    if (!carve.tryTake(img.memoryPages)) {
      this.result(TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE, `TA ${uuid} needs ${img.memoryPages * 64} KiB`);
      throw new EmonError('E_TZ_OOM', `TEE_ERROR_OUT_OF_MEMORY: ${img.file} (TA ${uuid}) needs ${img.memoryPages * 64} KiB of secure memory, the carve-out has ${(carve.capacityBytes - carve.usedBytes) >> 10} KiB free of ${carve.capacityBytes >> 10} KiB`, {
        hint: 'close other enclaves or sessions, or give a larger --secure-mem',
      });
    }
    let ta: EdlTaInstance;
    try {
      ta = new EdlTaInstance(img, instantiate());
    } catch (e) {
      carve.give(img.memoryPages);
      throw e;
    }
    const id = this.nextSession++;
    ta.sessions++;
    this.sessions.set(id, newSession(id, ta, 0, uuid, client));
    this.lastSession = id;
    this.result(TEE_SUCCESS, TEE_ORIGIN_TRUSTED_APP);
    client.trace?.record({ kind: 'smc', name: 'open_session', track: client.track, start: t0, dur: performance.now() - t0, args: { session: id, uuid, file: img.file } });
    return id;
  }

  /**
   * TA_OpenSessionEntryPoint's part of an EDL session: binds the gate's bridges (by ECALL number) and returns the
   * session's InvokeCommand for each: command id = the ECALL number, the guest's frame address the one value
   * parameter, the answer a TEE_Result (the bridge's status as ./edl-ta.ts maps it). `lost` tells a trap in the
   * bridge (the TA is then dead: its session ends and its carve-out pages come back). Each command is one world
   * switch: under --emulate-cost it spins for a TA invocation, under --trace it records a `ta_invoke` event; with
   * neither, it is specialised to a liveness check and the bridge call. `answer` is the normal-world driver's
   * reading of a result other than TEE_SUCCESS (0), applied in the same closure so that a command is one call.
   */
  bindEdlSession(id: number, bridges: readonly EcallEntry[], names: readonly string[], lost: () => boolean, answer: (result: number) => number = (r) => r): EcallEntry[] {
    const s = this.sessions.get(id);
    if (s === undefined || !(s.ta instanceof EdlTaInstance) || s.client === undefined) throw new EmonError('E_TZ_SESSION', `session ${id} is not an open EDL enclave session`);
    s.ta.bridges = bridges;
    s.ta.names = names;
    s.ta.lost = lost;
    return this.edlCommands(s, answer);
  }

  /** The InvokeCommand closures of EDL session `s`, one per ECALL number, answering through `answer`. */
  private edlCommands(s: Session, answer: (result: number) => number): EcallEntry[] {
    const ta = s.ta as EdlTaInstance;
    const { bridges, names, lost } = ta;
    const id = s.id;
    const failed = (cmd: number, status: number): number => {
      if (status === BRIDGE_ELOST && (lost() || ta.dead)) {
        if (!ta.dead) {
          ta.dead = true;
          ta.deathReason = `it trapped in ${names[cmd]}`;
        }
        this.bury(ta);
        return this.result(TEE_ERROR_TARGET_DEAD, TEE_ORIGIN_TEE, `TA ${s.uuid} (${ta.image.file}) died in command ${cmd} (${names[cmd]})`);
      }
      this.origin = TEE_ORIGIN_TRUSTED_APP;
      return bridgeResult(status);
    };
    const spin = this.o.spin;
    const { trace, track } = s.client!;
    return bridges!.map((bridge, cmd): EcallEntry => {
      if (spin === null && trace === null) return fastCommand(ta.image, cmd)(s, bridge, answer, failed, cmd, TEE_ERROR_TARGET_DEAD);
      const name = names[cmd]!;
      return (frame: number): number => {
        const t0 = trace === null ? 0 : performance.now();
        if (spin !== null) spin.invoke();
        if (!s.open) return answer(TEE_ERROR_TARGET_DEAD);
        if (trace !== null) trace.lastEcallBytes = 0;
        const st = bridge(frame);
        const r = st === BRIDGE_OK ? TEE_SUCCESS : failed(cmd, st);
        if (trace !== null) {
          trace.record({ kind: 'ta_invoke', name, track, start: t0, dur: performance.now() - t0, bytes: trace.lastEcallBytes ?? 0, args: { session: id, cmd, ecall: name, result: resultName(r) } });
        }
        return r === TEE_SUCCESS ? r : answer(r);
      };
    });
  }

  /** The enclave instance behind EDL session `id` (the enclave host wires its gate to it), or null. */
  edlInstance(id: number): EnclaveInstance | null {
    const s = this.sessions.get(id);
    return s !== undefined && s.ta instanceof EdlTaInstance ? s.ta.enclave : null;
  }

  /**
   * A GP client's InvokeCommand on an EDL session: the same command as the enclave host's, so the operation must
   * be exactly one VALUE_INPUT holding the guest's frame address (the TA checks its parameter types, as GP TAs do).
   */
  private invokeEdlOperation(s: Session, cmd: number, g: Uint8Array, gdv: DataView, op: number): number {
    if ((s.ta as EdlTaInstance).bridges === null) return this.result(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE, `EDL session ${s.id} is still opening`);
    const cmds = (s.edl ??= this.edlCommands(s, (r) => r));
    op >>>= 0;
    if (op === 0 || op + 20 > g.length) return this.result(TEE_ERROR_BAD_PARAMETERS, op === 0 ? TEE_ORIGIN_TRUSTED_APP : TEE_ORIGIN_API, `an ECALL as a command of EDL session ${s.id} takes one VALUE_INPUT (the frame address)`);
    if (gdv.getUint32(op + 4, true) !== paramTypes(PARAM_VALUE_INPUT)) return this.result(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TRUSTED_APP, `EDL session ${s.id}: command ${cmd} takes TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, NONE, NONE, NONE)`);
    const f = cmds[cmd];
    if (f === undefined) return this.result(TEE_ERROR_NOT_SUPPORTED, TEE_ORIGIN_TRUSTED_APP, `EDL session ${s.id} has no ECALL ${cmd}`);
    return f(gdv.getUint32(op + 8, true));
  }

  /** InvokeCommand on one of the secure world's own sessions (any command). */
  invokeSystem(id: number, cmd: number, g: Uint8Array, gdv: DataView, op: number): number {
    return this.invoke(id, cmd, g, gdv, op, true);
  }

  /**
   * TEEC_CloseSession: the TA's close entry, then the instance goes unless it is kept alive. Unknown ids are
   * ignored, as GP says; a client cannot close the secure world's own sessions.
   */
  closeSession(id: number, system = false): void {
    id |= 0;
    if (id < 0 && !system) return;
    const s = this.sessions.get(id);
    if (s === undefined) return;
    const t0 = performance.now();
    this.o.spin?.smc();
    this.sessions.delete(id);
    s.open = false;
    if (this.hot === s) this.hot = null;
    const ta = s.ta;
    ta.closeSession(s.ctx);
    ta.sessions--;
    if (ta.dead) this.bury(ta);
    else if (ta.sessions === 0 && !(ta.image.singleInstance && ta.image.keepAlive)) this.unload(ta);
    const sink = s.client === undefined ? this.o.trace : s.client.trace;
    sink?.record({ kind: 'smc', name: 'close_session', track: s.client?.track ?? `${this.o.client}/ta:${s.uuid}`, start: t0, dur: performance.now() - t0, args: { session: id } });
  }

  /** Close everything (the guest ended). */
  shutdown(): void {
    for (const id of [...this.sessions.keys()]) this.closeSession(id, true);
    for (const ta of [...this.singles.values()]) this.unload(ta);
  }

  /** Sessions open now (tests, -v). */
  get openSessions(): number {
    return this.sessions.size;
  }
}

export function taDirOption(v: string | number | boolean | undefined): string | null {
  if (typeof v !== 'string') return null;
  try {
    if (!statSync(v).isDirectory()) throw new Error();
  } catch {
    throw new EmonError('E_USAGE', `--ta-dir=${v}: not a directory`, { hint: 'give the folder holding the <uuid>.ta files (built by `emon ta build`)' });
  }
  return v;
}
