/**
 * Typed errors for every domain of emon. Each carries a stable code (E_BAD_WASM, E_MANIFEST, E_GATE_BOUNDS, ...)
 * and a hint for the user; the CLI prints `emon: <message>` and the hint, never a stack trace.
 * Guests never see these: they see Solo5 result codes.
 */
export class EmonError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EmonError';
    this.code = code;
    this.hint = options?.hint;
  }
}

export function isEmonError(e: unknown, code?: string): e is EmonError {
  return e instanceof EmonError && (code === undefined || e.code === code);
}

/** Formats any thrown value for the terminal: one line of message, one of hint. */
export function describeError(e: unknown): string {
  if (e instanceof EmonError) {
    return `emon: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
  }
  if (e instanceof Error) return `emon: internal error: ${e.message}`;
  return `emon: internal error: ${String(e)}`;
}
