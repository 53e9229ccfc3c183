/*
 * The GlobalPlatform TEE Client API (GP TEE Client API Specification v1.0, GPD_SPE_007) for C guests of emon,
 * with GP's names, types and constants, so that an OP-TEE normal-world program's TEEC_* calls compile
 * unchanged with clang --target=wasm32. The functions are thin inline layers over emon's "teec" imports
 * (runtime/enclave/teec.ts, the TEE driver's role); they need `emon run --backend=tz`.
 *
 * Supported: TEEC_InitializeContext/FinalizeContext, TEEC_OpenSession (UUID + login method), TEEC_InvokeCommand,
 * TEEC_CloseSession, TEEC_RequestCancellation (a no-op: TAs run to completion), operations with value and
 * temporary memref parameters. Registered shared memory (TEEC_MEMREF_WHOLE/PARTIAL_*) is refused with
 * TEEC_ERROR_NOT_SUPPORTED.
 */
#ifndef TEE_CLIENT_API_H
#define TEE_CLIENT_API_H

#include <stddef.h>
#include <stdint.h>

#define TEEC__IMPORT(name) __attribute__((import_module("teec"), import_name(#name)))

typedef uint32_t TEEC_Result;

#define TEEC_SUCCESS                0x00000000
#define TEEC_ERROR_GENERIC          0xFFFF0000
#define TEEC_ERROR_ACCESS_DENIED    0xFFFF0001
#define TEEC_ERROR_CANCEL           0xFFFF0002
#define TEEC_ERROR_ACCESS_CONFLICT  0xFFFF0003
#define TEEC_ERROR_EXCESS_DATA      0xFFFF0004
#define TEEC_ERROR_BAD_FORMAT       0xFFFF0005
#define TEEC_ERROR_BAD_PARAMETERS   0xFFFF0006
#define TEEC_ERROR_BAD_STATE        0xFFFF0007
#define TEEC_ERROR_ITEM_NOT_FOUND   0xFFFF0008
#define TEEC_ERROR_NOT_IMPLEMENTED  0xFFFF0009
#define TEEC_ERROR_NOT_SUPPORTED    0xFFFF000A
#define TEEC_ERROR_NO_DATA          0xFFFF000B
#define TEEC_ERROR_OUT_OF_MEMORY    0xFFFF000C
#define TEEC_ERROR_BUSY             0xFFFF000D
#define TEEC_ERROR_COMMUNICATION    0xFFFF000E
#define TEEC_ERROR_SECURITY         0xFFFF000F
#define TEEC_ERROR_SHORT_BUFFER     0xFFFF0010
#define TEEC_ERROR_EXTERNAL_CANCEL  0xFFFF0011
#define TEEC_ERROR_TARGET_DEAD      0xFFFF3024

#define TEEC_ORIGIN_API          0x00000001
#define TEEC_ORIGIN_COMMS        0x00000002
#define TEEC_ORIGIN_TEE          0x00000003
#define TEEC_ORIGIN_TRUSTED_APP  0x00000004

#define TEEC_NONE                   0x00000000
#define TEEC_VALUE_INPUT            0x00000001
#define TEEC_VALUE_OUTPUT           0x00000002
#define TEEC_VALUE_INOUT            0x00000003
#define TEEC_MEMREF_TEMP_INPUT      0x00000005
#define TEEC_MEMREF_TEMP_OUTPUT     0x00000006
#define TEEC_MEMREF_TEMP_INOUT      0x00000007
#define TEEC_MEMREF_WHOLE           0x0000000C
#define TEEC_MEMREF_PARTIAL_INPUT   0x0000000D
#define TEEC_MEMREF_PARTIAL_OUTPUT  0x0000000E
#define TEEC_MEMREF_PARTIAL_INOUT   0x0000000F

#define TEEC_MEM_INPUT   0x00000001
#define TEEC_MEM_OUTPUT  0x00000002

#define TEEC_LOGIN_PUBLIC             0x00000000
#define TEEC_LOGIN_USER               0x00000001
#define TEEC_LOGIN_GROUP              0x00000002
#define TEEC_LOGIN_APPLICATION        0x00000004
#define TEEC_LOGIN_USER_APPLICATION   0x00000005
#define TEEC_LOGIN_GROUP_APPLICATION  0x00000006

#define TEEC_CONFIG_PAYLOAD_REF_COUNT 4

#define TEEC_PARAM_TYPES(p0, p1, p2, p3) \
    ((uint32_t)((p0) | ((p1) << 4) | ((p2) << 8) | ((p3) << 12)))

typedef struct {
    uint32_t timeLow;
    uint16_t timeMid;
    uint16_t timeHiAndVersion;
    uint8_t clockSeqAndNode[8];
} TEEC_UUID;

typedef struct {
    int fd;
} TEEC_Context;

