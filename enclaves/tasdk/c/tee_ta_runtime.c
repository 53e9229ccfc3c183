/*
 * The TA runtime for C trusted applications (the role of OP-TEE's libutee and its user_ta_header.c): the
 * parameter and shared areas the secure world reads (__tee_params, __tee_shm), the TEE Internal Core API over
 * the secure world's syscalls (Wasm import module "tee", runtime/hw/tz/ta-instance.ts), a heap bounded by
 * TA_STACK_SIZE + TA_DATA_SIZE (the imported memory's maximum: TEE_Malloc returns NULL past it), the trace
 * formatter, and memcpy/memset/memmove/memcmp that clang may call. Linked into every C TA by `emon ta build`.
 */
#include <stdarg.h>
#include "tee_internal_api.h"
#include "tee_internal_api_extensions.h"

#define TEE__IMPORT(name) __attribute__((import_module("tee"), import_name(#name)))
TEE__IMPORT(log) void tee_sys_log(int level, const char *p, size_t n);
TEE__IMPORT(panic) void tee_sys_panic(uint32_t code);
TEE__IMPORT(random) int32_t tee_sys_random(void *p, size_t n);
TEE__IMPORT(get_time) int32_t tee_sys_get_time(int kind, TEE_Time *out);
TEE__IMPORT(secure_device_read) int32_t tee_sys_secure_device_read(const char *name, size_t nameLen, void *buf, size_t cap);
TEE__IMPORT(secure_block_info) uint32_t tee_sys_secure_block_info(const char *name, size_t nameLen, uint64_t *out);
TEE__IMPORT(secure_block_io) uint32_t tee_sys_secure_block_io(const char *name, size_t nameLen, int32_t write, uint64_t offset, void *buf, size_t len);
TEE__IMPORT(normal_world_read) int32_t tee_sys_normal_world_read(uint32_t src, size_t len, void *dst);
TEE__IMPORT(cryp_alloc) int32_t tee_sys_cryp_alloc(uint32_t algo, const void *key, size_t keyLen);
TEE__IMPORT(cryp_update) int32_t tee_sys_cryp_update(int32_t h, const void *p, size_t n);
TEE__IMPORT(cryp_final) int32_t tee_sys_cryp_final(int32_t h, void *out);
TEE__IMPORT(cryp_free) void tee_sys_cryp_free(int32_t h);
TEE__IMPORT(cryp_aead) int32_t tee_sys_cryp_aead(int enc, const void *key, const void *nonce, const void *aad, size_t aadLen, const void *src, size_t len, void *dst);

/* ---- areas the secure world reads ---- */
static TEE_Param tee_params[TEE_NUM_PARAMS + 1] __attribute__((aligned(16))); /* + the session-context slot */
#define TEE_SHM_SIZE (16 * 1024)
static uint8_t tee_shm[TEE_SHM_SIZE] __attribute__((aligned(16)));

void *__tee_params(void) { return tee_params; }
void *__tee_shm(void) { return tee_shm; }
size_t __tee_shm_size(void) { return TEE_SHM_SIZE; }

/* ---- compiler support ---- */
void *memcpy(void *d, const void *s, size_t n) { return __builtin_memcpy(d, s, n); }
void *memmove(void *d, const void *s, size_t n) { return __builtin_memmove(d, s, n); }
void *memset(void *d, int c, size_t n) { return __builtin_memset(d, c, n); }
int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

/* ---- memory: first-fit free list over a heap that grows page by page ---- */
extern uint8_t __heap_base;
struct block { size_t size; struct block *next; };
static uint8_t *heap_top;
static struct block *free_list;
#define ALIGN(n) (((n) + 15) & ~(size_t)15)
#define HDR ALIGN(sizeof(struct block))

void *TEE_Malloc(size_t size, uint32_t hint)
{
    size_t need = ALIGN(size ? size : 1);
    struct block **pp = &free_list;
    struct block *b;
    for (b = free_list; b; pp = &b->next, b = b->next)
        if (b->size >= need) {
            *pp = b->next;
            goto found;
        }
    if (!heap_top)
        heap_top = (uint8_t *)ALIGN((size_t)&__heap_base);
    size_t end = (size_t)heap_top + HDR + need;
    size_t have = __builtin_wasm_memory_size(0) * 65536;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1)
        return NULL; /* past TA_STACK_SIZE + TA_DATA_SIZE */
    b = (struct block *)heap_top;
    b->size = need;
    heap_top += HDR + need;
found:
    if (!(hint & TEE_MALLOC_NO_FILL))
        __builtin_memset((uint8_t *)b + HDR, 0, b->size);
    return (uint8_t *)b + HDR;
}

void TEE_Free(void *buffer)
{
    if (!buffer)
        return;
    struct block *b = (struct block *)((uint8_t *)buffer - HDR);
    b->next = free_list;
    free_list = b;
}

