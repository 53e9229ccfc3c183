// Bob: the responder of the local-attestation example; see ../attest-a/index.ts.
export { __emon_ms, __emon_ms_size } from './generated/attest_t';
export { la_start, la_respond, la_finish, la_confirm, la_send_key, la_receive_key, la_tag, la_peer } from '../sdk/localattest';
