/* The hello-world TA's interface, as in OP-TEE's optee_examples/hello_world/ta/include/hello_world_ta.h (its own
 * UUID here, since the AssemblyScript hello-world TA already installs OP-TEE's). */
#ifndef TA_HELLO_WORLD_H
#define TA_HELLO_WORLD_H

#define TA_HELLO_WORLD_UUID \
	{ 0xc0ffee00, 0x2450, 0x11e4, \
		{ 0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b} }

/* The function IDs implemented in this TA */
#define TA_HELLO_WORLD_CMD_INC_VALUE		0
#define TA_HELLO_WORLD_CMD_DEC_VALUE		1
/* emon additions: the TEE core's crypto from C */
#define TA_HELLO_WORLD_CMD_SHA256		2
#define TA_HELLO_WORLD_CMD_HMAC_SHA256		3
/* value (a: 1 encrypt / 0 decrypt, b: AAD length), memref key(32) || nonce(12) || AAD, memref in, memref out */
#define TA_HELLO_WORLD_CMD_AEAD			4
/* memref key, memref message, memref the expected MAC: TEE_MACCompareFinal */
#define TA_HELLO_WORLD_CMD_HMAC_COMPARE		5
/* memref out: TEE_GenerateRandom; value out: TEE_GetSystemTime; value out: TEE_GetREETime */
#define TA_HELLO_WORLD_CMD_RANDOM		6
#define TA_HELLO_WORLD_CMD_SYSTEM_TIME		7
#define TA_HELLO_WORLD_CMD_REE_TIME		8
/* value in: a recursion depth, each level using about 256 bytes of stack (TA_STACK_SIZE is enforced) */
#define TA_HELLO_WORLD_CMD_RECURSE		9

#endif /*TA_HELLO_WORLD_H*/