typedef struct {
    TEEC_Context *ctx;
    uint32_t session_id;
} TEEC_Session;

typedef struct {
    void *buffer;
    size_t size;
    uint32_t flags;
} TEEC_SharedMemory;

typedef struct {
    void *buffer;
    size_t size;
} TEEC_TempMemoryReference;

typedef struct {
    TEEC_SharedMemory *parent;
    size_t size;
    size_t offset;
} TEEC_RegisteredMemoryReference;

typedef struct {
    uint32_t a;
    uint32_t b;
} TEEC_Value;

typedef union {
    TEEC_TempMemoryReference tmpref;
    TEEC_RegisteredMemoryReference memref;
    TEEC_Value value;
} TEEC_Parameter;

typedef struct {
    uint32_t started;
    uint32_t paramTypes;
    TEEC_Parameter params[TEEC_CONFIG_PAYLOAD_REF_COUNT];
    TEEC_Session *session;
} TEEC_Operation;

_Static_assert(sizeof(TEEC_Operation) == 60, "TEEC_Operation layout is the wasm32 one emon reads");

/* emon's TEE driver (runtime/enclave/teec.ts). */
TEEC__IMPORT(initialize_context) TEEC_Result emon_teec_initialize_context(const char *name, size_t len);
TEEC__IMPORT(open_session) TEEC_Result emon_teec_open_session(const TEEC_UUID *uuid, uint32_t login, TEEC_Operation *op, uint32_t *session_out, uint32_t *origin_out);
TEEC__IMPORT(invoke_command) TEEC_Result emon_teec_invoke_command(uint32_t session, uint32_t cmd, TEEC_Operation *op, uint32_t *origin_out);
TEEC__IMPORT(close_session) void emon_teec_close_session(uint32_t session);
TEEC__IMPORT(request_cancellation) TEEC_Result emon_teec_request_cancellation(TEEC_Operation *op);

/* Connects to the TEE named `name` (NULL or "emon"). TEEC_ERROR_COMMUNICATION when the run has no secure world. */
static inline TEEC_Result TEEC_InitializeContext(const char *name, TEEC_Context *context)
{
    size_t n = 0;
    TEEC_Result r;
    if (name)
        while (name[n])
            n++;
    context->fd = -1;
    r = emon_teec_initialize_context(name, n);
    if (r == TEEC_SUCCESS)
        context->fd = 1;
    return r;
}

static inline void TEEC_FinalizeContext(TEEC_Context *context)
{
    if (context)
        context->fd = -1;
}

/* Registered shared memory is not supported: temporary memrefs carry the data. */
static inline TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem)
{
    (void)context;
    (void)sharedMem;
    return TEEC_ERROR_NOT_SUPPORTED;
}

static inline TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem)
{
    (void)context;
    (void)sharedMem;
    return TEEC_ERROR_NOT_SUPPORTED;
}

static inline void TEEC_ReleaseSharedMemory(TEEC_SharedMemory *sharedMem)
{
    (void)sharedMem;
}

/* Opens a session on the TA `destination` (loaded from the TA directory at its first session). */
static inline TEEC_Result TEEC_OpenSession(TEEC_Context *context, TEEC_Session *session, const TEEC_UUID *destination,
                                           uint32_t connectionMethod, const void *connectionData,
                                           TEEC_Operation *operation, uint32_t *returnOrigin)
{
    (void)connectionData;
    if (!context || context->fd < 0 || !session) {
        if (returnOrigin)
            *returnOrigin = TEEC_ORIGIN_API;
        return TEEC_ERROR_BAD_PARAMETERS;
    }
    session->ctx = context;
    if (operation) {
        operation->started = 1;
        operation->session = session;
    }
    return emon_teec_open_session(destination, connectionMethod, operation, &session->session_id, returnOrigin);
}

static inline void TEEC_CloseSession(TEEC_Session *session)
{
    if (session)
        emon_teec_close_session(session->session_id);
}

/* Invokes command `commandID` of the session's TA. A short output memref gets the size needed, with
 * TEEC_ERROR_SHORT_BUFFER. */
static inline TEEC_Result TEEC_InvokeCommand(TEEC_Session *session, uint32_t commandID, TEEC_Operation *operation,
                                             uint32_t *returnOrigin)
{
    if (!session) {
        if (returnOrigin)
            *returnOrigin = TEEC_ORIGIN_API;
        return TEEC_ERROR_BAD_PARAMETERS;
    }
    if (operation) {
        operation->started = 1;
        operation->session = session;
    }
    return emon_teec_invoke_command(session->session_id, commandID, operation, returnOrigin);
}

/* TAs run to completion in emon; cancellation is not supported (GP allows this). */
static inline void TEEC_RequestCancellation(TEEC_Operation *operation)
{
    (void)emon_teec_request_cancellation(operation);
}

#endif /* TEE_CLIENT_API_H */
