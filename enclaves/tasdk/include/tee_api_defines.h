/*
 * GlobalPlatform TEE Internal Core API constants (GPD_SPE_010 v1.3.1: §3.3 return codes, §4.1.2 parameter
 * types, §6.1.1 algorithms, §4.11 memory hints), with the names and values of OP-TEE's
 * lib/libutee/include/tee_api_defines.h, for C trusted applications built by `emon ta build`.
 */
#ifndef TEE_API_DEFINES_H
#define TEE_API_DEFINES_H

#define TEE_SUCCESS                       0x00000000
#define TEE_ERROR_CORRUPT_OBJECT          0xF0100001
#define TEE_ERROR_STORAGE_NOT_AVAILABLE   0xF0100003
#define TEE_ERROR_GENERIC                 0xFFFF0000
#define TEE_ERROR_ACCESS_DENIED           0xFFFF0001
#define TEE_ERROR_CANCEL                  0xFFFF0002
#define TEE_ERROR_ACCESS_CONFLICT         0xFFFF0003
#define TEE_ERROR_EXCESS_DATA             0xFFFF0004
#define TEE_ERROR_BAD_FORMAT              0xFFFF0005
#define TEE_ERROR_BAD_PARAMETERS          0xFFFF0006
#define TEE_ERROR_BAD_STATE               0xFFFF0007
#define TEE_ERROR_ITEM_NOT_FOUND          0xFFFF0008
#define TEE_ERROR_NOT_IMPLEMENTED         0xFFFF0009
#define TEE_ERROR_NOT_SUPPORTED           0xFFFF000A
#define TEE_ERROR_NO_DATA                 0xFFFF000B
#define TEE_ERROR_OUT_OF_MEMORY           0xFFFF000C
#define TEE_ERROR_BUSY                    0xFFFF000D
#define TEE_ERROR_COMMUNICATION           0xFFFF000E
#define TEE_ERROR_SECURITY                0xFFFF000F
#define TEE_ERROR_SHORT_BUFFER            0xFFFF0010
#define TEE_ERROR_EXTERNAL_CANCEL         0xFFFF0011
#define TEE_ERROR_OVERFLOW                0xFFFF300F
#define TEE_ERROR_TARGET_DEAD             0xFFFF3024
#define TEE_ERROR_STORAGE_NO_SPACE        0xFFFF3041
#define TEE_ERROR_MAC_INVALID             0xFFFF3071
#define TEE_ERROR_SIGNATURE_INVALID       0xFFFF3072
#define TEE_ERROR_TIME_NOT_SET            0xFFFF5000
#define TEE_ERROR_TIME_NEEDS_RESET        0xFFFF5001

#define TEE_ORIGIN_API          0x00000001
#define TEE_ORIGIN_COMMS        0x00000002
#define TEE_ORIGIN_TEE          0x00000003
#define TEE_ORIGIN_TRUSTED_APP  0x00000004

#define TEE_PARAM_TYPE_NONE          0
#define TEE_PARAM_TYPE_VALUE_INPUT   1
#define TEE_PARAM_TYPE_VALUE_OUTPUT  2
#define TEE_PARAM_TYPE_VALUE_INOUT   3
#define TEE_PARAM_TYPE_MEMREF_INPUT  5
#define TEE_PARAM_TYPE_MEMREF_OUTPUT 6
#define TEE_PARAM_TYPE_MEMREF_INOUT  7

#define TEE_PARAM_TYPES(t0, t1, t2, t3) \
    ((t0) | ((t1) << 4) | ((t2) << 8) | ((t3) << 12))
#define TEE_PARAM_TYPE_GET(t, i) ((((uint32_t)(t)) >> ((i) * 4)) & 0xF)

#define TEE_NUM_PARAMS 4

#define TEE_LOGIN_PUBLIC       0x00000000
#define TEE_LOGIN_USER         0x00000001
#define TEE_LOGIN_GROUP        0x00000002
#define TEE_LOGIN_APPLICATION  0x00000004
#define TEE_LOGIN_TRUSTED_APP  0xF0000000

#define TEE_MALLOC_FILL_ZERO   0x00000000
#define TEE_MALLOC_NO_FILL     0x00000001
#define TEE_MALLOC_NO_SHARE    0x00000002

#define TEE_HANDLE_NULL 0

/* Algorithms the secure world's crypto core (the Wasm core, enclaves/lib) implements. */
#define TEE_ALG_SHA256          0x50000004
#define TEE_ALG_HMAC_SHA256     0x30000004
/* emon extension: ChaCha20-Poly1305 (RFC 8439), in GP's implementation-defined range. */
#define TEE_ALG_CHACHA20_POLY1305_EMON 0xF0000001

#define TEE_MODE_ENCRYPT  0
#define TEE_MODE_DECRYPT  1
#define TEE_MODE_SIGN     2
#define TEE_MODE_VERIFY   3
#define TEE_MODE_MAC      4
#define TEE_MODE_DIGEST   5
#define TEE_MODE_DERIVE   6

#endif /* TEE_API_DEFINES_H */
