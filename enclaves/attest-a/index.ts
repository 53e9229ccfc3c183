// Alice: one of the two enclaves of the local-attestation example (guest/examples/enclave-attest). The protocol
// is shared (enclaves/sdk/localattest.ts); Alice and Bob differ in product id, so they have distinct MRENCLAVEs
// under one signer.
export { __emon_ms, __emon_ms_size } from './generated/attest_t';
export { la_start, la_respond, la_finish, la_confirm, la_send_key, la_receive_key, la_tag, la_peer } from '../sdk/localattest';
