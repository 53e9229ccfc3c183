/*
 * The GlobalPlatform TEE Internal Core API for C trusted applications (GPD_SPE_010 v1.3.1), the subset emon's
 * secure world implements, with GP's names and signatures so that an OP-TEE TA's sources compile unchanged with
 * clang --target=wasm32 (`emon ta build DIR`): the TA entry points (§4.3), memory (§4.11), TEE_Panic (§4.8),
 * random (§6.11), time (§7.2), and the cryptographic operations for the primitives the secure world's crypto
 * core has (§6.2-6.5: SHA-256 digests, HMAC-SHA256 MACs).
 */
#ifndef TEE_INTERNAL_API_H
#define TEE_INTERNAL_API_H

#include "tee_api_defines.h"
#include "tee_api_types.h"

/* Entry points every TA defines (§4.3). */
TEE_Result TA_CreateEntryPoint(void);
void TA_DestroyEntryPoint(void);
TEE_Result TA_OpenSessionEntryPoint(uint32_t paramTypes, TEE_Param params[TEE_NUM_PARAMS], void **sessionContext);
void TA_CloseSessionEntryPoint(void *sessionContext);
TEE_Result TA_InvokeCommandEntryPoint(void *sessionContext, uint32_t commandID, uint32_t paramTypes, TEE_Param params[TEE_NUM_PARAMS]);

/* Panic: the TA instance dies; its clients get TEE_ERROR_TARGET_DEAD. */
void TEE_Panic(TEE_Result panicCode) __attribute__((noreturn));

/* Memory: bounded by TA_STACK_SIZE + TA_DATA_SIZE; TEE_Malloc returns NULL past it. */
void *TEE_Malloc(size_t size, uint32_t hint);
void *TEE_Realloc(void *buffer, size_t newSize);
void TEE_Free(void *buffer);
void *TEE_MemMove(void *dest, const void *src, size_t size);
int32_t TEE_MemCompare(const void *buffer1, const void *buffer2, size_t size);
void *TEE_MemFill(void *buffer, uint32_t x, size_t size);

/* Random and time. */
void TEE_GenerateRandom(void *randomBuffer, size_t randomBufferLen);
void TEE_GetSystemTime(TEE_Time *time);
void TEE_GetREETime(TEE_Time *time);

/* Cryptographic operations (SHA-256 digest, HMAC-SHA256 MAC). */
TEE_Result TEE_AllocateOperation(TEE_OperationHandle *operation, uint32_t algorithm, uint32_t mode, uint32_t maxKeySize);
void TEE_FreeOperation(TEE_OperationHandle operation);
void TEE_ResetOperation(TEE_OperationHandle operation);
void TEE_DigestUpdate(TEE_OperationHandle operation, const void *chunk, size_t chunkSize);
TEE_Result TEE_DigestDoFinal(TEE_OperationHandle operation, const void *chunk, size_t chunkLen, void *hash, size_t *hashLen);
void TEE_MACInit(TEE_OperationHandle operation, const void *IV, size_t IVLen);
void TEE_MACUpdate(TEE_OperationHandle operation, const void *chunk, size_t chunkSize);
TEE_Result TEE_MACComputeFinal(TEE_OperationHandle operation, const void *message, size_t messageLen, void *mac, size_t *macLen);
TEE_Result TEE_MACCompareFinal(TEE_OperationHandle operation, const void *message, size_t messageLen, const void *mac, size_t macLen);

#endif /* TEE_INTERNAL_API_H */
