/* tee-hello-c: OP-TEE's hello_world host program (optee_examples/hello_world/host/main.c) written against
 * GP's tee_client_api.h, as a C emon guest (no libc: output through solo5_console_write).
 * Run: emon run --backend=tz --ta-dir=build/ta build/guests/tee-hello-c.wasm */
#include "solo5.h"
#include "tee_client_api.h"

#define TA_HELLO_WORLD_UUID \
    { 0x8aaaf200, 0x2450, 0x11e4, { 0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b } }
#define TA_HELLO_WORLD_CMD_INC_VALUE 0

static void out(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    solo5_console_write(s, n);
}

static void out_u32(uint32_t v)
{
    char b[11];
    int i = 10;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out(b + i);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    TEEC_Result res;
    TEEC_Context ctx;
    TEEC_Session sess;
    TEEC_Operation op;
    TEEC_UUID uuid = TA_HELLO_WORLD_UUID;
    uint32_t err_origin;

    res = TEEC_InitializeContext(NULL, &ctx);
    if (res != TEEC_SUCCESS) {
        out("TEEC_InitializeContext failed\n");
        return 1;
    }
    res = TEEC_OpenSession(&ctx, &sess, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &err_origin);
    if (res != TEEC_SUCCESS) {
        out("TEEC_Opensession failed\n");
        return 1;
    }
    for (unsigned i = 0; i < sizeof(op); i++)
        ((char *)&op)[i] = 0;
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
    op.params[0].value.a = 42;
    out("Invoking TA to increment ");
    out_u32(op.params[0].value.a);
    out("\n");
    res = TEEC_InvokeCommand(&sess, TA_HELLO_WORLD_CMD_INC_VALUE, &op, &err_origin);
    if (res != TEEC_SUCCESS) {
        out("TEEC_InvokeCommand failed\n");
        return 1;
    }
    out("TA incremented value to ");
    out_u32(op.params[0].value.a);
    out("\n");
    TEEC_CloseSession(&sess);
    TEEC_FinalizeContext(&ctx);
    return 0;
}
