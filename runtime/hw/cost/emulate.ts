/**
 * `--emulate-cost`: make a transition take as long as the modeled hardware would (./model.ts), by busy-waiting
 * at each event, so an application run under emon feels hardware-like transition costs. A spin rather than a
 * sleep because the modeled times are microseconds, far below timer resolution, and a real transition keeps
 * the core busy too. Callers test their own `emulateCost` boolean first, so the off path costs one branch.
 */
import { modeledNs, type Backend, type CostEvent } from './model.js';

const EVENTS: readonly CostEvent[] = ['ecall', 'ocall', 'aex', 'epc_fault', 'ewb', 'eldu', 'smc', 'ta_invoke', 'hypercall'];

/** Modeled ms per event, computed once so the hot path is an index and a loop. */
const spinMs: Readonly<Record<Backend, Readonly<Record<CostEvent, number>>>> = {
  sgx: Object.fromEntries(EVENTS.map((e) => [e, modeledNs('sgx', e) / 1e6])) as Record<CostEvent, number>,
  tz: Object.fromEntries(EVENTS.map((e) => [e, modeledNs('tz', e) / 1e6])) as Record<CostEvent, number>,
};

/** Busy-wait for `ms` milliseconds of wall time. */
export function spinFor(ms: number): void {
  if (!(ms > 0)) return;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* spinning is the point */
  }
}

/** Spin for the modeled time of `event` on `backend` (no-op when the table has no figure). */
export function emulateCost(backend: Backend, event: CostEvent, times = 1): void {
  spinFor(spinMs[backend][event] * times);
}
