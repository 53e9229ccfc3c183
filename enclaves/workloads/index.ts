// EPC workloads (issue 6): small enclave-side kernels whose working set is chosen by the caller, used by the
// paging tests (identical results with and without paging) and the EPC benchmark.
export { sortKernel } from './sort';
export { hashKernel, hashFill, hashAt } from './hash';
export { tableKernel, tableAt, skewedAt } from './table';
export { bulkKernel } from './bulk';
export { reserve, read8, write8, read64, write64, read128lo, copy, fill, size, grow, sum, touchPages, writePages } from './probe';
