/**
 * Sizes of types that come from included C headers. sgx_edger8r takes `sizeof(T)` from the headers an EDL
 * includes; emon does not read C, so it knows the Intel SGX SDK's common typedefs itself (their wasm32 layout
 * as declared in the SDK's sgx_eid.h, sgx_error.h, sgx_key_exchange.h, sgx_tcrypto.h, sgx_report.h,
 * sgx_quote.h), and a project declares its own with `--type NAME=SIZE` or an EDL comment
 * `// emon: type NAME=SIZE` (edger8r ignores comments, so the file stays valid SDK EDL). A declaration is
 * `SIZE` (opaque bytes, aligned to the largest power of two up to 8 dividing SIZE), `SIZE/ALIGN`, or the name
 * of an EDL scalar the type is a typedef of (`my_id_t=uint64_t`), which then travels as that scalar.
 */
import { EmonError } from '../../errors.js';
import { SCALARS, type OpaqueType } from './types.js';

const int = (name: string, scalar: string, cDef: string): OpaqueType => ({ name, size: SCALARS[scalar]!.size, align: SCALARS[scalar]!.size, scalar: SCALARS[scalar]!, origin: 'sdk', cDef });
const bytes = (name: string, size: number, align: number, what: string): OpaqueType => ({
  name,
  size,
  align,
  scalar: null,
  origin: 'sdk',
  // A byte-exact stand-in: the gate only copies these, so their fields do not matter to it.
  cDef: `typedef struct { _Alignas(${align}) uint8_t emon_bytes[${size}]; } ${name}; /* ${what} */`,
});

/** `long double`: clang's IEEE binary128 on wasm32, 16 bytes aligned to 16 (WebAssembly/tool-conventions BasicCABI.md). */
export const LONG_DOUBLE: OpaqueType = { name: 'long double', size: 16, align: 16, scalar: null, origin: 'builtin' };

/** The SDK typedefs SDK EDLs name most often (sgx_tkey_exchange.edl, sample attestation enclaves), wasm32 layout. */
export const SDK_TYPES: Readonly<Record<string, OpaqueType>> = Object.fromEntries(
  [
    int('sgx_enclave_id_t', 'uint64_t', 'typedef uint64_t sgx_enclave_id_t;'),
    int('sgx_ra_context_t', 'uint32_t', 'typedef uint32_t sgx_ra_context_t;'),
    int('sgx_ra_key_type_t', 'int', 'typedef int sgx_ra_key_type_t; /* enum: SGX_RA_KEY_SK = 1, _MK, _VK */'),
    int('sgx_misc_select_t', 'uint32_t', 'typedef uint32_t sgx_misc_select_t;'),
    int('sgx_isv_svn_t', 'uint16_t', 'typedef uint16_t sgx_isv_svn_t;'),
    int('sgx_prod_id_t', 'uint16_t', 'typedef uint16_t sgx_prod_id_t;'),
    int('sgx_config_svn_t', 'uint16_t', 'typedef uint16_t sgx_config_svn_t;'),
    int('sgx_quote_sign_type_t', 'int', 'typedef int sgx_quote_sign_type_t; /* enum */'),
    int('sgx_ql_qv_result_t', 'int', 'typedef int sgx_ql_qv_result_t; /* enum */'),
    int('quote3_error_t', 'int', 'typedef int quote3_error_t; /* enum */'),
    int('time_t', 'int64_t', 'typedef int64_t time_t; /* wasm32 (wasi-libc) */'),
    bytes('sgx_ec256_public_t', 64, 1, 'uint8_t gx[32], gy[32]'),
    bytes('sgx_ec256_private_t', 32, 1, 'uint8_t r[32]'),
    bytes('sgx_ec256_dh_shared_t', 32, 1, 'uint8_t s[32]'),
    bytes('sgx_ec256_signature_t', 64, 4, 'uint32_t x[8], y[8]'),
    bytes('sgx_measurement_t', 32, 1, 'uint8_t m[32]'),
    bytes('sgx_report_data_t', 64, 1, 'uint8_t d[64]'),
    bytes('sgx_attributes_t', 16, 8, 'uint64_t flags, xfrm'),
    bytes('sgx_cpu_svn_t', 16, 1, 'uint8_t svn[16]'),
    bytes('sgx_key_id_t', 32, 1, 'uint8_t id[32]'),
    bytes('sgx_spid_t', 16, 1, 'uint8_t id[16]'),
    bytes('sgx_quote_nonce_t', 16, 1, 'uint8_t rand[16]'),
    bytes('sgx_epid_group_id_t', 4, 1, 'uint8_t[4]'),
    bytes('sgx_ps_sec_prop_desc_t', 256, 1, 'uint8_t sgx_ps_sec_prop_desc[256]'),
    bytes('sgx_target_info_t', 512, 8, 'mr_enclave, attributes, ..., reserved3[384]'),
    bytes('sgx_report_body_t', 384, 8, 'cpu_svn, misc_select, ..., report_data'),
    bytes('sgx_report_t', 432, 8, 'body, key_id, mac'),
    bytes('sgx_key_request_t', 512, 8, 'key_name, key_policy, ..., reserved2[434]'),
    bytes('sgx_ra_msg1_t', 68, 1, 'g_a, gid'),
    // The messages end in a flexible array (sig_rl[], quote[]): sizeof counts the fixed part only, as in C.
    bytes('sgx_ra_msg2_t', 168, 4, 'g_b, spid, quote_type, kdf_id, sign_gb_ga, mac, sig_rl_size, sig_rl[]'),
    bytes('sgx_ra_msg3_t', 336, 1, 'mac, g_a, ps_sec_prop, quote[]'),
    bytes('sgx_att_key_id_t', 256, 1, 'uint8_t att_key_id[256]'),
    bytes('sgx_ql_qe_report_info_t', 960, 8, 'nonce, app_enclave_target_info, qe_report'),
  ].map((t) => [t.name, t]),
);

