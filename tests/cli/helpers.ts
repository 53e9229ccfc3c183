/** Runs the compiled `emon` CLI (dist/, built by `npm run build`) as a child process. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(__dirname, '..', '..');
export const guests = path.join(root, 'build', 'guests');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function emon(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'runtime', 'cli', 'main.js'), ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? root,
    timeout: opts.timeoutMs ?? 30000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
