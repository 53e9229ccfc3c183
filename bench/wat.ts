/**
 * Tiny benchmark modules written in the WebAssembly text format (WebAssembly Core Specification, §6 "Text
 * Format") and assembled at setup with wabt's `wat2wasm`, so a benchmark's Wasm side is readable in the source
 * instead of being a committed binary.
 */
import wabtInit from 'wabt';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | null = null;

/** Assemble WAT text into a validated binary. `name` only labels parse errors. */
export async function watToWasm(name: string, text: string): Promise<Uint8Array<ArrayBuffer>> {
  wabt ??= wabtInit();
  const mod = (await wabt).parseWat(`${name}.wat`, text, { mutable_globals: true, bulk_memory: true, simd: true });
  try {
    mod.resolveNames();
    mod.validate();
    // Copy out of wabt's heap into a plain ArrayBuffer the Wasm API accepts.
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Assemble and instantiate; returns the instance's exports. */
export async function instantiateWat(
  name: string,
  text: string,
  imports: WebAssembly.Imports = {},
): Promise<WebAssembly.Exports> {
  const bytes = await watToWasm(name, text);
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module, imports);
  return instance.exports;
}
