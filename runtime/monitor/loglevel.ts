/**
 * Solo5's log levels (bindings/log.h: ERROR, WARN, INFO, DEBUG, plus `quiet`), chosen per guest with leading
 * `--solo5:LEVEL` arguments on the guest's command line. Solo5's bindings take these off the command line
 * before the application sees it (bindings/cmdline.c); emon does the same in the monitor, for every guest
 * language, and uses the level for what it prints about the guest: `quiet` nothing, `error` to `info` how the
 * guest ended when that was abnormal, `debug` also what `-v` shows (start, devices, end status).
 */
import { EmonError } from '../errors.js';

export const LOG_LEVELS = ['quiet', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

const PREFIX = '--solo5:';

/**
 * Takes the leading `--solo5:` arguments off a guest's arguments; the last level given wins, as in Solo5.
 * An unknown one is refused before the guest starts.
 */
export function takeSolo5Options(args: readonly string[], guest: string): { args: string[]; level: LogLevel } {
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
  return { args: args.slice(i), level };
}

/** Whether a monitor line of `severity` about a guest at `level` is printed. */
export function shows(level: LogLevel, severity: Exclude<LogLevel, 'quiet'>): boolean {
  return LOG_LEVELS.indexOf(severity) <= LOG_LEVELS.indexOf(level);
}