const MAX_SIZE = 0x7fffffff;

/**
 * Parse one declaration `NAME=SIZE`, `NAME=SIZE/ALIGN` or `NAME=SCALAR`; `where` prefixes errors (the option
 * or the EDL comment's file:line:col).
 */
export function parseTypeDecl(spec: string, origin: 'comment' | 'option', where: string): OpaqueType {
  const fail = (why: string): never => {
    throw new EmonError('E_EDL_TYPE', `${where}: bad type declaration '${spec}': ${why}`, {
      hint: 'write NAME=SIZE (bytes), NAME=SIZE/ALIGN, or NAME=SCALAR (e.g. my_id_t=uint64_t), as in --type sgx_foo_t=24',
    });
  };
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([A-Za-z0-9_]+)(?:\s*\/\s*([0-9]+))?\s*$/.exec(spec);
  if (!m) return fail('expected NAME=SIZE');
  const [, name, value, alignText] = m as unknown as [string, string, string, string | undefined];
  if (SCALARS[name] || name === 'void') fail(`'${name}' is a built-in EDL type`);
  if (/^[0-9]/.test(value)) {
    const size = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SIZE) fail(`size must be a decimal number of bytes from 1 to ${MAX_SIZE}`);
    let align = 1;
    while (align < 8 && size % (align * 2) === 0) align *= 2;
    if (alignText !== undefined) {
      align = Number(alignText);
      if (![1, 2, 4, 8, 16].includes(align)) fail('alignment must be 1, 2, 4, 8 or 16');
      if (size % align !== 0) fail(`size ${size} is not a multiple of its alignment ${align} (C pads a type to its alignment)`);
    }
    return { name, size, align, scalar: null, origin };
  }
  if (alignText !== undefined) fail('an alias of a scalar takes no alignment');
  const s = SCALARS[value];
  if (!s || value === 'void' || value === 'sgx_status_t') fail(`'${value}' is neither a size nor an EDL scalar type`);
  return { name, size: s!.size, align: s!.size, scalar: s!, origin };
}

/** `--type NAME=SIZE` options (repeatable) as declarations. */
export function typeOptions(values: readonly string[] | undefined): OpaqueType[] {
  return (values ?? []).map((v) => parseTypeDecl(v, 'option', '--type'));
}

/** Two declarations of one name agree when they give the same layout and scalar. */
export function sameType(a: OpaqueType, b: OpaqueType): boolean {
  return a.size === b.size && a.align === b.align && (a.scalar?.c ?? null) === (b.scalar?.c ?? null);
}

/** How a declaration is written back (`--type` value, `emon: type` comment). */
export function declText(t: OpaqueType): string {
  if (t.scalar) return `${t.name}=${Object.keys(SCALARS).find((k) => SCALARS[k] === t.scalar)!}`;
  return `${t.name}=${t.size}/${t.align}`;
}

/** The hint every "unknown size" error gives. */
export function unknownTypeHint(name: string): string {
  return `emon does not read C headers: give its size with --type ${name}=SIZE (or NAME=uint32_t for an integer typedef), or an EDL comment // emon: type ${name}=SIZE; or declare it in the EDL as a struct, union or enum`;
}
