/**
 * The `emon run` command line, the Solo5 tenders' grammar (`solo5-hvt [TENDER OPTIONS] [--] KERNEL [ARGS...]`,
 * Solo5 tenders/hvt/hvt_main.c) so a Solo5 command line carries over by changing the program name:
 *
 *   emon run [OPTIONS] [--] GUEST.wasm [ARGS...]
 *
 * Everything after the guest file is its command line; a `--` right after the guest file is dropped, so the
 * older `GUEST.wasm -- ARGS` form means the same. Leading `--solo5:LEVEL` arguments are Solo5's log levels:
 * they are taken off the command line and set how much the monitor says about the guest.
 *
 * Several guests in one process need the `--guest` separator, which cannot be read as the one-guest form
 * because it stands where only options may:
 *
 *   emon run [RUN-WIDE OPTIONS] --guest [OPTIONS] A.wasm [ARGS...] --guest [OPTIONS] B.wasm [ARGS...]
 *
 * Each `--guest` starts a guest whose options precede its file and whose arguments run to the next `--guest`.
 */
import { EmonError } from '../errors.js';
import type { RunOptions } from './guest.js';
import { DEFAULT_MEM_MIB } from './loader.js';
import type { GuestLaunch } from './supervisor.js';
import { guestLevel, takeSolo5Options } from './loglevel.js';
import { expandInstances, FLEET_FLAG, FLEET_VALUE, parseFleetArgs, type FleetArgs } from './fleetargs.js';

export interface RunArgs {
  readonly help: boolean;
  readonly launches: GuestLaunch[];
  readonly timeoutS: number | undefined;
  readonly traceFile: string | undefined;
  readonly verbose: boolean;
  /** Passed to extensions (GuestHost.options). */
  readonly options: RunOptions;
  /** The fleet options (./fleet.ts, ./fleetargs.ts); null when none was given. */
  readonly fleet: FleetArgs | null;
}

/** The longest --timeout a Node timer can hold (2^31-1 ms, about 24.8 days). */
export const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

const RUN_WIDE_VALUE = ['timeout', 'backend', 'state-dir', 'epc', 'trace', 'secure-mem', 'ta-dir', ...FLEET_VALUE] as const;
const RUN_WIDE_FLAG = ['emulate-cost', 'verbose', ...FLEET_FLAG] as const;
const PER_GUEST_VALUE = ['mem', 'name', 'cmdline'] as const;
/** The multi-guest separator. */
export const GUEST_SEPARATOR = '--guest';

function usage(message: string, hint?: string): never {
  throw new EmonError('E_USAGE', message, { hint: hint ?? 'see `emon run --help`' });
}

function parseMac(text: string, where: string): Uint8Array {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(text);
  if (!m) usage(`${where}: "${text}" is not a MAC address`, 'write six hex bytes, e.g. 02:00:00:00:00:01');
  const mac = new Uint8Array(m.slice(1).map((h) => parseInt(h, 16)));
  if (mac[0]! & 1) usage(`${where}: ${text} is a multicast address`, 'the first byte must be even, e.g. 02:...');
  return mac;
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `--block-sector-size:NAME=N`: Solo5's rule for a block size (tenders/common/block_attach.c). */
function parseSectorSize(t: string, value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 512) || (n & (n - 1)) !== 0 || n > 65536) {
    usage(`${t}: the block size must be a power of two of at least 512 (and at most 65536)`, 'e.g. --block-sector-size:storage=4096');
  }
  return n;
}