void *TEE_Realloc(void *buffer, size_t newSize)
{
    if (!buffer)
        return TEE_Malloc(newSize, TEE_MALLOC_NO_FILL);
    struct block *b = (struct block *)((uint8_t *)buffer - HDR);
    if (b->size >= newSize)
        return buffer;
    void *p = TEE_Malloc(newSize, TEE_MALLOC_NO_FILL);
    if (!p)
        return NULL;
    __builtin_memcpy(p, buffer, b->size);
    TEE_Free(buffer);
    return p;
}

void *TEE_MemMove(void *dest, const void *src, size_t size) { return __builtin_memmove(dest, src, size); }
int32_t TEE_MemCompare(const void *a, const void *b, size_t size) { return memcmp(a, b, size); }
void *TEE_MemFill(void *buffer, uint32_t x, size_t size) { return __builtin_memset(buffer, (int)x, size); }

void TEE_Panic(TEE_Result code)
{
    tee_sys_panic(code);
    __builtin_unreachable();
}

void TEE_GenerateRandom(void *buf, size_t len)
{
    if (tee_sys_random(buf, len) != 0)
        TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
}
void TEE_GetSystemTime(TEE_Time *time) { tee_sys_get_time(0, time); }
void TEE_GetREETime(TEE_Time *time) { tee_sys_get_time(1, time); }

int32_t TEE_SecureDeviceRead(const char *name, void *buf, size_t cap)
{
    size_t n = 0;
    while (name[n])
        n++;
    return tee_sys_secure_device_read(name, n, buf, cap);
}
int32_t TEE_ReadNormalWorld(uint32_t src, size_t len, void *dst) { return tee_sys_normal_world_read(src, len, dst); }

static size_t tee__strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
TEE_Result TEE_SecureBlockInfo(const char *name, uint64_t *capacity, uint64_t *blockSize)
{
    uint64_t info[2];
    TEE_Result r = tee_sys_secure_block_info(name, tee__strlen(name), info);
    if (r == TEE_SUCCESS) {
        *capacity = info[0];
        *blockSize = info[1];
    }
    return r;
}
TEE_Result TEE_SecureBlockRead(const char *name, uint64_t offset, void *buf, size_t len)
{
    return tee_sys_secure_block_io(name, tee__strlen(name), 0, offset, buf, len);
}
TEE_Result TEE_SecureBlockWrite(const char *name, uint64_t offset, const void *buf, size_t len)
{
    return tee_sys_secure_block_io(name, tee__strlen(name), 1, offset, (void *)buf, len);
}

/* ---- cryptographic operations: state in the TEE core, as OP-TEE's utee_hash_* ---- */
struct __TEE_OperationHandle {
    uint32_t algorithm, mode;
    int32_t state;
    size_t keyLen;
    uint8_t key[64];
};

TEE_Result TEE_AllocateOperation(TEE_OperationHandle *operation, uint32_t algorithm, uint32_t mode, uint32_t maxKeySize)
{
    (void)maxKeySize;
    if (!((algorithm == TEE_ALG_SHA256 && mode == TEE_MODE_DIGEST) || (algorithm == TEE_ALG_HMAC_SHA256 && mode == TEE_MODE_MAC)))
        return TEE_ERROR_NOT_SUPPORTED;
    struct __TEE_OperationHandle *op = TEE_Malloc(sizeof(*op), TEE_MALLOC_FILL_ZERO);
    if (!op)
        return TEE_ERROR_OUT_OF_MEMORY;
    op->algorithm = algorithm;
    op->mode = mode;
    op->state = 0;
    if (algorithm == TEE_ALG_SHA256 && (op->state = tee_sys_cryp_alloc(algorithm, 0, 0)) <= 0) {
        TEE_Free(op);
        return TEE_ERROR_OUT_OF_MEMORY;
    }
    *operation = op;
    return TEE_SUCCESS;
}

void TEE_FreeOperation(TEE_OperationHandle op)
{
    if (!op)
        return;
    if (op->state > 0)
        tee_sys_cryp_free(op->state);
    __builtin_memset(op, 0, sizeof(*op));
    TEE_Free(op);
}

void TEE_ResetOperation(TEE_OperationHandle op)
{
    if (op->state > 0)
        tee_sys_cryp_free(op->state);
    op->state = op->algorithm == TEE_ALG_SHA256 ? tee_sys_cryp_alloc(op->algorithm, 0, 0) : 0;
}

TEE_Result TEE_SetOperationKeyBytes(TEE_OperationHandle op, const void *key, size_t keyLen)
{
    if (keyLen > sizeof(op->key))
        return TEE_ERROR_BAD_PARAMETERS;
    __builtin_memcpy(op->key, key, keyLen);
    op->keyLen = keyLen;
    return TEE_SUCCESS;
}

void TEE_DigestUpdate(TEE_OperationHandle op, const void *chunk, size_t chunkSize)
{
    if (op->algorithm != TEE_ALG_SHA256 || op->state <= 0 || tee_sys_cryp_update(op->state, chunk, chunkSize) != 0)
        TEE_Panic(TEE_ERROR_BAD_STATE);
}

