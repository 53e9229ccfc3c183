/**
 * Solo5's log levels (bindings/log.h: ERROR, WARN, INFO, DEBUG, plus `quiet`), chosen per guest with leading
 * `--solo5:LEVEL` arguments on the guest's command line. Solo5's bindings take these off the command line
 * before the application sees it (bindings/cmdline.c); emon does the same in the monitor, for every guest
 * language, and uses the level for what it prints about the guest, each line at a Solo5 severity: an abnormal
 * end (abort, trap) is an error, a stop by --timeout a warning, and the start, device and end-status lines
 * that `-v` shows are debug. emon has no info-level line about a guest, so `warn` and `info` (the default)
 * print the same. A guest's own level wins over `-v`, which only raises the default to `debug`: `emon run -v
 * g.wasm --solo5:quiet` prints nothing about g.
 */
import { EmonError } from '../errors.js';
import type { ExitReason } from './core.js';

export const LOG_LEVELS = ['quiet', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

const PREFIX = '--solo5:';

/**
 * Takes the leading `--solo5:` arguments off a guest's arguments; the last level given wins, as in Solo5.
 * An unknown one is refused before the guest starts.
 */
export function takeSolo5Options(args: readonly string[], guest: string): { args: string[]; level: LogLevel; given: boolean } {
  let level: LogLevel = DEFAULT_LOG_LEVEL;
  let i = 0;
  for (; i < args.length && args[i]!.startsWith(PREFIX); i++) {
    const value = args[i]!.slice(PREFIX.length);
    if (!(LOG_LEVELS as readonly string[]).includes(value)) {
      throw new EmonError('E_USAGE', `${guest}: unknown Solo5 option ${args[i]}`, {
        hint: `Solo5 options are ${LOG_LEVELS.map((l) => PREFIX + l).join(', ')}; they come first after the guest file`,
      });
    }
    level = value as LogLevel;
  }
  return { args: args.slice(i), level, given: i > 0 };
}

/** A guest's level: its own `--solo5:` level when it gave one, else `debug` under -v and `info` without. */
export function guestLevel(given: LogLevel | undefined, verbose: boolean): LogLevel {
  return given ?? (verbose ? 'debug' : DEFAULT_LOG_LEVEL);
}

/** The severity of the line saying how a guest ended abnormally: a --timeout stop warns, the rest are errors. */
export function endSeverity(reason: ExitReason): 'error' | 'warn' {
  return reason === 'timeout' ? 'warn' : 'error';
}

/** Whether a monitor line of `severity` about a guest at `level` is printed. */
export function shows(level: LogLevel, severity: Exclude<LogLevel, 'quiet'>): boolean {
  return LOG_LEVELS.indexOf(severity) <= LOG_LEVELS.indexOf(level);
}
