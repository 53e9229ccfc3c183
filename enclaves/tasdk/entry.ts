// The secure world's view of a TA built with this SDK (runtime/hw/tz/ta-instance.ts): where the TEE_Param[4]
// array and the session-context slot live, and the shared area the secure world copies temporary memrefs into
// (OP-TEE maps the client's shared memory into the TA instead; a copy keeps the TA from ever addressing
// normal-world memory). A TA's entry file re-exports these three functions next to its five GP entry points.

/** TEE_Param[4] (32 bytes), then the session-context slot TA_OpenSessionEntryPoint writes (4 bytes). */
const PARAMS: usize = memory.data(40, 16);
/** Shared area for temporary memrefs: the most one operation may pass in and out together. */
export const TEE_SHM_SIZE: usize = 16 * 1024;
const SHM: usize = memory.data(<i32>TEE_SHM_SIZE, 16);

export function __tee_params(): usize {
  return PARAMS;
}
export function __tee_shm(): usize {
  return SHM;
}
export function __tee_shm_size(): usize {
  return TEE_SHM_SIZE;
}
