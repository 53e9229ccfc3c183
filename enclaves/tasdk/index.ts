// The AssemblyScript TA SDK: GP TEE Internal Core API names for trusted applications run by emon's TrustZone
// secure world (runtime/hw/tz). A TA's entry file exports the five GP entry points and re-exports
// `__tee_params, __tee_shm, __tee_shm_size` from here; `emon ta build DIR` compiles, signs and installs it.
export * from './tee_api_defines';
export * from './tee';
export { __tee_params, __tee_shm, __tee_shm_size, TEE_SHM_SIZE } from './entry';
