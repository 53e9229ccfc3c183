/**
 * The application manifest, as Solo5 declares a unikernel's devices (Solo5 docs/building.md, "Manifest"; the
 * JSON of `manifest.json`), carried in a Wasm custom section named `solo5.manifest`. Validated at load: known
 * device types only, names of at most 67 bytes, no duplicates, at most 63 devices (Solo5's wording in errors). Extra top-level keys
 * (e.g. `enclaves`) are kept untouched for the extensions that own them.
 */
import { readRegularFile } from '../files.js';
import { EmonError } from '../errors.js';
import { MAX_DEVICE_NAME_BYTES, MAX_DEVICES } from './abi.js';
import { customSections, withCustomSection } from './wasmbin.js';

export const MANIFEST_SECTION = 'solo5.manifest';
export const DEVICE_TYPES = ['BLOCK_BASIC', 'NET_BASIC'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export interface DeviceDecl {
  readonly name: string;
  readonly type: DeviceType;
}

export interface Manifest {
  readonly devices: readonly DeviceDecl[];
  /** The whole JSON object, including keys emon does not interpret. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export const EMPTY_MANIFEST: Manifest = { devices: [], raw: { type: 'solo5.manifest', version: 1, devices: [] } };

function bad(what: string, why: string): never {
  throw new EmonError('E_MANIFEST', `the solo5.manifest of ${what} is invalid: ${why}`, {
    hint: 'fix manifest.json and embed it again with `emon manifest embed manifest.json in.wasm -o out.wasm`',
  });
}

/** Parses and validates manifest JSON text (from a file or a custom section). */
export function parseManifest(text: string, what: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    bad(what, `not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad(what, 'the top level must be an object');
  const raw = json as Record<string, unknown>;
  if (raw.type !== undefined && raw.type !== 'solo5.manifest') bad(what, `"type" must be "solo5.manifest"`);
  if (raw.version !== undefined && raw.version !== 1) bad(what, `unsupported "version" ${JSON.stringify(raw.version)} (emon reads version 1)`);
  const list = raw.devices ?? [];
  if (!Array.isArray(list)) bad(what, '"devices" must be an array');
  if (list.length > MAX_DEVICES) bad(what, `too many entries, maximum ${MAX_DEVICES} (${list.length} devices declared)`);
  const seen = new Set<string>();
  const devices: DeviceDecl[] = [];
  list.forEach((d: unknown, i: number) => {
    if (typeof d !== 'object' || d === null) bad(what, `device #${i} is not an object`);
    const { name, type } = d as Record<string, unknown>;
    if (typeof name !== 'string' || name.length === 0) bad(what, `device #${i} has no "name"`);
    if (Buffer.byteLength(name) > MAX_DEVICE_NAME_BYTES) bad(what, `devices[${i}]: name too long, maximum ${MAX_DEVICE_NAME_BYTES} bytes ("${name.slice(0, 16)}...", ${Buffer.byteLength(name)} bytes)`);
    if (name.includes('\0')) bad(what, `device name #${i} contains a NUL byte`);
    if (!DEVICE_TYPES.includes(type as DeviceType)) bad(what, `device "${name}" has unknown type ${JSON.stringify(type)} (known: ${DEVICE_TYPES.join(', ')})`);
    if (seen.has(name)) bad(what, `device "${name}" is declared twice`);
    seen.add(name);
    devices.push({ name, type: type as DeviceType });
  });
  return { devices, raw };
}

/** Reads the manifest of a module; a module without one declares no devices. */
export function readManifest(bytes: Uint8Array, what: string): Manifest {
  const found = customSections(bytes, MANIFEST_SECTION, what);
  if (found.length === 0) return EMPTY_MANIFEST;
  if (found.length > 1) bad(what, `${found.length} solo5.manifest sections (one is allowed)`);
  return parseManifest(new TextDecoder('utf-8', { fatal: false }).decode(found[0]), what);
}

/** Validates manifest.json and returns the module with it embedded (replacing any earlier manifest). */
export function embedManifest(wasm: Uint8Array, manifestPath: string, wasmWhat: string): Uint8Array {
  let text: string;
  try {
    text = readRegularFile(manifestPath, 'utf8');
  } catch (e) {
    throw new EmonError('E_NO_FILE', `cannot read manifest ${manifestPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'give the path of a Solo5 manifest.json',
    });
  }
  const m = parseManifest(text, manifestPath);
  const canonical = JSON.stringify({ type: 'solo5.manifest', version: 1, ...m.raw, devices: m.devices });
  return withCustomSection(wasm, MANIFEST_SECTION, new TextEncoder().encode(canonical), wasmWhat);
}
