/**
 * Entry point of the stand-alone crypto core module (build/crypto/core-{simd,scalar}.wasm) that runtime/hw
 * instantiates for the EPC pager, tests and benchmarks. It exports the library unchanged plus where free memory
 * starts: everything above heap_base() belongs to the host wrapper, which lays out its buffers there.
 */
export * from './index';

/** First byte not used by the core's static data; the host wrapper owns memory from here on. */
export function heap_base(): usize {
  return __heap_base;
}

/** 1 when this build uses v128 SIMD (compiled with --enable simd), 0 for the scalar build. */
export function simd_enabled(): u32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}