TEE_Result TEE_DigestDoFinal(TEE_OperationHandle op, const void *chunk, size_t chunkLen, void *hash, size_t *hashLen)
{
    if (*hashLen < 32) {
        *hashLen = 32;
        return TEE_ERROR_SHORT_BUFFER;
    }
    TEE_DigestUpdate(op, chunk, chunkLen);
    if (tee_sys_cryp_final(op->state, hash) != 0)
        TEE_Panic(TEE_ERROR_BAD_STATE);
    op->state = tee_sys_cryp_alloc(op->algorithm, 0, 0); /* ready for the next digest, as GP says */
    *hashLen = 32;
    return TEE_SUCCESS;
}

void TEE_MACInit(TEE_OperationHandle op, const void *IV, size_t IVLen)
{
    (void)IV;
    (void)IVLen;
    if (op->algorithm != TEE_ALG_HMAC_SHA256)
        TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
    if (op->state > 0)
        tee_sys_cryp_free(op->state);
    if ((op->state = tee_sys_cryp_alloc(op->algorithm, op->key, op->keyLen)) <= 0)
        TEE_Panic(TEE_ERROR_OUT_OF_MEMORY);
}

void TEE_MACUpdate(TEE_OperationHandle op, const void *chunk, size_t chunkSize)
{
    if (op->state <= 0 || tee_sys_cryp_update(op->state, chunk, chunkSize) != 0)
        TEE_Panic(TEE_ERROR_BAD_STATE);
}

TEE_Result TEE_MACComputeFinal(TEE_OperationHandle op, const void *message, size_t messageLen, void *mac, size_t *macLen)
{
    if (*macLen < 32) {
        *macLen = 32;
        return TEE_ERROR_SHORT_BUFFER;
    }
    TEE_MACUpdate(op, message, messageLen);
    if (tee_sys_cryp_final(op->state, mac) != 0)
        TEE_Panic(TEE_ERROR_BAD_STATE);
    op->state = 0;
    *macLen = 32;
    return TEE_SUCCESS;
}

TEE_Result TEE_MACCompareFinal(TEE_OperationHandle op, const void *message, size_t messageLen, const void *mac, size_t macLen)
{
    uint8_t got[32];
    size_t n = sizeof(got);
    TEE_Result r = TEE_MACComputeFinal(op, message, messageLen, got, &n);
    if (r != TEE_SUCCESS)
        return r;
    uint8_t d = macLen != 32;
    for (size_t i = 0; i < 32 && i < macLen; i++)
        d |= got[i] ^ ((const uint8_t *)mac)[i];
    return d ? TEE_ERROR_MAC_INVALID : TEE_SUCCESS;
}

TEE_Result TEE_AEChaCha20Poly1305(bool encrypt, const void *key, const void *nonce, const void *aad, size_t aadLen,
                                  const void *src, size_t len, void *dst)
{
    int32_t r = tee_sys_cryp_aead(encrypt, key, nonce, aad, aadLen, src, len, dst);
    return r == 0 ? TEE_SUCCESS : r == -2 ? TEE_ERROR_MAC_INVALID : TEE_ERROR_BAD_PARAMETERS;
}

/* ---- trace ---- */
static void put(char *buf, size_t *at, size_t cap, char c)
{
    if (*at + 1 < cap)
        buf[*at] = c;
    (*at)++;
}

static void put_num(char *buf, size_t *at, size_t cap, unsigned long long v, unsigned base, int upper, int neg)
{
    char tmp[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        put(buf, at, cap, '-');
    while (n)
        put(buf, at, cap, tmp[--n]);
}

void emon_trace_printf(int level, const char *func, int line, const char *fmt, ...)
{
    (void)func;
    (void)line;
    char buf[256];
    size_t at = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(buf, &at, sizeof(buf), *p);
            continue;
        }
        int longs = 0;
        p++;
        while (*p == 'l' || *p == 'z' || *p == 'h') {
            if (*p == 'l')
                longs++;
            p++;
        }
        switch (*p) {
        case 'd':
        case 'i': {
            long long v = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
            put_num(buf, &at, sizeof(buf), v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10, 0, v < 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long long v = longs >= 2 ? va_arg(ap, unsigned long long) : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_num(buf, &at, sizeof(buf), v, *p == 'u' ? 10 : 16, *p == 'X', 0);
            break;
        }
        case 'p':
            put(buf, &at, sizeof(buf), '0');
            put(buf, &at, sizeof(buf), 'x');
            put_num(buf, &at, sizeof(buf), (size_t)va_arg(ap, void *), 16, 0, 0);
            break;
        case 'c':
            put(buf, &at, sizeof(buf), (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            for (s = s ? s : "(null)"; *s; s++)
                put(buf, &at, sizeof(buf), *s);
            break;
        }
        case '%':
            put(buf, &at, sizeof(buf), '%');
            break;
        default:
            if (!*p)
                p--;
            break;
        }
    }
    va_end(ap);
    tee_sys_log(level, buf, at < sizeof(buf) ? at : sizeof(buf) - 1);
}
