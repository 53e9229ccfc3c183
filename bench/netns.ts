/**
 * Throw-away Linux network namespaces with TAP interfaces in them (ip-netns(8), ip-tuntap(8)), for the TAP
 * tests and the hostnet benchmark: every interface, address and ping lives inside a namespace made here and
 * deleted afterwards, so nothing touches the host's own network. Needs root, /dev/net/tun, iproute2 and ping;
 * hostNetUnavailable() says which is missing.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildDir, projectRoot } from '../runtime/paths.js';
import { TUN_ADDON_PATH } from '../runtime/monitor/tun.js';

export const EMON_CLI = path.join(projectRoot, 'dist', 'runtime', 'cli', 'main.js');
export const PING_SERVE = path.join(buildDir, 'guests', 'ping-serve.wasm');
export const PING_SERVE_DUAL = path.join(buildDir, 'guests', 'ping-serve-dual.wasm');

/** The TUNSETIFF-only helper (runtime/native/tunsetiff.c), the design measured against the addon. */
export const TUN_HELPER = path.join(buildDir, 'native', 'tunsetiff');
const TUN_HELPER_SOURCE = path.join(projectRoot, 'runtime', 'native', 'tunsetiff.c');

/** Compiles the helper with clang when it is missing or older than its source; null, or why it cannot be. */
export function buildTunHelper(): string | null {
  if (existsSync(TUN_HELPER) && statSync(TUN_HELPER).mtimeMs > statSync(TUN_HELPER_SOURCE).mtimeMs) return null;
  if (!has('clang')) return 'clang not installed (apt install clang)';
  mkdirSync(path.dirname(TUN_HELPER), { recursive: true });
  const r = spawnSync('clang', ['-O2', '-Wall', '-o', TUN_HELPER, TUN_HELPER_SOURCE], { encoding: 'utf8' });
  return r.status === 0 ? null : `clang failed on runtime/native/tunsetiff.c: ${r.stderr.trim()}`;
}

function has(tool: string): boolean {
  return spawnSync('which', [tool], { stdio: 'ignore' }).status === 0;
}

let counter = 0;

/** Why TAP tests cannot run here, or null when they can. */
export function hostNetUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (TAP interfaces and network namespaces need root)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (modprobe tun)';
  if (!has('ip')) return 'iproute2 not installed (apt install iproute2)';
  if (!has('ping')) return 'ping not installed (apt install iputils-ping)';
  if (!existsSync(TUN_ADDON_PATH)) return 'the TAP addon is not built (install clang, npm run build)';
  if (!existsSync(PING_SERVE)) return 'build/guests/ping-serve.wasm is not built (install clang lld, npm run build)';
  const probe = `emon-probe-${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `cannot create a network namespace: ${made.stderr.trim()}`;
  const tap = spawnSync('ip', ['netns', 'exec', probe, 'ip', 'tuntap', 'add', 'tap0', 'mode', 'tap'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  if (tap.status !== 0) return `cannot create a TAP interface: ${tap.stderr.trim()}`;
  return null;
}

export interface NsProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit status (signal -> 128 + n). */
  readonly exited: Promise<number>;
}

export class NetNs {
  readonly name: string;
  private readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    this.name = `emon-${tag}-${process.pid}-${counter++}`;
    execFileSync('ip', ['netns', 'add', this.name]);
    this.run('ip', 'link', 'set', 'lo', 'up');
  }

  /** Runs a command inside the namespace and returns its stdout; throws with its stderr on failure. */
  run(...argv: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Like run, but returns status and output instead of throwing. */
  try(...argv: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8', timeout: 120_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** A TAP interface named `ifname`, with the host side's address `cidr`, up. */
  addTap(ifname: string, cidr: string, mtu = 1500): void {
    this.run('ip', 'tuntap', 'add', ifname, 'mode', 'tap');
    this.run('ip', 'link', 'set', ifname, 'mtu', String(mtu));
    this.run('ip', 'addr', 'add', cidr, 'dev', ifname);
    this.run('ip', 'link', 'set', ifname, 'up');
  }

  /** Starts a command in the namespace (e.g. `emon run`), collecting its output. */
  spawn(argv: readonly string[], env?: NodeJS.ProcessEnv): NsProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    this.children.push(child);
    const p: NsProcess = {
      child,
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15)))),
    };
    child.stdout!.on('data', (d: Buffer) => (p.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (p.stderr += d.toString()));
    return p;
  }

  /** `emon run ARGS...` in the namespace. */
  emon(args: readonly string[], env?: NodeJS.ProcessEnv): NsProcess {
    return this.spawn([process.execPath, EMON_CLI, 'run', ...args], env);
  }

  /** Waits until `addr` answers one ping (the guest is up), for at most `ms`. */
  async waitForPing(addr: string, ms = 20_000): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.try('ping', '-c', '1', '-W', '1', addr).status === 0) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** Ends what it started (by the pids it holds) and deletes the namespace with its interfaces. */
  destroy(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** Parses ping's summary: transmitted, received, and rtt min/avg/max/mdev in ms. */
export function parsePing(out: string): { sent: number; received: number; avgMs: number; maxMs: number; timeMs: number } | null {
  const m = /(\d+) packets transmitted, (\d+) received.*?time (\d+)ms/s.exec(out);
  if (m === null) return null;
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(out);
  return { sent: Number(m[1]), received: Number(m[2]), timeMs: Number(m[3]), avgMs: rtt ? Number(rtt[2]) : NaN, maxMs: rtt ? Number(rtt[3]) : NaN };
}
