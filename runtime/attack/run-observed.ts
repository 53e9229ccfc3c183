/**
 * Observe a real guest run, A/D bits included (issue 18, point 1): runs one guest and its enclaves in this
 * thread with the ordinary monitor (GuestRunner, the enclave extension, the platform EPC), as `emon run` would,
 * but with the monitor acting as the observing OS: every ECALL entry, and every ECALL and OCALL the trace records
 * (at their exit), is also a moment at which it reads and clears the A/D bits of every enclave page in its EPC. Nothing is evicted; the guest and its
 * enclaves compute what they would under `emon run`. The production `emon run` has no such mode.
 */
import path from 'node:path';
import { EmonError } from '../errors.js';
import { platformEpc } from '../hw/epc/sgx-link.js';
import { GuestRunner, type GuestResult } from '../monitor/guest.js';
import { loadGuest } from '../monitor/loader.js';
import { parseRunArgs } from '../monitor/runargs.js';
import { MemoryTraceSink, type TraceEvent, type TraceSink } from '../trace/sink.js';
import type { AdSampleAt } from './from-trace.js';

export interface ObservedRun {
  readonly result: GuestResult;
  readonly events: TraceEvent[];
  readonly samples: AdSampleAt[];
}

/** Runs `emon run`-style arguments (one guest) under the observing monitor. */
export async function runObserved(tokens: readonly string[]): Promise<ObservedRun> {
  const args = parseRunArgs(tokens);
  if (args.help || args.launches.length !== 1) {
    throw new EmonError('E_ATTACK_ARG', `--run needs the options and file of exactly one guest, as for emon run (got ${args.launches.length})`, {
      hint: 'e.g. --run "--epc=76p --enclave:sealer=build/enclaves/sealer.wasm build/guests/enclave-seal.wasm"',
    });
  }
  const launch = args.launches[0]!;
  const guest = loadGuest(launch.file, { memMiB: launch.memMiB, ...(launch.name ? { name: launch.name } : {}) });
  // Enclave file name (as the EPC names it) -> trace track of that enclave.
  const trackOf = new Map<string, string>();
  for (const [name, file] of launch.attachments.get('enclave') ?? new Map<string, string>()) trackOf.set(path.basename(file), `${guest.name}/${name}`);
  const sink = new MemoryTraceSink();
  const samples: AdSampleAt[] = [];
  const sample = (at: 'entry' | 'exit'): number => {
    const t = performance.now();
    for (const view of platformEpc(args.options['epc']).osViews()) {
      const { accessed, dirty } = view.scan(true);
      samples.push({ track: trackOf.get(path.basename(view.name)) ?? `${guest.name}/${view.name}`, t, accessed, dirty, at });
    }
    return t;
  };
  const observing: TraceSink = {
    record(e) {
      sink.record(e);
      if (e.kind === 'ecall' || e.kind === 'ocall') sample('exit');
    },
    // At ECALL entry too, before the enclave runs: the pages the monitor and gate touched since the last sample.
    enter: () => sample('entry'),
  };
  const runner = await GuestRunner.create({
    name: guest.name,
    module: guest.module,
    manifest: guest.manifest,
    cmdline: launch.cmdline,
    attachments: launch.attachments,
    options: args.options,
    trace: observing,
  });
  let result: GuestResult;
  try {
    result = runner.boot();
  } finally {
    runner.close();
  }
  return { result, events: sink.events, samples };
}
