/**
 * The `emon run` command line, shaped like solo5-hvt's so a Solo5 command line carries over by changing the
 * program name: `emon run [--mem=MB] [--block:NAME=PATH]... [--net:NAME=SPEC]... GUEST.wasm [-- ARGS]`.
 * Several guests: per-guest options (--mem, --name, --cmdline, --KIND:NAME=VALUE, --net-mac:NAME=MAC) apply
 * to the guest file that follows them; run-wide options (--timeout, --backend, --state-dir, --epc, --trace,
 * --secure-mem, --ta-dir, --emulate-cost, -v) may stand anywhere. Everything after `--` is the command line of the last guest.
 */
import { EmonError } from '../errors.js';
import type { RunOptions } from './guest.js';
import { DEFAULT_MEM_MIB } from './loader.js';
import type { GuestLaunch } from './supervisor.js';

export interface RunArgs {
  readonly help: boolean;
  readonly launches: GuestLaunch[];
  readonly timeoutS: number | undefined;
  readonly traceFile: string | undefined;
  readonly verbose: boolean;
  /** Passed to extensions (GuestHost.options). */
  readonly options: RunOptions;
}

/** The longest --timeout a Node timer can hold (2^31-1 ms, about 24.8 days). */
export const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

const RUN_WIDE_VALUE = ['timeout', 'backend', 'state-dir', 'epc', 'trace', 'secure-mem', 'ta-dir'] as const;
const RUN_WIDE_FLAG = ['emulate-cost', 'verbose'] as const;
const PER_GUEST_VALUE = ['mem', 'name', 'cmdline'] as const;

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

export function parseRunArgs(tokens: readonly string[]): RunArgs {
  const launches: GuestLaunch[] = [];
  const runWide: Record<string, string | number | boolean | undefined> = {};
  let pending = newPending();
  let help = false;
  let i = 0;

  function newPending() {
    return { mem: undefined as string | undefined, name: undefined as string | undefined, cmdline: '', attachments: new Map<string, Map<string, string>>(), macs: new Map<string, Uint8Array>(), given: [] as string[] };
  }
  function takeValue(opt: string, inline: string | undefined): string {
    if (inline !== undefined) return inline;
    const v = tokens[++i];
    if (v === undefined) usage(`${opt} needs a value`);
    return v;
  }

  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--') {
      const last = launches[launches.length - 1];
      if (last === undefined) usage('`--` comes before any guest file', 'write the guest file, then `--`, then its arguments');
      (last as { cmdline: string }).cmdline = tokens.slice(i + 1).join(' ');
      break;
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
      const memMiB = pending.mem === undefined ? DEFAULT_MEM_MIB : Number(pending.mem);
      if (!Number.isInteger(memMiB) || memMiB < 1) usage(`--mem=${pending.mem} for ${t}: not a whole number of MiB`);
      launches.push({ file: t, memMiB, attachments: pending.attachments, macs: pending.macs, cmdline: pending.cmdline, ...(pending.name ? { name: pending.name } : {}) });
      pending = newPending();
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
        pending.given.push(t);
        continue;
      }
      let byName = pending.attachments.get(kind);
      if (byName === undefined) pending.attachments.set(kind, (byName = new Map()));
      if (byName.has(dev)) usage(`${t}: device "${dev}" is attached twice`);
      byName.set(dev, inline);
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
    usage(`${pending.given.join(' ')}: per-guest options must come before the guest file they apply to`);
  }
  if (launches.length === 0 && !help) usage('no guest file given', 'emon run [options] GUEST.wasm [-- ARGS]');
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
  return {
    help,
    launches,
    timeoutS,
    traceFile: runWide.trace as string | undefined,
    verbose: runWide.verbose === true,
    options: { backend: 'sgx', ...runWide },
  };
}
