/**
 * The controlled-channel attack (Xu, Cui and Peinado, "Controlled-Channel Attacks: Deterministic Side Channels
 * for Untrusted Operating Systems", IEEE S&P 2015): the OS evicts every page of the enclave at each transition,
 * so every page the enclave touches next faults, and the fault channel gives the page numbers in order. The
 * pages that faulted between two transitions are the segment's signal.
 */
import type { AttackModule } from './module.js';

export const attack: AttackModule = {
  name: 'controlled-channel',
  summary: 'evict every enclave page at each transition; every access faults; record the page-fault sequence',
  source: 'Xu, Cui, Peinado: Controlled-Channel Attacks, IEEE S&P 2015',
  recordsFaults: true,
  monitor(view) {
    return {
      enter: () => void view.evictAll(),
      ocall: () => void view.evictAll(),
    };
  },
  feature: (s) => ({ kind: 'pages', pages: [...new Set(s.faults)].sort((a, b) => a - b) }),
};
