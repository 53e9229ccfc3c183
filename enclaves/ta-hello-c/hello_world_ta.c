/*
 * OP-TEE's hello_world TA (optee_examples/hello_world/ta/hello_world_ta.c, BSD-2-Clause, Linaro), compiled for
 * emon's secure world against GP's Internal Core API headers, plus commands using the TEE core's crypto
 * (SHA-256, HMAC-SHA256 computed and compared, ChaCha20-Poly1305), randomness and time.
 */
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include <hello_world_ta.h>

TEE_Result TA_CreateEntryPoint(void)
{
	DMSG("has been called");
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
	DMSG("has been called");
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types,
		TEE_Param __maybe_unused params[4],
		void __maybe_unused **sess_ctx)
{
	uint32_t exp_param_types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE);

	DMSG("has been called");

	if (param_types != exp_param_types)
		return TEE_ERROR_BAD_PARAMETERS;

	(void)&params;
	(void)&sess_ctx;

	IMSG("Hello World!\n");
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void __maybe_unused *sess_ctx)
{
	(void)&sess_ctx;
	IMSG("Goodbye!\n");
}

static TEE_Result inc_value(uint32_t param_types,
	TEE_Param params[4])
{
	uint32_t exp_param_types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE);

	DMSG("has been called");

	if (param_types != exp_param_types)
		return TEE_ERROR_BAD_PARAMETERS;

	IMSG("Got value: %u from NW", params[0].value.a);
	params[0].value.a++;
	IMSG("Increase value to: %u", params[0].value.a);

	return TEE_SUCCESS;
}

static TEE_Result dec_value(uint32_t param_types,
	TEE_Param params[4])
{
	uint32_t exp_param_types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE);

	DMSG("has been called");

	if (param_types != exp_param_types)
		return TEE_ERROR_BAD_PARAMETERS;

	IMSG("Got value: %u from NW", params[0].value.a);
	params[0].value.a--;
	IMSG("Decrease value to: %u", params[0].value.a);

	return TEE_SUCCESS;
}

/* memref in: message; memref out: its SHA-256 (GP short-buffer semantics). */
static TEE_Result sha256(uint32_t param_types, TEE_Param params[4])
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	size_t len = params[1].memref.size;
	TEE_Result res;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_AllocateOperation(&op, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_DigestDoFinal(op, params[0].memref.buffer, params[0].memref.size, params[1].memref.buffer, &len);
	params[1].memref.size = len;
	TEE_FreeOperation(op);
	return res;
}

/* memref in: key; memref in: message; memref out: HMAC-SHA256. */
static TEE_Result hmac_sha256(uint32_t param_types, TEE_Param params[4])
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	size_t len = params[2].memref.size;
	TEE_Result res;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT,
					   TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_AllocateOperation(&op, TEE_ALG_HMAC_SHA256, TEE_MODE_MAC, 512);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_SetOperationKeyBytes(op, params[0].memref.buffer, params[0].memref.size);
	if (res == TEE_SUCCESS) {
		TEE_MACInit(op, NULL, 0);
		res = TEE_MACComputeFinal(op, params[1].memref.buffer, params[1].memref.size, params[2].memref.buffer, &len);
		params[2].memref.size = len;
	}
	TEE_FreeOperation(op);
	return res;
}

/* value: encrypt flag and AAD length; memref key || nonce || AAD; memref in; memref out (ChaCha20-Poly1305). */
static TEE_Result aead(uint32_t param_types, TEE_Param params[4])
{
	bool encrypt = params[0].value.a != 0;
	size_t aad_len = params[0].value.b;
	const uint8_t *kna = params[1].memref.buffer;
	size_t len = params[2].memref.size;
	size_t need;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT,
					   TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT))
		return TEE_ERROR_BAD_PARAMETERS;
	if (params[1].memref.size != 44 + aad_len || (!encrypt && len < 16))
		return TEE_ERROR_BAD_PARAMETERS;
	need = encrypt ? len + 16 : len - 16;
	if (params[3].memref.size < need) {
		params[3].memref.size = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	params[3].memref.size = need;
	return TEE_AEChaCha20Poly1305(encrypt, kna, kna + 32, kna + 44, aad_len, params[2].memref.buffer, len,
				      params[3].memref.buffer);
}

/* memref in: key; memref in: message; memref in: the expected HMAC-SHA256. */
static TEE_Result hmac_compare(uint32_t param_types, TEE_Param params[4])
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Result res;

	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT,
					   TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_AllocateOperation(&op, TEE_ALG_HMAC_SHA256, TEE_MODE_MAC, 512);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_SetOperationKeyBytes(op, params[0].memref.buffer, params[0].memref.size);
	if (res == TEE_SUCCESS) {
		TEE_MACInit(op, NULL, 0);
		res = TEE_MACCompareFinal(op, params[1].memref.buffer, params[1].memref.size, params[2].memref.buffer,
					  params[2].memref.size);
	}
	TEE_FreeOperation(op);
	return res;
}

static TEE_Result random_and_time(uint32_t cmd_id, uint32_t param_types, TEE_Param params[4])
{
	TEE_Time t;

	if (cmd_id == TA_HELLO_WORLD_CMD_RANDOM) {
		if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		TEE_GenerateRandom(params[0].memref.buffer, params[0].memref.size);
		return TEE_SUCCESS;
	}
	if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE,
					   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	if (cmd_id == TA_HELLO_WORLD_CMD_SYSTEM_TIME)
		TEE_GetSystemTime(&t);
	else
		TEE_GetREETime(&t);
	params[0].value.a = t.seconds;
	params[0].value.b = t.millis;
	return TEE_SUCCESS;
}

/* Uses about 256 bytes of stack per level: each level reads its caller's frame, so all of them stay live. */
static uint32_t recurse(uint32_t n, volatile uint8_t *up)
{
	volatile uint8_t frame[256];

	frame[0] = (uint8_t)n;
	if (n == 0)
		return up[0];
	return recurse(n - 1, frame) + up[0];
}

TEE_Result TA_InvokeCommandEntryPoint(void __maybe_unused *sess_ctx,
			uint32_t cmd_id,
			uint32_t param_types, TEE_Param params[4])
{
	(void)&sess_ctx;

	switch (cmd_id) {
	case TA_HELLO_WORLD_CMD_INC_VALUE:
		return inc_value(param_types, params);
	case TA_HELLO_WORLD_CMD_DEC_VALUE:
		return dec_value(param_types, params);
	case TA_HELLO_WORLD_CMD_SHA256:
		return sha256(param_types, params);
	case TA_HELLO_WORLD_CMD_HMAC_SHA256:
		return hmac_sha256(param_types, params);
	case TA_HELLO_WORLD_CMD_AEAD:
		return aead(param_types, params);
	case TA_HELLO_WORLD_CMD_HMAC_COMPARE:
		return hmac_compare(param_types, params);
	case TA_HELLO_WORLD_CMD_RANDOM:
	case TA_HELLO_WORLD_CMD_SYSTEM_TIME:
	case TA_HELLO_WORLD_CMD_REE_TIME:
		return random_and_time(cmd_id, param_types, params);
	case TA_HELLO_WORLD_CMD_RECURSE:
		if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT, TEE_PARAM_TYPE_NONE,
						   TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		{
			volatile uint8_t top[1] = { 0 };
			params[0].value.b = recurse(params[0].value.a, top);
		}
		return TEE_SUCCESS;
	default:
		return TEE_ERROR_BAD_PARAMETERS;
	}
}
