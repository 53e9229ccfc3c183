/**
 * The GP TEE Client API's way into the secure world for guests: the Wasm import module "teec", the role of
 * Linux's TEE subsystem driver (/dev/tee0, drivers/tee/optee) that libteec calls. The guest-side libraries
 * (guest/as/tee_client.ts, guest/c/tee_client_api.h) implement GP's TEEC_* functions over these imports:
 *
 *   initialize_context(name_ptr, name_len) -> TEEC_Result
 *     TEEC_SUCCESS when the named TEE (0/NULL or "emon") is there; TEEC_ERROR_COMMUNICATION when the run has no
 *     secure world (it needs --backend=tz), TEEC_ERROR_ITEM_NOT_FOUND for another name.
 *   open_session(uuid_ptr, login, op_ptr, session_out, origin_out) -> TEEC_Result
 *     uuid_ptr: a TEEC_UUID (16 bytes); op_ptr: a TEEC_Operation or 0; writes the session id (u32) and the
 *     return origin (u32). origin_out may be 0.
 *   invoke_command(session, cmd, op_ptr, origin_out) -> TEEC_Result
 *   close_session(session)
 *   request_cancellation(op_ptr) -> TEEC_Result  (TEEC_ERROR_NOT_SUPPORTED: emon's TAs run to completion)
 *
 * `--secure:NAME=FILE` assigns a device to the secure world (a secure keypad's key presses, one per byte, for
 * instance): only TAs can read it (TEE_SecureDeviceRead); the normal world's attempt through `device_read` is
 * refused and traced. `--secure:NAME=block:PATH[,sector=BYTES]` assigns a block device (runtime/hw/tz/secure-block.ts):
 * TAs read and write its blocks (TEE_SecureBlockRead/Write), and the guest's block_acquire/read/write on it are
 * refused (SOLO5_R_EINVAL) and traced; its manifest may declare it as a BLOCK_BASIC device. Bad pointers from the guest are GP errors with origin API, never monitor exceptions.
 *
 * A manifest key `integrity` ({"segments": "readonly" | "all" | "none", "ranges": [[START, LENGTH], ...],
 * "tables": true, "period_ms": 10, "policy": "log" | "stop" | "attest"}) turns on runtime integrity monitoring of
 * the guest from the secure world (runtime/hw/tz/integrity.ts): the reference is the loader's measurement of the
 * module (its hash, and its read-only data segments' bytes; GuestHost.measurement), set when the guest is
 * instantiated, before its code runs; it is checked again once each period has passed, at the next exit or at
 * the next `integrity_tick`, the import the loader's rewrite (runtime/monitor/asyncify.ts withIntegrityTicks)
 * calls from the guest's loops and recursive calls, so a guest that never exits is checked too.
 *
 *   integrity_tick()   a check when a period has passed (also harmless when the guest calls it itself)
 */
import { EmonError } from '../errors.js';
import { readRegularFile } from '../files.js';
import type { GuestHost, MonitorExtension } from '../monitor/extension.js';
import type { FastSession, SecureWorld } from '../hw/tz/secure-world.js';
import { TEE_ERROR_ACCESS_DENIED, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_COMMUNICATION, TEE_ERROR_ITEM_NOT_FOUND, TEE_ERROR_NOT_SUPPORTED, TEE_ORIGIN_API, TEE_ORIGIN_COMMS, TEE_SUCCESS } from '../hw/tz/gp.js';
import { UUID_SIZE, uuidFromStruct } from '../hw/tz/uuid.js';
import { isSecureBlock, openSecureBlock } from '../hw/tz/secure-block.js';
import { MAX_DEVICE_NAME_BYTES, SOLO5_R_EINVAL } from '../monitor/abi.js';
import { IntegrityMonitor, parseIntegrity, type IntegrityAlert, type IntegrityConfig } from '../hw/tz/integrity.js';

interface Board {
  world: SecureWorld;
  release: () => void;
}
const boards = new WeakMap<GuestHost, Board>();
/** Forget the last boot's views and sessions (a rebooted guest is a new guest with a new memory). */
const resets = new WeakMap<GuestHost, () => void>();
/** Runtime integrity monitors by guest (when the manifest asks for one). */
const monitors = new WeakMap<GuestHost, () => IntegrityMonitor | null>();

