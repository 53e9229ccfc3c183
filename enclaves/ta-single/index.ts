// The hello-world TA's code under other TA properties: single-instance without multi-session, so a second
// session while one is open gets TEE_ERROR_BUSY (OP-TEE's tee_ta_manager.c rule).
export * from '../ta-hello/index';
