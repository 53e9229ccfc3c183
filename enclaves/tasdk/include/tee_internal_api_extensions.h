/*
 * Extensions beyond GP's Internal Core API, as OP-TEE's lib/libutee/include/tee_internal_api_extensions.h
 * collects its own: the trace macros, and emon's TrustZone services — keys given as bytes (GP sets keys from
 * transient objects, which emon does not have), ChaCha20-Poly1305, secure devices and block devices, and normal-world reads.
 */
#ifndef TEE_INTERNAL_API_EXTENSIONS_H
#define TEE_INTERNAL_API_EXTENSIONS_H

#include "tee_internal_api.h"
#include "trace.h"

/* Sets the key of a MAC or AE operation from raw bytes (at most 64). */
TEE_Result TEE_SetOperationKeyBytes(TEE_OperationHandle operation, const void *key, size_t keyLen);
/* ChaCha20-Poly1305 (RFC 8439) with a 32-byte key and 12-byte nonce; dst gets len + 16 bytes on encrypt. */
TEE_Result TEE_AEChaCha20Poly1305(bool encrypt, const void *key, const void *nonce, const void *aad, size_t aadLen,
                                  const void *src, size_t len, void *dst);
/* Reads up to cap bytes from a device assigned to the secure world; the count, or -1 when none is assigned. */
int32_t TEE_SecureDeviceRead(const char *name, void *buf, size_t cap);
/* The block device assigned to the secure world (--secure:NAME=block:PATH): its capacity and block size in
 * bytes. TEE_SUCCESS, or TEE_ERROR_ITEM_NOT_FOUND when none is assigned. */
TEE_Result TEE_SecureBlockInfo(const char *name, uint64_t *capacity, uint64_t *blockSize);
/* Whole-block read / write at byte offset: TEE_SUCCESS, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_ITEM_NOT_FOUND. */
TEE_Result TEE_SecureBlockRead(const char *name, uint64_t offset, void *buf, size_t len);
TEE_Result TEE_SecureBlockWrite(const char *name, uint64_t offset, const void *buf, size_t len);
/* Copies normal-world (guest) memory [src, +len) into the TA; 0, or -1 when out of the guest's bounds. */
int32_t TEE_ReadNormalWorld(uint32_t src, size_t len, void *dst);

#endif /* TEE_INTERNAL_API_EXTENSIONS_H */