/** A file-backed secure device: each read returns the next bytes (a keypad's key presses), then nothing. */
function fileDevice(name: string, file: string): { read(max: number): Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readRegularFile(file));
  } catch (e) {
    throw new EmonError('E_ATTACH', `--secure:${name}=${file}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'give a regular file whose bytes the secure device delivers (e.g. a keypad\'s key presses)',
    });
  }
  let at = 0;
  return {
    read(max: number): Uint8Array {
      const out = bytes.subarray(at, Math.min(bytes.length, at + max));
      at += out.length;
      return out;
    },
  };
}

async function guestImports(host: GuestHost): Promise<Record<string, WebAssembly.ImportValue>> {
  const tz = host.options['backend'] === 'tz';
  const integrity: IntegrityConfig | null = parseIntegrity(host.manifest['integrity'], host.name);
  if (!tz && integrity !== null) {
    throw new EmonError('E_BACKEND', `guest ${host.name}: its manifest asks for runtime integrity monitoring, which the TrustZone secure world does and needs --backend=tz`, { hint: 'add --backend=tz, or remove "integrity" from the manifest' });
  }
  if (integrity !== null && host.measurement === undefined) {
    throw new EmonError('E_INTEGRITY', `guest ${host.name}: runtime integrity monitoring needs the loader's measurement of the module, which this way of starting it does not give`, { hint: 'run it with `emon run` in a worker of its own (--sched=worker)' });
  }
  if (!tz && host.attachments.size > 0) {
    throw new EmonError('E_BACKEND', `guest ${host.name}: --secure:${[...host.attachments.keys()][0]}= assigns a device to the TrustZone secure world, which needs --backend=tz`, { hint: 'add --backend=tz' });
  }
  const secure = new Map([...host.attachments].filter(([, v]) => !isSecureBlock(v)).map(([name, file]) => [name, fileDevice(name, file)] as const));
  const blockSpecs = [...host.attachments].filter(([, v]) => isSecureBlock(v));
  let tzm: typeof import('../hw/tz/board.js') | null = null;
  if (tz) {
    tzm = await import('../hw/tz/board.js');
    for (const [name, dev] of secure) tzm.assignSecureDevice(name, dev);
    for (const [name, value] of blockSpecs) tzm.assignSecureBlock(openSecureBlock(name, value));
  }
  secureBlocks.set(host, denyBlockHypercalls(host, new Set(blockSpecs.map(([name]) => name))));
  /** This guest's board once a context was initialised (the invoke hot path reads it without a map lookup). */
  let cur: Board | null = null;
  /** Its secure world, read straight by invoke_command. */
  let world: SecureWorld | null = null;
  const board = (): Board | null => {
    let b = boards.get(host);
    if (b === undefined && tzm !== null) {
      b = tzm.attachBoard({ ...host });
      tzm.connectNormalWorld(
        () => host.memory(),
        (code, detail) => (integ !== null ? integ.alert(code, detail) : host.log(`integrity alert ${code}: ${detail}`)),
      );
      boards.set(host, b);
    }
    cur = b ?? null;
    world = cur === null ? null : cur.world;
    return cur;
  };
  if (tz && (host.attachments.size > 0 || integrity !== null)) board();

  let integ: IntegrityMonitor | null = null;
  const newMonitor = (): void => {
    if (integrity === null || cur === null) return;
    const policy = (alerts: readonly IntegrityAlert[]): void => {
      const what = alerts.map((a) => a.detail).join('; ');
      if (integrity.policy === 'stop') host.abort(`runtime integrity: ${what}; the guest is stopped (policy "stop")`);
      host.log(`runtime integrity alert (check ${alerts[0]!.check}): ${what}${integrity.policy === 'attest' ? ' (kept for attestation)' : ''}`);
    };
    integ = new IntegrityMonitor(cur.world, integrity, () => host.exports(), policy, host.trace, `${host.name}/integrity`, host.measurement ?? null);
  };
  newMonitor();
  monitors.set(host, () => integ);

  const mem = () => host.memory();
  const inGuest = (p: number, n: number): boolean => p + n <= mem().buffer.byteLength;
  let g8 = new Uint8Array(0);
  let gdv = new DataView(new ArrayBuffer(0));
  /** Writes the return origin (u32) when the guest asked for it and the pointer is in its memory. */
  const setOrigin = (p: number, origin: number): void => {
    if (p === 0) return;
    views();
    if (p + 4 <= g8.length) gdv.setUint32(p, origin, true);
  };
  // A grow detaches the old buffer (length 0): re-view only then, never reading Memory#buffer per call. A
  // reboot brings a new memory: `boot` clears the views.
  const views = (): void => {
    if (g8.length === 0) {
      g8 = new Uint8Array(mem().buffer);
      gdv = new DataView(mem().buffer);
    }
  };

  /** The last session invoked, specialised once (SecureWorld#fastSession): a guest's loop skips all lookups. */
  let fast: FastSession | null = null;
  let fastId = 0;
  let fastLive: () => boolean = () => false;
  let fastNull: (cmd: number) => number = () => 0;
  const specialise = (w: SecureWorld, session: number): void => {
    fast = w.fastSession(session);
    fastId = fast === null ? 0 : fast.id;
    if (fast !== null) {
      fastLive = fast.live;
      fastNull = fast.invokeNull;
    }
  };

  resets.set(host, () => {
    g8 = new Uint8Array(0);
    fast = null;
    fastId = 0;
    boards.get(host)?.world.shutdown();
    newMonitor(); // a new boot takes a new reference
  });

  return {
    initialize_context(namePtr: number, nameLen: number): number {
      namePtr >>>= 0;
      nameLen >>>= 0;
      if (namePtr !== 0) {
        if (nameLen > 64 || !inGuest(namePtr, nameLen)) return TEE_ERROR_BAD_PARAMETERS;
        const name = new TextDecoder().decode(new Uint8Array(mem().buffer, namePtr, nameLen));
        if (name !== 'emon') return TEE_ERROR_ITEM_NOT_FOUND;
      }
      if (board() === null) {
        host.log('TEEC_InitializeContext: no TEE in this run (the GP TEE Client API needs --backend=tz)');
        return TEE_ERROR_COMMUNICATION;
      }
      return TEE_SUCCESS;
    },
    open_session(uuidPtr: number, login: number, op: number, sessionOut: number, originOut: number): number {
      uuidPtr >>>= 0;
      sessionOut >>>= 0;
      originOut >>>= 0;
      const b = board();
      if (b === null) {
        setOrigin(originOut, TEE_ORIGIN_COMMS);
        return TEE_ERROR_COMMUNICATION;
      }
      if (!inGuest(uuidPtr, UUID_SIZE) || !inGuest(sessionOut, 4)) {
        setOrigin(originOut, TEE_ORIGIN_API);
        return TEE_ERROR_BAD_PARAMETERS;
      }
      views();
      const uuid = uuidFromStruct(g8.subarray(uuidPtr, uuidPtr + UUID_SIZE));
      const r = b.world.openSession(uuid, login >>> 0, g8, gdv, op);
      views();
      if (r === TEE_SUCCESS) gdv.setUint32(sessionOut, b.world.lastSession, true);
      setOrigin(originOut, b.world.origin);
      return r | 0;
    },
    invoke_command(session: number, cmd: number, op: number, originOut: number): number {
      // The hot path: no operation, a client command, the session invoked last and still open.
      if (session === fastId && op === 0 && cmd >= 0 && fastLive()) {
        const r = fastNull(cmd);
        if (originOut !== 0) setOrigin(originOut >>> 0, world!.origin);
        return r;
      }
      const w = world;
      if (w === null) {
        setOrigin(originOut >>> 0, TEE_ORIGIN_COMMS);
        return TEE_ERROR_COMMUNICATION | 0;
      }
      if (g8.length === 0) views();
      const r = w.invoke(session, cmd, g8, gdv, op >>> 0);
      if (originOut !== 0) setOrigin(originOut >>> 0, w.origin);
      if (session !== fastId && session > 0) specialise(w, session);
      return r; // a u32 GP code; the Wasm boundary turns it into the guest's i32
    },
    close_session(session: number): void {
      boards.get(host)?.world.closeSession(session);
    },
    request_cancellation(_op: number): number {
      return TEE_ERROR_NOT_SUPPORTED | 0;
    },
    /** The periodic check between exits (the loader's rewrite calls it every INTEGRITY_QUANTUM units of work). */
    integrity_tick(): void {
      const m = integ;
      if (m !== null && m.armed) m.tick(performance.now());
    },
    /** The normal world reaching for a secure device: always refused (and traced), as TZPC makes the bus answer. */
    device_read(namePtr: number, nameLen: number, _buf: number, _cap: number): number {
      namePtr >>>= 0;
      nameLen >>>= 0;
      const name = nameLen <= 64 && inGuest(namePtr, nameLen) ? new TextDecoder().decode(new Uint8Array(mem().buffer, namePtr, nameLen)) : '?';
      const t = performance.now();
      host.trace?.record({ kind: 'smc', name: 'secure_device_denied', track: `${host.name}/secure:${name}`, start: t, dur: 0, args: { device: name } });
      host.log(`normal world tried to read secure device "${name}": refused`);
      return TEE_ERROR_ACCESS_DENIED | 0;
    },
  };
}

