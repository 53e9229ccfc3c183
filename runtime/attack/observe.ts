/**
 * Observe: everything an untrusted monitor sees of an enclave without changing its course, in one record: the
 * fault channel (page numbers, read/write), the A/D bits of every page sampled (and cleared, which costs the
 * enclave a page walk but never a fault) at every transition, and every ECALL and OCALL with size and time.
 * As an attack it recovers from the accessed pages, like accessed-bits.ts; its point is the record and the
 * timeline (timeline.ts).
 */
import { attack as accessedBits } from './accessed-bits.js';
import type { AttackModule } from './module.js';

export const attack: AttackModule = {
  ...accessedBits,
  name: 'observe',
  summary: 'record faults, A/D bits at every transition, ECALL/OCALL order, sizes and times (no eviction)',
  source: 'the channels of Xu et al. (S&P 2015) and Van Bulck et al. (USENIX Security 2017), recorded together',
};
