/** The EPC (issue 6): platform budget, demand paging with sealed eviction, eviction policies, fault channel. */
export { Epc } from './epc.js';
export type { EpcFault, FaultListener, EpcOptions, EnclaveMemoryOptions, EpcStats } from './epc.js';
export { EpcBudget } from './budget.js';
export { EnclaveSpace } from './space.js';
export { instrumentEnclave, EPC_IMPORT } from './instrument.js';
export { instrumentCached, instrumentCacheStats, clearInstrumentCache } from './cache.js';
export type { DiskCache } from './cache.js';
export type { EpcLayout, EpcMode, InstrumentedModule, InstrumentOptions } from './instrument.js';
export { clock, fifo, policies, FrameRing } from './policy.js';
export type { EvictionPolicy, PolicyName, ReferenceBits } from './policy.js';
export { UntrustedMemoryStore } from './backing.js';
export type { BackingStore } from './backing.js';
export { PageSealer, SEALED_PAGE_BYTES, TAG_BYTES } from './seal.js';
export { VersionArray, versionArrayPages } from './versions.js';
export { parseEpcSize, DEFAULT_EPC_BYTES, PAGE_SIZE, PAGE_SHIFT, WASM_PAGE } from './size.js';
export { PageTableBits } from './pte.js';
export type { AdSample, OsPageView } from './pte.js';
export { pagingCounterImports, HW_COUNTER_IMPORT } from './counter.js';