/** Per guest: wraps the Solo5 block hypercalls so that the secure world's block devices refuse the guest. */
const secureBlocks = new WeakMap<GuestHost, ((table: Record<string, Function>) => Record<string, Function>) | null>();

/**
 * The normal world's block_acquire/read/write on a block device assigned to the secure world: refused with
 * SOLO5_R_EINVAL before the block layer sees them (as TZPC makes the bus answer a non-secure master), logged
 * and traced as `secure_device_denied`. Null when the guest has no such device.
 */
function denyBlockHypercalls(host: GuestHost, names: ReadonlySet<string>): ((table: Record<string, Function>) => Record<string, Function>) | null {
  if (names.size === 0) return null;
  const declared = host.manifest['devices'];
  /** Manifest handle -> device name, for the devices assigned to the secure world. */
  const byHandle = new Map<bigint, string>();
  if (Array.isArray(declared)) {
    declared.forEach((d: unknown, i) => {
      const name = (d as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && names.has(name)) byHandle.set(BigInt(i), name);
    });
  }
  const deny = (call: string, name: string): number => {
    host.trace?.record({ kind: 'smc', name: 'secure_device_denied', track: `${host.name}/secure:${name}`, start: performance.now(), dur: 0, args: { device: name, call } });
    host.log(`normal world tried ${call} on secure block device "${name}": refused`);
    return SOLO5_R_EINVAL;
  };
  const cString = (p: number): string | null => {
    const u8 = new Uint8Array(host.memory().buffer);
    p >>>= 0;
    const end = u8.indexOf(0, p);
    if (p >= u8.length || end < 0 || end - p > MAX_DEVICE_NAME_BYTES) return null;
    return new TextDecoder().decode(u8.subarray(p, end));
  };
  return (table) => {
    const out = { ...table };
    const acquire = table['block_acquire'] as ((n: number, h: number, i: number) => number) | undefined;
    const read = table['block_read'] as ((h: bigint, o: bigint, b: number, s: number) => number) | undefined;
    const write = table['block_write'] as ((h: bigint, o: bigint, b: number, s: number) => number) | undefined;
    if (acquire) {
      out['block_acquire'] = (n: number, h: number, i: number): number => {
        const name = cString(n);
        return name !== null && names.has(name) ? deny('block_acquire', name) : acquire(n, h, i);
      };
    }
    if (read) out['block_read'] = (h: bigint, o: bigint, b: number, s: number): number => (byHandle.has(h) ? deny('block_read', byHandle.get(h)!) : read(h, o, b, s));
    if (write) out['block_write'] = (h: bigint, o: bigint, b: number, s: number): number => (byHandle.has(h) ? deny('block_write', byHandle.get(h)!) : write(h, o, b, s));
    return out;
  };
}

