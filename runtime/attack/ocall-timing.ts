/**
 * OCALL timing and order: the monitor serves every OCALL, so it sees their sequence, their sizes and the time
 * between them (the "sequence and timing of OCALLs" channel; cf. the OCALL-based attacks surveyed by Nilsson et
 * al., "A Survey of Published Attacks on Intel SGX", 2020). Nothing is evicted or cleared: the time from one
 * transition to the next is the segment's signal.
 */
import type { AttackModule } from './module.js';

export const attack: AttackModule = {
  name: 'ocall-timing',
  summary: 'time and order the OCALLs; the time between transitions gives away secret-dependent work',
  source: 'the OCALL sequence/timing channel (talk slide "No technology is perfect"; Nilsson et al. 2020)',
  recordsFaults: true,
  onTa: true,
  monitor() {
    return {};
  },
  feature: (s) => ({ kind: 'timing', ms: s.ms }),
};
