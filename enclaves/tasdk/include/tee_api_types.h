/*
 * GlobalPlatform TEE Internal Core API types (GPD_SPE_010 v1.3.1 §3.2 and §4.1), as OP-TEE's
 * lib/libutee/include/tee_api_types.h declares them, for wasm32.
 */
#ifndef TEE_API_TYPES_H
#define TEE_API_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t TEE_Result;

/* OP-TEE's compiler.h attribute that TA sources use on unused parameters. */
#ifndef __maybe_unused
#define __maybe_unused __attribute__((unused))
#endif

typedef struct {
    uint32_t timeLow;
    uint16_t timeMid;
    uint16_t timeHiAndVersion;
    uint8_t clockSeqAndNode[8];
} TEE_UUID;

typedef union {
    struct {
        void *buffer;
        uint32_t size;
    } memref;
    struct {
        uint32_t a;
        uint32_t b;
    } value;
} TEE_Param;

_Static_assert(sizeof(TEE_Param) == 8, "TEE_Param is 8 bytes on wasm32, as the secure world lays it out");

typedef struct {
    uint32_t seconds;
    uint32_t millis;
} TEE_Time;

typedef struct __TEE_OperationHandle *TEE_OperationHandle;
typedef void *TEE_TASessionHandle;

#endif /* TEE_API_TYPES_H */
