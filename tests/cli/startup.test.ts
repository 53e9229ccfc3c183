/**
 * Start-up (issue: a CLI that starts as fast as node): the heavy modules (binaryen, wabt, AssemblyScript,
 * @noble) are imported at the top level only by the commands that need them, so no other command pays for
 * them; `emon --version` prints the version and the commit emon was built from. The speed itself is a
 * benchmark (`emon bench startup`, bench/suites/startup.ts), never a test.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commitOf } from '../../runtime/build/steps/00-build-info.js';
import { COMMANDS, measureStartup, NODE_FLOOR } from '../../bench/suites/startup.js';
import { emon, root } from './helpers.js';

const HEAVY = [/^binaryen(\/|$)/, /^wabt(\/|$)/, /^assemblyscript(\/|$)/, /^@noble\//];

/** The bare packages a source module reaches through static (top-level) imports, with the path to each. */
export function staticPackages(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    const specs = [
      ...[...src.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
      ...[...src.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ];
    const here = [...chain, path.relative(root, file)];
    for (const spec of specs) {
      if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'), here);
      else if (!spec.startsWith('node:') && !found.has(spec)) found.set(spec, here);
    }
  };
  walk(path.resolve(entry), []);
  return found;
}

const cli = (f: string) => path.join(root, 'runtime', 'cli', f);
/** Commands whose own work needs a heavy module, and which ones. */
const NEEDS: Record<string, RegExp[]> = {
  'commands/bench.ts': [/^wabt/], // bench suites assemble WAT
  'commands/enclave.ts': [/^@noble\//], // signing and measuring enclaves
};

/** Every command module, so a new command is checked without anyone adding it here. */
const commandFiles = readdirSync(cli('commands')).filter((f) => f.endsWith('.ts')).sort().map((f) => `commands/${f}`);

describe('heavy modules load only in the commands that need them', () => {
  const entries = ['emon.cts', 'main.ts', 'fast.ts', 'program.ts', 'version.ts', ...commandFiles];
  it('checks every command of the CLI\'s table (program.ts) and every module in runtime/cli/commands', () => {
    const table = [...readFileSync(cli('program.ts'), 'utf8').matchAll(/import\('\.\/(commands\/[\w-]+)\.js'\)/g)].map((m) => `${m[1]}.ts`);
    expect(table.length).toBeGreaterThan(10);
    for (const c of table) expect(entries).toContain(c);
    for (const c of ['commands/ta.ts', 'commands/attest.ts', 'commands/attack.ts', 'commands/verifier.ts', 'commands/demo-storage.ts']) expect(entries).toContain(c);
  });
  for (const entry of entries) {
    it(entry, () => {
      const heavy = [...staticPackages(cli(entry))].filter(([pkg]) => HEAVY.some((h) => h.test(pkg)) && !(NEEDS[entry] ?? []).some((n) => n.test(pkg)));
      expect(heavy.map(([pkg, chain]) => `${pkg} <- ${chain.join(' <- ')}`)).toEqual([]);
    });
  }
  it('the check sees a top-level import through a chain of modules', () => {
    // bench.ts reaches wabt through bench/wat.ts: were it not allowed there, the test above would list it.
    const pkgs = staticPackages(cli('commands/bench.ts'));
    expect(pkgs.get('wabt')?.join(' <- ')).toMatch(/bench\.ts <- .*bench\/wat\.ts/);
  });
  it('--version, run and inspect of a plain guest load no command but their own', () => {
    expect([...staticPackages(cli('emon.cts')).keys()]).toEqual([]);
    expect([...staticPackages(cli('main.ts')).keys()]).toEqual([]);
    expect([...staticPackages(cli('fast.ts')).keys()]).toEqual([]);
    expect([...staticPackages(cli('commands/run.ts')).keys()]).toEqual([]);
    expect([...staticPackages(cli('commands/inspect.ts')).keys()]).toEqual([]);
  });
});

describe('emon --version', () => {
  it('prints the version and the commit emon was built from', () => {
    const r = emon(['--version']);
    expect(r.status).toBe(0);
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const m = /^emon (\S+) \(commit ([0-9a-f]{40}(?:-dirty)?|unknown)\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(m![1]).toBe(version);
    // The line is the build record's, and the build records the commit checked out (tested below on HEAD).
    const info = JSON.parse(readFileSync(path.join(root, 'dist', 'build-info.json'), 'utf8')) as { version: string; commit: string };
    expect(r.stdout).toBe(`emon ${info.version} (commit ${info.commit})\n`);
    expect(info.commit).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    expect(emon(['-V']).stdout).toBe(r.stdout);
    // The installed executable (package.json bin) answers without the ES module loader, with the same line.
    const bin = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: { emon: string } }).bin.emon;
    expect(execFileSync(process.execPath, [path.join(root, bin), '--version'], { encoding: 'utf8' })).toBe(r.stdout);
    expect(emon(['--help']).stdout).toMatch(/-V, --version +print the version and the commit/);
  });
  it('records the commit checked out, or "unknown" outside a git checkout', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'emon-nogit-'));
    try {
      expect(commitOf(dir)).toBe('unknown');
      const head = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
      expect(commitOf(root).replace(/-dirty$/, '')).toBe(head);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the executable (package.json bin)', () => {
  const bin = path.join(root, (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: { emon: string } }).bin.emon);
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root, timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const hello = path.join('build', 'guests', 'hello.wasm');
  it('runs and inspects a plain guest from the bundled fast path the build made', () => {
    expect(existsSync(path.join(root, 'dist', 'runtime', 'fast.bundle.cjs')), 'npm run build makes it (rolldown is a devDependency)').toBe(true);
    const r = run(['run', hello, 'a', 'b']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Command line is: 'a b'");
    expect(run(['inspect', hello]).stdout).toMatch(/^build\/guests\/hello\.wasm \(\d+ bytes\)\nmemory:/);
    const missing = run(['run', 'absent.wasm']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('emon: cannot read guest absent.wasm: no such file\n  hint: check the path; `npm run build` puts the example guests in build/guests/\n');
  });
  it('hands everything else to the full program, once', () => {
    const two = run(['run', '--guest', hello, 'x', '--guest', '--name=b', hello, 'y']);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).toContain("b| Command line is: 'y'");
    const timed = run(['run', '--timeout=30', hello, '--net:x=y', 'z.wasm']);
    expect(timed.stdout).toContain("Command line is: '--net:x=y z.wasm'");
    expect(timed.stderr.match(/emon: note:/g)).toHaveLength(1);
    expect(run(['run', '--help']).stdout).toMatch(/^Usage: emon run/);
    expect(run(['inspect', '--help']).stdout).toMatch(/^Usage: emon inspect/);
  });
});

describe('bench startup', () => {
  it('measures the three ratios against node -e 0 from whole processes', () => {
    const m = measureStartup(1);
    expect(Object.keys(m.medianMs).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    expect(Object.keys(m.ratio).sort()).toEqual(['emon --version', 'emon inspect hello.wasm', 'emon run hello.wasm']);
    expect(m.target).toEqual({ 'emon --version': 1.15, 'emon run hello.wasm': 1.3, 'emon inspect hello.wasm': 1.3 });
    for (const r of Object.values(m.ratio)) expect(Number.isFinite(r) && r > 0).toBe(true);
    expect(m.medianMs[NODE_FLOOR]).toBeGreaterThan(0);
  }, 60_000);
});