export const teecExtension: MonitorExtension = {
  importModule: 'teec',
  attachmentKind: 'secure',
  imports: guestImports,
  boot: (host) => resets.get(host)?.(),
  wrapHypercalls(host, table0) {
    const blocks = secureBlocks.get(host);
    const table = blocks ? blocks(table0) : table0;
    const mon = monitors.get(host);
    if (mon === undefined || mon() === null) return table;
    const out: Record<string, Function> = {};
    for (const [name, fn] of Object.entries(table)) {
      out[name] = (...args: unknown[]): unknown => {
        const m = mon();
        if (m !== null) {
          if (!m.armed) {
            try {
              m.arm();
            } catch (e) {
              host.abort(e instanceof Error ? e.message : String(e));
            }
          } else m.tick(performance.now());
        }
        return (fn as (...a: unknown[]) => unknown)(...args);
      };
    }
    return out;
  },
  // The reference is taken when the guest is instantiated, before any of its code runs: guest memory then holds
  // exactly what the module's data segments put there, so a change made before the guest's first exit is seen.
  started(host) {
    const m = monitors.get(host)?.();
    if (m === undefined || m === null || m.armed) return;
    try {
      m.arm();
    } catch (e) {
      host.abort(e instanceof Error ? e.message : String(e));
    }
  },
  dispose: (host) => {
    boards.get(host)?.release();
    boards.delete(host);
  },
};
