/**
 * Builds one trusted application folder into an installable `<uuid>.ta` (the job of OP-TEE's TA dev kit
 * makefiles, ta_dev_kit.mk, plus sign_encrypt.py): an AssemblyScript TA (index.ts + ta.json, against
 * enclaves/tasdk) is compiled with asc, a C TA (*.c + user_ta_header_defines.h, against the GP headers in
 * enclaves/tasdk/include and the runtime enclaves/tasdk/c/tee_ta_runtime.c) with clang
 * --target=wasm32; both import their memory so the secure world can bound it. The module is then signed with the
 * TA properties embedded (runtime/enclave/ta-signing.ts) and written to OUT/<uuid>.ta.
 */
import asc from 'assemblyscript/asc';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signTa } from '../enclave/ta-signing.js';
import { EmonError } from '../errors.js';
import { readRegularFile } from '../files.js';
import { parseTaProperties, TA_SUFFIX, type TaProperties } from '../hw/tz/ta-image.js';
import { projectRoot } from '../paths.js';

/** The C headers TAs include (tee_internal_api.h, ...) and the TA runtime linked into each. */
export const taHeaderDir = path.join(projectRoot, 'enclaves', 'tasdk', 'include');
const taRuntime = path.join(projectRoot, 'enclaves', 'tasdk', 'c', 'tee_ta_runtime.c');

