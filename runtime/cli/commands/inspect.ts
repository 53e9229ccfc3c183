/**
 * `emon inspect GUEST.wasm`: what the monitor sees in a guest binary, like `solo5-elftool query-manifest`
 * plus the module's interface: imports (and whether emon serves them), exports, memory limits, devices and any
 * further manifest keys.
 */
import type { Command } from 'commander';
import { HYPERCALL_SIGNATURES, HYPERCALLS, SOLO5_IMPORT_MODULE, type HypercallName } from '../../monitor/abi.js';
import type { MonitorExtension } from '../../monitor/extension.js';
import { compileGuest, guestNameOf, readGuestFile, WASM_PAGE } from '../../monitor/loader.js';
import { readManifest } from '../../monitor/manifest.js';
import { functionImports, memoryDecl } from '../../monitor/wasmbin.js';

export interface Inspection {
  file: string;
  bytes: number;
  imports: Array<{ module: string; name: string; kind: string; served: boolean; signature?: string; expected?: string }>;
  exports: Array<{ name: string; kind: string }>;
  memory: { initialPages: number; maxPages: number | null; initialBytes: number };
  devices: Array<{ name: string; type: string }>;
  manifestExtra: Record<string, unknown>;
}

export function inspectGuest(file: string, extensions: readonly MonitorExtension[] = []): Inspection {
  const bytes = readGuestFile(file);
  const what = `guest ${guestNameOf(file)} (${file})`;
  const manifest = readManifest(bytes, what);
  const mem = memoryDecl(bytes, what);
  const module = compileGuest(bytes, what);
  const served = (m: string, n: string) =>
    (m === SOLO5_IMPORT_MODULE && (HYPERCALLS as readonly string[]).includes(n)) || extensions.some((e) => e.importModule === m);
  const sigs = new Map(functionImports(bytes, what).map((f) => [`${f.module}\0${f.name}`, f.signature ?? undefined]));
  const limits = mem.defined[0];
  const { devices: _d, type: _t, version: _v, ...extra } = manifest.raw;
  return {
    file,
    bytes: bytes.length,
    imports: WebAssembly.Module.imports(module).map((i) => {
      const signature = sigs.get(`${i.module}\0${i.name}`) ?? undefined;
      const expected = i.module === SOLO5_IMPORT_MODULE ? (HYPERCALL_SIGNATURES[i.name as HypercallName] as string | undefined) : undefined;
      return {
        ...i,
        served: served(i.module, i.name) && (expected === undefined || signature === undefined || signature === expected),
        ...(signature !== undefined ? { signature } : {}),
        ...(expected !== undefined && signature !== undefined && signature !== expected ? { expected } : {}),
      };
    }),
    exports: WebAssembly.Module.exports(module).map((e) => ({ ...e })),
    memory: { initialPages: limits?.min ?? 0, maxPages: limits?.max ?? null, initialBytes: (limits?.min ?? 0) * WASM_PAGE },
    devices: manifest.devices.map((d) => ({ ...d })),
    manifestExtra: extra,
  };
}

/** Prints an inspection as text, or as JSON. */
export function printInspection(r: Inspection, json = false): void {
  if (json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  const lines = [
    `${r.file} (${r.bytes} bytes)`,
    `memory: ${r.memory.initialPages} pages (${r.memory.initialBytes / 1024} KiB) at start, maximum ${r.memory.maxPages === null ? 'none declared (emon caps it with --mem)' : `${r.memory.maxPages} pages`}`,
    `imports (${r.imports.length}):`,
    ...r.imports.map(
      (i) =>
        `  ${i.module}.${i.name} (${i.signature !== undefined ? `${i.kind} ${i.signature}` : i.kind})` +
        (i.expected !== undefined ? `  <- wrong signature, the hypercall is (${i.expected})` : i.served ? '' : '  <- NOT provided by emon'),
    ),
    `exports (${r.exports.length}):`,
    ...r.exports.map((e) => `  ${e.name} (${e.kind})`),
    `devices (${r.devices.length}):`,
    ...r.devices.map((d) => `  ${d.name} ${d.type}  attach with --${d.type === 'BLOCK_BASIC' ? 'block' : 'net'}:${d.name}=...`),
  ];
  for (const [k, v] of Object.entries(r.manifestExtra)) lines.push(`manifest "${k}": ${JSON.stringify(v)}`);
  console.log(lines.join('\n'));
}

/** `emon inspect FILE [--json]`. */
export async function inspectCommand(file: string, json: boolean): Promise<void> {
  // Extensions pull in large modules (the enclave service loads binaryen) and serve only modules other than
  // "solo5": a plain unikernel is inspected without loading them.
  let r = inspectGuest(file);
  if (r.imports.some((i) => i.module !== SOLO5_IMPORT_MODULE)) r = inspectGuest(file, (await import('../../monitor/extensions.js')).extensions);
  printInspection(r, json);
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show the imports, exports, memory limits and declared devices of a guest')
    .argument('<guest>', 'guest .wasm file')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => inspectCommand(file, opts.json === true));
}
