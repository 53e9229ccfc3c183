#!/usr/bin/env node
/**
 * The `emon` executable (package.json "bin"). It is CommonJS so that `emon --version` is answered without
 * starting Node's ES module loader, which alone costs a noticeable share of a bare `node` start; everything
 * else continues in ./main.js. The line is the one runtime/cli/version.ts makes, from the same record
 * (dist/build-info.json, written by runtime/build/steps/00-build-info.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  let version = 'unknown';
  let commit = 'unknown';
  try {
    const info = JSON.parse(readFileSync(join(__dirname, '..', '..', 'build-info.json'), 'utf8')) as { version?: unknown; commit?: unknown };
    if (typeof info.version === 'string') version = info.version;
    if (typeof info.commit === 'string') commit = info.commit;
  } catch {
    // Not built by `npm run build`: the line says what it does not know.
  }
  process.stdout.write(`emon ${version} (commit ${commit})\n`);
} else {
  void import('./main.js');
}
