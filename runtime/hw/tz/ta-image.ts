/**
 * A trusted application image as the secure world loads it: a SIGSTRUCT-signed Wasm module (the same signing as
 * enclaves, ../signed-image.ts) carrying its TA properties in the measured custom section `emon.ta`, the role of
 * OP-TEE's `.ta_head` and `user_ta_header` (optee_os lib/libutee/include/user_ta_header.h; properties declared
 * in the TA's user_ta_header_defines.h: TA_UUID, TA_FLAGS, TA_STACK_SIZE, TA_DATA_SIZE, TA_VERSION,
 * TA_DESCRIPTION, TA_CURRENT_TA_EXT_PROPERTIES). Installed as `<uuid>.ta` in the TA directory (`--ta-dir`),
 * where the secure world looks it up by UUID as tee-supplicant does in /lib/optee_armtz.
 *
 * The TA's memory is imported (`env.memory`): the secure world makes it from the carve-out with a maximum of
 * TA_STACK_SIZE + TA_DATA_SIZE, so a TA that asks for more gets a failed grow (TEE_Malloc returns NULL), never
 * memory it was not given.
 */
import { EmonError } from '../../errors.js';
import type { EnclaveIdentity } from '../sgx/identity.js';
import { readCustomSection } from '../sgx/wasm-sections.js';
import { verifySignedImage } from '../signed-image.js';
import { TA_FLAG_INSTANCE_KEEP_ALIVE, TA_FLAG_MULTI_SESSION, TA_FLAG_SINGLE_INSTANCE } from './gp.js';
import { WASM_PAGE } from './carveout.js';
import { isUuid } from './uuid.js';

export const TA_SECTION = 'emon.ta';
export const TA_SUFFIX = '.ta';

/** USER_TA_PROP_TYPE_* (user_ta_header.h). */
export const USER_TA_PROP_TYPE_BOOL = 0;
export const USER_TA_PROP_TYPE_U32 = 1;
export const USER_TA_PROP_TYPE_UUID = 2;
export const USER_TA_PROP_TYPE_IDENTITY = 3;
export const USER_TA_PROP_TYPE_STRING = 4;
export const USER_TA_PROP_TYPE_BINARY_BLOCK = 5;
export const USER_TA_PROP_TYPE_U64 = 6;

export interface TaExtProperty {
  readonly name: string;
  readonly type: number;
  readonly value: string | number | boolean;
}

export interface TaProperties {
  readonly uuid: string;
  readonly flags: number;
  readonly stackSize: number;
  readonly dataSize: number;
  readonly version: string;
  readonly description: string;
  readonly ext: readonly TaExtProperty[];
}

export interface TaImage {
  readonly file: string;
  readonly props: TaProperties;
  readonly identity: EnclaveIdentity;
  readonly module: WebAssembly.Module;
  /** Wasm pages of memory the TA may use: (stack + data) rounded up. */
  readonly memoryPages: number;
  /** Pages its memory must start with (the module's own minimum). */
  readonly initialPages: number;
  readonly singleInstance: boolean;
  readonly multiSession: boolean;
  readonly keepAlive: boolean;
  /** Imports a rewritten module needs besides env and tee (see TaInstrumentation); none for a plain TA. */
  readonly extraImports?: WebAssembly.Imports;
}

/**
 * An opt-in rewrite of a TA's verified module before it runs, for simulations that must see inside it (the
 * side-channel observatory routes its loads and stores through a cache model, runtime/hw/cache). The TA is
 * verified and its imports checked on the module as signed; the rewrite may only add the imports it supplies.
 */
export interface TaInstrumentation {
  rewrite(wasm: Uint8Array, file: string): Uint8Array;
  readonly imports: WebAssembly.Imports;
}

/** Imports a TA may have: the TA syscalls in module "tee", its memory and abort in "env". */
export const TEE_SYSCALLS: readonly string[] = ['log', 'panic', 'random', 'get_time', 'secure_device_read', 'secure_block_info', 'secure_block_io', 'normal_world_read', 'integrity_alert', 'integrity_token', 'cryp_alloc', 'cryp_update', 'cryp_final', 'cryp_free', 'cryp_aead'];

const fail = (file: string, why: string): never => {
  throw new EmonError('E_TA_FORMAT', `TA ${file}: ${why}`, { hint: 'build it with `emon ta build` (see docs/trustzone.md)' });
};

