/*
 * TA flags and property types, as OP-TEE's lib/libutee/include/user_ta_header.h defines them. A TA's own
 * user_ta_header_defines.h uses these for TA_FLAGS and TA_CURRENT_TA_EXT_PROPERTIES; `emon ta build` reads
 * that header and embeds the properties in the signed TA.
 */
#ifndef USER_TA_HEADER_H
#define USER_TA_HEADER_H

#define TA_FLAG_USER_MODE           0
#define TA_FLAG_EXEC_DDR            0
#define TA_FLAG_SINGLE_INSTANCE     (1 << 2)
#define TA_FLAG_MULTI_SESSION       (1 << 3)
#define TA_FLAG_INSTANCE_KEEP_ALIVE (1 << 4)

enum user_ta_prop_type {
    USER_TA_PROP_TYPE_BOOL,
    USER_TA_PROP_TYPE_U32,
    USER_TA_PROP_TYPE_UUID,
    USER_TA_PROP_TYPE_IDENTITY,
    USER_TA_PROP_TYPE_STRING,
    USER_TA_PROP_TYPE_BINARY_BLOCK,
    USER_TA_PROP_TYPE_U64,
    USER_TA_PROP_TYPE_INVALID,
};

#endif /* USER_TA_HEADER_H */