export function parseRunArgs(tokens: readonly string[]): RunArgs {
  const launches: GuestLaunch[] = [];
  /** Launches without a --solo5: level of their own, whose level -v raises to debug (./loglevel.ts). */
  const defaultLevel = new Set<number>();
  const runWide: Record<string, string | number | boolean | undefined> = {};
  let pending = newPending();
  let help = false;
  /** Set by the first `--guest`: from then on each guest is introduced by one. */
  let multi = false;
  let i = 0;

  function newPending() {
    return {
      mem: undefined as string | undefined,
      name: undefined as string | undefined,
      cmdline: undefined as string | undefined,
      attachments: new Map<string, Map<string, string>>(),
      macs: new Map<string, Uint8Array>(),
      sectors: new Map<string, { option: string; size: number }>(),
      given: [] as string[],
    };
  }
  function takeValue(opt: string, inline: string | undefined): string {
    if (inline !== undefined) return inline;
    const v = tokens[++i];
    if (v === undefined) usage(`${opt} needs a value`);
    return v;
  }
  /** The guest file at tokens[i]: its options are `pending`, its arguments run to the end or the next --guest. */
  function addGuest(file: string): void {
    const memMiB = pending.mem === undefined ? DEFAULT_MEM_MIB : Number(pending.mem);
    if (!Number.isInteger(memMiB) || memMiB < 1) usage(`--mem=${pending.mem} for ${file}: not a whole number of MiB`);
    let end = tokens.length;
    if (multi) {
      const next = tokens.indexOf(GUEST_SEPARATOR, i + 1);
      if (next >= 0) end = next;
    }
    let args = tokens.slice(i + 1, end);
    if (args[0] === '--') args = args.slice(1);
    const solo5 = takeSolo5Options(args, file);
    if (pending.cmdline !== undefined && solo5.args.length > 0) {
      usage(`${file}: give its command line either with --cmdline= or after the guest file, not both`);
    }
    const blocks = pending.attachments.get('block');
    for (const [dev, { option, size }] of pending.sectors) {
      const value = blocks?.get(dev);
      if (value === undefined) usage(`${option}: no --block:${dev}=PATH is given for ${file}`, `add --block:${dev}=PATH before the guest file`);
      if (/,sector=/.test(value)) usage(`${option}: --block:${dev}=${value} already sets sector=`, 'give the block size once');
      blocks!.set(dev, `${value},sector=${size}`);
    }
    if (!solo5.given) defaultLevel.add(launches.length);
    launches.push({
      file,
      memMiB,
      attachments: pending.attachments,
      macs: pending.macs,
      cmdline: pending.cmdline ?? solo5.args.join(' '),
      logLevel: solo5.level,
      ...(pending.name ? { name: pending.name } : {}),
    });
    pending = newPending();
    i = end - 1;
  }

  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === GUEST_SEPARATOR) {
      if (!multi && pending.given.length > 0) {
        usage(`${pending.given.join(' ')}: per-guest options go after the --guest they belong to`);
      }
      if (multi && pending.given.length > 0) usage(`${pending.given.join(' ')}: --guest with options but no guest file`);
      multi = true;
      continue;
    }
    if (t === '--') {
      const file = tokens[i + 1];
      if (file === undefined) usage('no guest file after `--`', 'emon run [OPTIONS] [--] GUEST.wasm [ARGS...]');
      i++;
      addGuest(file);
      if (!multi) break;
      continue;
    }
    if (t === '-h' || t === '--help') {
      help = true;
      continue;
    }
    if (t === '-v') {
      runWide.verbose = true;
      continue;
    }
    if (!t.startsWith('--')) {
      addGuest(t);
      if (!multi) break;
      continue;
    }
    const eq = t.indexOf('=');
    const key = t.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : t.slice(eq + 1);
    const colon = key.indexOf(':');
    if (colon > 0) {
      const kind = key.slice(0, colon);
      const dev = key.slice(colon + 1);
      if (dev === '' || inline === undefined) usage(`${t}: expected --${kind}:NAME=VALUE`);
      if (kind === 'net-mac') {
        pending.macs.set(dev, parseMac(inline, t));
      } else if (kind === 'block-sector-size') {
        if (pending.sectors.has(dev)) usage(`${t}: the block size of "${dev}" is given twice`);
        pending.sectors.set(dev, { option: t, size: parseSectorSize(t, inline) });
      } else {
        let byName = pending.attachments.get(kind);
        if (byName === undefined) pending.attachments.set(kind, (byName = new Map()));
        if (byName.has(dev)) usage(`${t}: device "${dev}" is attached twice`);
        byName.set(dev, inline);
      }
      pending.given.push(t);
    } else if ((RUN_WIDE_VALUE as readonly string[]).includes(key)) {
      runWide[camel(key)] = takeValue(t, inline);
    } else if ((RUN_WIDE_FLAG as readonly string[]).includes(key)) {
      if (inline !== undefined) usage(`${t}: --${key} takes no value`);
      runWide[camel(key)] = true;
    } else if ((PER_GUEST_VALUE as readonly string[]).includes(key)) {
      const v = takeValue(t, inline);
      if (key === 'mem') pending.mem = v;
      else if (key === 'name') pending.name = v;
      else pending.cmdline = v;
      pending.given.push(t);
    } else {
      usage(`unknown option ${t}`);
    }
  }

  if (pending.given.length > 0 && !help) {
    usage(multi ? `${pending.given.join(' ')}: --guest with options but no guest file` : `${pending.given.join(' ')}: no guest file follows these options`, 'emon run [OPTIONS] [--] GUEST.wasm [ARGS...]');
  }
  if (launches.length === 0 && !help) usage('no guest file given', 'emon run [OPTIONS] [--] GUEST.wasm [ARGS...]');
  let timeoutS: number | undefined;
  if (runWide.timeout !== undefined) {
    timeoutS = Number(runWide.timeout);
    // Node timers hold at most 2^31-1 ms and fire at once beyond that, which would stop the guest immediately.
    if (!(timeoutS > 0) || timeoutS > MAX_TIMEOUT_S) usage(`--timeout=${runWide.timeout}: expected a positive number of seconds, at most ${MAX_TIMEOUT_S}`);
    runWide.timeout = timeoutS;
  }
  if (runWide.backend !== undefined && runWide.backend !== 'sgx' && runWide.backend !== 'tz') {
    usage(`--backend=${runWide.backend}: expected sgx or tz`);
  }
  const fleet = parseFleetArgs(runWide);
  const leveled = launches.map((l, n) => (defaultLevel.has(n) ? { ...l, logLevel: guestLevel(undefined, runWide.verbose === true) } : l));
  return {
    help,
    launches: fleet === null ? leveled : expandInstances(leveled, fleet.instances),
    fleet,
    timeoutS,
    traceFile: runWide.trace as string | undefined,
    verbose: runWide.verbose === true,
    options: { backend: 'sgx', ...runWide },
  };
}
