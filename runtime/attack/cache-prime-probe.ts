/**
 * Prime+probe on a shared cache (Osvik, Shamir, Tromer, CT-RSA 2006; against SGX enclaves, CacheZoom, Moghimi
 * et al., CHES 2017, which also interrupts the enclave to get fine-grained steps): at each transition the monitor
 * probes every set of the core's cache model (runtime/hw/cache, a documented model) for its own primed lines,
 * records the sets the enclave used since the last probe, and primes them again. Cache-line granularity: it
 * sees which 64-byte line of a page a lookup used, which page-level attacks cannot.
 */
import type { AttackModule } from './module.js';

export const attack: AttackModule = {
  name: 'cache-prime-probe',
  summary: 'prime every cache set, probe at each transition: the cache lines (sets) the enclave used',
  source: 'Osvik, Shamir, Tromer (CT-RSA 2006); CacheZoom, Moghimi et al. (CHES 2017)',
  recordsFaults: true,
  usesCache: true,
  onTa: true,
  monitor(_view, obs, cache) {
    if (!cache) return {};
    return {
      enter: () => cache.prime(),
      ocall: () => obs.push({ t: obs.now(), kind: 'cache', sets: cache.probe() }),
      exit: () => obs.push({ t: obs.now(), kind: 'cache', sets: cache.probe() }),
    };
  },
  feature: (s) => ({ kind: 'sets', sets: s.sets }),
};
