/**
 * The folder tree is the trust model (STYLE.md habit 1): this test reads every import in runtime/, enclaves/
 * and guest/ and fails if a domain reaches into one it must not trust.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'generated') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|c|h)$/.test(name)) out.push(full);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'"`;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|#include\s+"([^"]+)"/g)) {
    found.push(m[1] ?? m[2] ?? m[3] ?? '');
  }
  return found;
}

/** Resolve a relative import to a repo-relative path (non-relative imports are packages). */
function target(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return path.relative(root, path.resolve(path.dirname(file), spec));
}

const rules: Array<{ from: string; mustNotReach: string[] }> = [
  { from: 'runtime/hw', mustNotReach: ['runtime/monitor', 'runtime/cli', 'runtime/trace', 'runtime/attest', 'runtime/attack', 'runtime/storage', 'runtime/enclave', 'guest', 'bench'] },
  // The backends are siblings behind runtime/hw/backend.ts: SGX knows nothing of TrustZone. TZ reuses SGX's
  // signing, measurement and key derivation (shared, not copied), never its EPC.
  { from: 'runtime/hw/sgx', mustNotReach: ['runtime/hw/tz'] },
  { from: 'runtime/hw/tz', mustNotReach: ['runtime/hw/epc', 'runtime/hw/sgx/backend.js'] },
  // Attestation is host-side evidence and verifier code (untrusted, like the monitor): it may use hw and the
  // enclave host, and serve the monitor a quote provider, but never reaches the CLI.
  { from: 'runtime/attest', mustNotReach: ['runtime/cli', 'runtime/attack', 'bench'] },
  { from: 'runtime/monitor', mustNotReach: ['runtime/cli', 'runtime/attack', 'bench'] },
  { from: 'runtime/native', mustNotReach: ['runtime/monitor', 'runtime/cli', 'runtime/hw', 'runtime/attack', 'enclaves', 'guest', 'bench'] },
  // Adversarial monitor modules may use monitor and hw code (as an untrusted OS does); nothing else reaches them.
  { from: 'runtime/attack', mustNotReach: ['runtime/cli', 'bench', 'guest'] },
  { from: 'runtime/enclave', mustNotReach: ['runtime/attack'] },
  { from: 'runtime/trace', mustNotReach: ['runtime/attack'] },
  { from: 'runtime/build', mustNotReach: ['runtime/attack'] },
  // The trusted side of secure storage: it relies on hw (crypto core, keys, counters) and nothing untrusted.
  { from: 'runtime/storage', mustNotReach: ['runtime/monitor', 'runtime/cli', 'runtime/trace', 'runtime/enclave', 'runtime/attack', 'guest', 'bench'] },
  { from: 'enclaves', mustNotReach: ['guest', 'runtime'] },
  { from: 'guest', mustNotReach: ['enclaves', 'runtime'] },
];

describe('trust-domain imports', () => {
  for (const rule of rules) {
    it(`${rule.from} does not import ${rule.mustNotReach.join(', ')}`, () => {
      const violations: string[] = [];
      const files = sourceFiles(path.join(root, rule.from));
      for (const file of files) {
        for (const spec of importsOf(file)) {
          const t = target(file, spec);
          if (t && rule.mustNotReach.some((d) => t === d || t.startsWith(d + '/'))) {
            violations.push(`${path.relative(root, file)} imports ${spec}`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('only `emon attack` imports the attack modules: production code paths have no attack flags', () => {
    const importers: string[] = [];
    for (const file of sourceFiles(path.join(root, 'runtime'))) {
      const rel = path.relative(root, file);
      if (rel.startsWith('runtime/attack/')) continue;
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        if (t && (t === 'runtime/attack' || t.startsWith('runtime/attack/'))) importers.push(rel);
      }
    }
    expect([...new Set(importers)]).toEqual(['runtime/cli/commands/attack.ts']);
    // `emon run` and the monitor take no adversarial option.
    for (const f of ['runtime/cli/commands/run.ts', 'runtime/monitor/runargs.ts', 'runtime/monitor/supervisor.ts']) {
      expect(readFileSync(path.join(root, f), 'utf8'), f).not.toMatch(/attack|adversar/i);
    }
  });

  it('the backend interface (runtime/hw/backend.ts) imports types only', () => {
    const text = readFileSync(path.join(root, 'runtime/hw/backend.ts'), 'utf8');
    const imports = [...text.matchAll(/^import .*$/gm)].map((m) => m[0]);
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports) expect(line, line).toMatch(/^import type /);
  });

  it('trusted applications (enclaves/ta-*, enclaves/tasdk) import only the TA SDK and the crypto core', () => {
    const bad: string[] = [];
    for (const dir of readdirSync(path.join(root, 'enclaves')).filter((d) => d.startsWith('ta-') || d === 'tasdk')) {
      for (const file of sourceFiles(path.join(root, 'enclaves', dir))) {
        for (const spec of importsOf(file)) {
          // C includes are found on the include path: the TA's own folder, then the TA SDK's headers.
          const c = /\.(c|h)$/.test(file) && !spec.startsWith('.');
          const t = c ? [path.join(path.dirname(file), spec), path.join(root, 'enclaves/tasdk/include', spec)].map((f) => path.relative(root, f)).find((f) => existsSync(path.join(root, f))) ?? null : target(file, spec);
          if (t === null || !['enclaves/tasdk', 'enclaves/lib', 'enclaves/ta-'].some((d) => t.startsWith(d))) bad.push(`${path.relative(root, file)} imports ${spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('enclave code uses no host crypto or I/O', () => {
    const bad: string[] = [];
    for (const file of sourceFiles(path.join(root, 'enclaves'))) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('node:') || spec === 'crypto' || spec === 'fs') bad.push(`${file}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