export function readTaJson(dir: string): TaProperties {
  const file = path.join(dir, 'ta.json');
  let json: unknown;
  try {
    json = JSON.parse(readRegularFile(file, 'utf8'));
  } catch (e) {
    throw new EmonError('E_TA_FORMAT', `${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'a TA folder holds ta.json: {"uuid": "...", "flags": 0, "stackSize": 16384, "dataSize": 65536, "version": "1.0", "description": "..."}',
    });
  }
  return parseTaProperties(json, file);
}

async function compileAs(entry: string, output: string): Promise<void> {
  let errors = '';
  const result = await asc.main(
    [path.relative(projectRoot, entry), '--outFile', output, '-O3', '--runtime', 'stub', '--importMemory', '--noExportMemory', '--baseDir', projectRoot],
    { stderr: { write: (s: string | Uint8Array) => ((errors += String(s)), true) } as never, stdout: { write: () => true } as never },
  );
  for (const ext of ['.js', '.d.ts']) rmSync(output.replace(/\.wasm$/, ext), { force: true });
  if (result.error) {
    throw new EmonError('E_BUILD', `asc failed on ${path.relative(projectRoot, entry)}: ${result.error.message}\n${errors}`, { hint: 'fix the AssemblyScript error above' });
  }
}

/** Properties of a C TA, from its user_ta_header_defines.h (TA_UUID, TA_FLAGS, TA_STACK_SIZE, TA_DATA_SIZE, ...). */
export function propsFromHeader(dir: string): TaProperties {
  const file = path.join(dir, 'user_ta_header_defines.h');
  const text = readRegularFile(file, 'utf8');
  const def = (name: string): string | undefined => new RegExp(`#define\\s+${name}\\s+(.+)`).exec(text)?.[1]?.trim();
  const uuidMacro = def('TA_UUID') ?? '';
  const uuidName = /^[A-Z_0-9]+$/.test(uuidMacro) ? uuidMacro : '';
  // OP-TEE TAs define TA_UUID as a macro naming a struct initializer: { 0x8aaaf200, 0x2450, 0x11e4, { 0xab, ... } }.
  const headers = [text, ...readdirSync(dir).filter((f) => f.endsWith('.h')).map((f) => readRegularFile(path.join(dir, f), 'utf8'))].join('\n');
  const init = uuidName ? new RegExp(`#define\\s+${uuidName}\\s+\\\\?\\s*\\{([^}]*)\\{([^}]*)\\}`).exec(headers) : /\{([^}]*)\{([^}]*)\}/.exec(uuidMacro);
  if (!init) throw new EmonError('E_TA_FORMAT', `${file}: cannot read TA_UUID`, { hint: 'define TA_UUID as OP-TEE TAs do: { 0x8aaaf200, 0x2450, 0x11e4, { 0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b } }' });
  const nums = [...init[1]!.split(','), ...init[2]!.split(',')].map((s) => s.replace(/\\/g, '').trim()).filter(Boolean).map((s) => Number(s));
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const uuid = `${h(nums[0]!, 8)}-${h(nums[1]!, 4)}-${h(nums[2]!, 4)}-${nums.slice(3, 5).map((n) => h(n, 2)).join('')}-${nums.slice(5, 11).map((n) => h(n, 2)).join('')}`;
  const num = (name: string, d: number): number => {
    const v = def(name);
    if (v === undefined) return d;
    const m = /^\(?\s*(\d+)\s*\*\s*(\d+)\s*\)?$/.exec(v);
    if (m) return Number(m[1]) * Number(m[2]);
    const flags = v.replace(/TA_FLAG_SINGLE_INSTANCE/g, '4').replace(/TA_FLAG_MULTI_SESSION/g, '8').replace(/TA_FLAG_INSTANCE_KEEP_ALIVE/g, '16').replace(/TA_FLAG_EXEC_DDR|TA_FLAG_USER_MODE/g, '0');
    if (/^[\d\s|()]+$/.test(flags)) return flags.split('|').map((x) => Number(x.replace(/[()]/g, '').trim() || 0)).reduce((a, b) => a | b, 0);
    return Number(v);
  };
  const str = (name: string): string => /"(.*)"/.exec(def(name) ?? '')?.[1] ?? '';
  // TA_CURRENT_TA_EXT_PROPERTIES entries of string, bool and u32 type: { "name", USER_TA_PROP_TYPE_X, value }.
  const types: Record<string, number> = { BOOL: 0, U32: 1, STRING: 4 };
  const ext = [...text.matchAll(/\{\s*"([^"]+)"\s*,[\s\\]*USER_TA_PROP_TYPE_(BOOL|U32|STRING)\s*,[\s\\]*(?:"([^"]*)"|&\(const (?:uint32_t|bool)\)\s*\{\s*(\w+)\s*\})/g)].map((m) => ({
    name: m[1]!,
    type: types[m[2]!]!,
    value: m[3] ?? (m[2] === 'BOOL' ? m[4] === 'true' : Number(m[4])),
  }));
  return parseTaProperties({ uuid, flags: num('TA_FLAGS', 0), stackSize: num('TA_STACK_SIZE', 2048), dataSize: num('TA_DATA_SIZE', 32768), version: str('TA_VERSION'), description: str('TA_DESCRIPTION'), ext }, file);
}

function compileC(dir: string, output: string, props: TaProperties): void {
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => path.join(dir, f));
  const args = [
    '--target=wasm32', '-nostdlib', '-O2', '-mbulk-memory', '-I', taHeaderDir, '-I', dir,
    // The stack goes first, below the data: a C TA that overflows TA_STACK_SIZE runs below address 0 and traps
    // (its instance dies, TEE_ERROR_TARGET_DEAD) instead of writing over its static data.
    '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--stack-first', `-Wl,-z,stack-size=${Math.max(1024, props.stackSize) + 15 & ~15}`,
    ...['TA_CreateEntryPoint', 'TA_DestroyEntryPoint', 'TA_OpenSessionEntryPoint', 'TA_CloseSessionEntryPoint', 'TA_InvokeCommandEntryPoint', '__tee_params', '__tee_shm', '__tee_shm_size'].map((e) => `-Wl,--export=${e}`),
    '-o', output, taRuntime, ...sources,
  ];
  try {
    execFileSync('clang', args, { stdio: ['ignore', 'inherit', 'pipe'] });
  } catch (e) {
    throw new EmonError('E_BUILD', `clang failed on the TA in ${dir}: ${String((e as { stderr?: Buffer }).stderr ?? e)}`, { hint: 'install clang and lld (apt install clang lld), and fix the C error above' });
  }
}

/** Compile and sign the TA in `dir` into `outDir/<uuid>.ta`; returns the file written. */
export async function buildTa(dir: string, outDir: string, secretKey: Uint8Array): Promise<string> {
  const isAs = existsSync(path.join(dir, 'index.ts'));
  const isC = !isAs && readdirSync(dir).some((f) => f.endsWith('.c'));
  if (!isAs && !isC) throw new EmonError('E_USAGE', `${dir} holds no TA sources (index.ts with ta.json, or *.c with user_ta_header_defines.h)`, { hint: 'see docs/trustzone.md, "Writing a TA"' });
  const props = isAs ? readTaJson(dir) : propsFromHeader(dir);
  const tmp = path.join(tmpdir(), `emon-ta-${process.pid}-${props.uuid}.wasm`);
  try {
    if (isAs) await compileAs(path.join(dir, 'index.ts'), tmp);
    else compileC(dir, tmp, props);
    mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, props.uuid + TA_SUFFIX);
    writeFileSync(out, signTa(new Uint8Array(readFileSync(tmp)), out, secretKey, props));
    return out;
  } finally {
    rmSync(tmp, { force: true });
  }
}
