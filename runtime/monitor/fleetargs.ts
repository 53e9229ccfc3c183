/**
 * The fleet part of `emon run`'s command line: `--instances=N` starts N copies of each guest, with `{i}` (0..N-1)
 * replaced in its --name, command line and attachment values (`--block:disk=img-{i}.img`), as a job array's
 * task index does (Slurm `%a`, Kubernetes Indexed Jobs' JOB_COMPLETION_INDEX); `--sched`, `--workers`,
 * `--slice-ms` and `--quiet` say how the fleet runs and how much it prints.
 */
import { EmonError } from '../errors.js';
import { guestNameOf } from './loader.js';
import type { GuestLaunch } from './supervisor.js';

export const FLEET_VALUE = ['instances', 'sched', 'workers', 'slice-ms'] as const;
export const FLEET_FLAG = ['quiet'] as const;
/** The most guests one command line may start (a fleet file of this size would be unreadable anyway). */
export const MAX_INSTANCES = 1_000_000;

export interface FleetArgs {
  readonly instances: number;
  /** 'shared': many guests per worker (./fleet.ts); 'worker': one worker per guest (./supervisor.ts). */
  readonly sched: 'shared' | 'worker';
  readonly workers: number | undefined;
  readonly sliceMs: number | undefined;
  /** Guest output dropped; the summary is still printed. */
  readonly quiet: boolean;
}

function usage(message: string, hint: string): never {
  throw new EmonError('E_USAGE', message, { hint });
}

function wholeNumber(option: string, value: unknown, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) usage(`--${option}=${String(value)}: expected a whole number from 1 to ${max}`, `e.g. --${option}=4`);
  return n;
}

/** Reads the fleet options out of the run-wide ones (camel-cased keys); null when none was given. */
export function parseFleetArgs(runWide: Readonly<Record<string, unknown>>): FleetArgs | null {
  const { instances, sched, workers, sliceMs, quiet } = runWide;
  if (instances === undefined && sched === undefined && workers === undefined && sliceMs === undefined && quiet === undefined) return null;
  if (sched !== undefined && sched !== 'shared' && sched !== 'worker') usage(`--sched=${String(sched)}: expected shared or worker`, 'shared: many guests per worker thread; worker: one worker per guest');
  let slice: number | undefined;
  if (sliceMs !== undefined) {
    slice = Number(sliceMs);
    if (!(slice >= 0.05 && slice <= 1000)) usage(`--slice-ms=${String(sliceMs)}: expected a time slice from 0.05 to 1000 ms`, 'e.g. --slice-ms=2');
  }
  return {
    instances: instances === undefined ? 1 : wholeNumber('instances', instances, MAX_INSTANCES),
    sched: sched === 'worker' ? 'worker' : 'shared',
    workers: workers === undefined ? undefined : wholeNumber('workers', workers, 1024),
    sliceMs: slice,
    quiet: quiet === true,
  };
}

const subst = (text: string, i: number) => text.replaceAll('{i}', String(i));

/** N copies of each launch, `{i}` replaced; names without `{i}` get `.i` appended so they stay unique. */
export function expandInstances(launches: readonly GuestLaunch[], n: number): GuestLaunch[] {
  const out: GuestLaunch[] = [];
  for (const l of launches) {
    const base = l.name ?? guestNameOf(l.file);
    for (let i = 0; i < n; i++) {
      out.push({
        ...l,
        name: base.includes('{i}') ? subst(base, i) : n === 1 ? base : `${base}.${i}`,
        cmdline: subst(l.cmdline, i),
        attachments: new Map([...l.attachments].map(([k, v]) => [k, new Map([...v].map(([d, val]) => [d, subst(val, i)]))])),
      });
    }
  }
  return out;
}