/** Validate TA properties (JSON from the `emon.ta` section or a ta.json); throws E_TA_FORMAT naming the field. */
export function parseTaProperties(json: unknown, file: string): TaProperties {
  if (typeof json !== 'object' || json === null) fail(file, 'TA properties are not a JSON object');
  const j = json as Record<string, unknown>;
  const uuid = typeof j['uuid'] === 'string' ? j['uuid'].toLowerCase() : '';
  if (!isUuid(uuid)) fail(file, `"uuid" must be a UUID like 8aaaf200-2450-11e4-abe2-0002a5d5c51b, got ${JSON.stringify(j['uuid'])}`);
  const u32 = (k: string, d: number): number => {
    const v = j[k] ?? d;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) fail(file, `"${k}" must be a whole number of bytes, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const flags = u32('flags', 0);
  const stackSize = u32('stackSize', 2 * 1024);
  const dataSize = u32('dataSize', 32 * 1024);
  if (stackSize + dataSize > 1024 * 1024 * 1024) fail(file, 'stackSize + dataSize exceed 1 GiB');
  const str = (k: string): string => (typeof j[k] === 'string' ? (j[k] as string) : j[k] === undefined ? '' : fail(file, `"${k}" must be a string`));
  const extRaw = j['ext'] ?? [];
  if (!Array.isArray(extRaw)) fail(file, '"ext" must be a list of {name, type, value}');
  const ext = (extRaw as unknown[]).map((e, i) => {
    const p = e as Record<string, unknown> | null;
    if (!p || typeof p['name'] !== 'string' || typeof p['type'] !== 'number' || p['type'] < 0 || p['type'] > USER_TA_PROP_TYPE_U64 || !['string', 'number', 'boolean'].includes(typeof p['value'])) {
      fail(file, `"ext" entry #${i} must be {"name": string, "type": USER_TA_PROP_TYPE_* (0-6), "value": ...}`);
    }
    return { name: p!['name'] as string, type: p!['type'] as number, value: p!['value'] as string | number | boolean };
  });
  return { uuid, flags, stackSize, dataSize, version: str('version'), description: str('description'), ext };
}

/** Verify the signature (TEE_ERROR_SECURITY when it fails, the caller maps it) and compile a TA file's bytes. */
export function loadTaImage(bytes: Uint8Array, file: string, instrument?: TaInstrumentation): TaImage {
  const { identity, image } = verifySignedImage(bytes, file, {}, 'TA load');
  const section = readCustomSection(image, TA_SECTION, file);
  if (!section) fail(file, `no TA properties (custom section ${TA_SECTION})`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(section!));
  } catch {
    fail(file, `the ${TA_SECTION} section is not JSON`);
  }
  const props = parseTaProperties(json, file);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(image as Uint8Array<ArrayBuffer>);
  } catch (e) {
    return fail(file, `the module does not compile: ${(e as Error).message}`);
  }
  let initialPages = 0;
  let importsMemory = false;
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === 'env' && imp.name === 'memory' && imp.kind === 'memory') importsMemory = true;
    else if (imp.module === 'env' && imp.name === 'abort' && imp.kind === 'function') continue;
    else if (imp.module === 'tee' && imp.kind === 'function' && TEE_SYSCALLS.includes(imp.name)) continue;
    else fail(file, `imports ${imp.kind} "${imp.module}"."${imp.name}"; a TA may import only env.memory, env.abort and the "tee" syscalls (${TEE_SYSCALLS.join(', ')})`);
  }
  if (!importsMemory) fail(file, 'defines its own memory; a TA imports env.memory so the secure world can bound it (asc --importMemory, or wasm-ld --import-memory)');
  if (WebAssembly.Module.exports(module).some((e) => e.kind === 'memory')) fail(file, 'exports a memory; secure memory is never handed out');
  if (instrument !== undefined) {
    try {
      module = new WebAssembly.Module(instrument.rewrite(image, file) as Uint8Array<ArrayBuffer>);
    } catch (e) {
      return fail(file, `the instrumented module does not compile: ${(e as Error).message}`);
    }
  }
  initialPages = minimumMemoryPages(image);
  const memoryPages = Math.max(1, Math.ceil((props.stackSize + props.dataSize) / WASM_PAGE));
  return {
    file,
    props,
    identity,
    module,
    memoryPages,
    initialPages,
    singleInstance: (props.flags & TA_FLAG_SINGLE_INSTANCE) !== 0,
    multiSession: (props.flags & TA_FLAG_MULTI_SESSION) !== 0,
    keepAlive: (props.flags & TA_FLAG_INSTANCE_KEEP_ALIVE) !== 0,
    ...(instrument !== undefined ? { extraImports: instrument.imports } : {}),
  };
}

/** The minimum (in pages) of the module's imported memory, read from its import section (id 2). */
function minimumMemoryPages(bytes: Uint8Array): number {
  let p = 8;
  const leb = (): number => {
    let r = 0;
    let s = 0;
    for (;;) {
      const b = bytes[p++]!;
      r += (b & 0x7f) * 2 ** s;
      s += 7;
      if ((b & 0x80) === 0) return r;
    }
  };
  const name = (): string => {
    const n = leb();
    const t = new TextDecoder().decode(bytes.subarray(p, p + n));
    p += n;
    return t;
  };
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 2) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const mod = name();
        const field = name();
        const kind = bytes[p++]!;
        if (kind === 0) leb();
        else if (kind === 1) {
          p++;
          const f = bytes[p++]!;
          leb();
          if (f & 1) leb();
        } else if (kind === 2) {
          const f = bytes[p++]!;
          const min = leb();
          if (f & 1) leb();
          if (mod === 'env' && field === 'memory') return min;
        } else if (kind === 3) p += 2;
        else leb();
      }
    }
    p = end;
  }
  return 0;
}
