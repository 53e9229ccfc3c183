/**
 * Rootless user-mode networking (`--net:NAME=user[,hostfwd=...]`, runtime/monitor/passt.ts) through the real
 * `emon run` and a real passt: the host reaches the guest through a port forward, the guest reaches the host
 * through passt's NAT, and passt missing or dying is a clear message. Traffic stays on 127.0.0.1. Without
 * passt (apt install passt) or the built ping-serve guest, the tests report themselves skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EMON_CLI, PING_SERVE } from '../../bench/netns.js';

const havePasst = spawnSync('which', ['passt'], { stdio: 'ignore' }).status === 0;
const why = !havePasst ? 'passt not installed (apt install passt)' : !existsSync(PING_SERVE) ? 'ping-serve.wasm not built (install clang lld, npm run build)' : null;
const t = (title: string) => (why === null ? title : `${title} -- SKIPPED: ${why}`);
if (why !== null) console.warn(`tests/monitor/passt.test.ts: user-mode network tests skipped: ${why}`);

interface Run { child: ChildProcess; stdout: string; stderr: string; exited: Promise<number> }
const runs: Run[] = [];
afterEach(() => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
});

function emonRun(args: string[], env?: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [EMON_CLI, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  const r: Run = { child, stdout: '', stderr: '', exited: new Promise((res) => child.on('exit', (c) => res(c ?? -1))) };
  child.stdout!.on('data', (d: Buffer) => (r.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (r.stderr += d.toString()));
  runs.push(r);
  return r;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Sends `text` to 127.0.0.1:port every 200 ms until an answer comes back (or `ms` pass). */
async function udpEcho(port: number, text: string, ms = 15_000): Promise<string | null> {
  const s = dgram.createSocket('udp4');
  try {
    return await new Promise<string | null>((resolve) => {
      const timer = setInterval(() => s.send(text, port, '127.0.0.1'), 200);
      const give = setTimeout(() => { clearInterval(timer); resolve(null); }, ms);
      s.on('message', (m) => { clearInterval(timer); clearTimeout(give); resolve(m.toString()); });
      s.send(text, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

/** The passt emon started (under its sh guard, so a grandchild), waiting up to 5 s for it to appear. */
async function passtChildOf(pid: number): Promise<number | null> {
  const until = Date.now() + 5000;
  do {
    const guards = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '');
    for (const g of guards) {
      const n = Number.parseInt(spawnSync('pgrep', ['-P', g, '-f', '^passt'], { encoding: 'utf8' }).stdout.trim(), 10);
      if (!Number.isNaN(n)) return n;
    }
    await new Promise((r) => setTimeout(r, 20));
  } while (Date.now() < until);
  return null;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout);

describe('user-mode networking through passt (--net:NAME=user)', () => {
  it.skipIf(why !== null)(t('hostfwd: a UDP datagram to a forwarded host port reaches the guest and its echo comes back'), async () => {
    const port = await freeUdpPort();
    const g = emonRun(['--timeout=60', `--net:service=user,hostfwd=udp:127.0.0.1:${port}-:7`, PING_SERVE, '--', '10.0.2.15']);
    expect(await udpEcho(port, 'through passt'), g.stderr).toBe('through passt');
    g.child.kill('SIGKILL');
  });

  it.skipIf(why !== null)(t('hostfwd=tcp: passt listens on the forwarded host port while the guest runs, and stops with it'), async () => {
    const port = await freeUdpPort(); // a free number; TCP and UDP ports are separate, and this one is only probed
    const g = emonRun(['--timeout=60', `--net:service=user,hostfwd=tcp:127.0.0.1:${port}-:80`, PING_SERVE, '--', '10.0.2.15']);
    const connects = async () => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    const until = Date.now() + 15_000;
    let ok = false;
    while (!ok && Date.now() < until) {
      ok = await connects();
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok, g.stderr).toBe(true);
    g.child.kill('SIGKILL');
    await g.exited;
    const gone = Date.now() + 5000;
    while ((await connects()) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    expect(await connects()).toBe(false);
  });

  it.skipIf(why !== null)(t('NAT: the guest reaches the host through the gateway address; passt ends with emon'), async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    const got = new Promise<string>((r) => sock.once('message', (m) => r(m.toString())));
    const g = emonRun(['--timeout=60', '--net:service=user', PING_SERVE, '--', '10.0.2.15', '1', `hello=10.0.2.2:${port}`]);
    expect(await Promise.race([got, new Promise((r) => setTimeout(() => r(`nothing: ${g.stderr}`), 15_000))])).toBe('hello from ping-serve');
    sock.close();
    const passt = await passtChildOf(g.child.pid!);
    expect(passt).not.toBeNull();
    g.child.kill('SIGKILL');
    await g.exited;
    // passt's guard ends it when emon is gone, however emon ended.
    const until = Date.now() + 5000;
    while (alive(passt!) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(passt!)).toBe(false);
  });

  it.skipIf(why !== null)(t('emon killed while passt starts, before it connected: passt does not outlive it'), async () => {
    const g = emonRun(['--timeout=60', '--net:service=user', PING_SERVE, '--', '10.0.2.15']);
    const passt = await passtChildOf(g.child.pid!);
    expect(passt, g.stderr).not.toBeNull();
    const argv = readFileSync(`/proc/${passt}/cmdline`, 'utf8').split('\0');
    const socketDir = path.dirname(argv[argv.indexOf('--socket') + 1]!);
    g.child.kill('SIGKILL');
    await g.exited;
    const until = Date.now() + 5000;
    while ((alive(passt!) || existsSync(socketDir)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(passt!)).toBe(false);
    expect(existsSync(socketDir)).toBe(false);
  });

  it.skipIf(why !== null)(t('passt dying mid-run: emon says so, starts passt again and the NIC works again; the guest runs on'), async () => {
    const port = await freeUdpPort();
    const g = emonRun(['--timeout=10', '-v', `--net:service=user,hostfwd=udp:127.0.0.1:${port}-:7`, PING_SERVE, '--', '10.0.2.15']);
    expect(await udpEcho(port, 'before')).toBe('before');
    const passt = await passtChildOf(g.child.pid!);
    expect(passt).not.toBeNull();
    process.kill(passt!, 'SIGKILL');
    // The forward comes back with the new passt, and the same guest (never restarted) answers through it.
    expect(await udpEcho(port, 'after', 20_000), g.stderr).toBe('after');
    expect(g.child.exitCode).toBeNull();
    expect(g.stderr).toMatch(/passt for net "service" exited \(SIGKILL\); the NIC is down, starting passt again in 100 ms \(restart 1 of 3\)/);
    expect(g.stderr).toMatch(/passt for net "service" is back \(restart 1\); the NIC is up again/);
    const second = await passtChildOf(g.child.pid!);
    expect(second).not.toBe(passt);
    expect(g.stdout).not.toMatch(/ping-serve: service MAC[^]*ping-serve: service MAC/); // one guest start only
    expect(await g.exited).toBe(124); // ended by --timeout, not by the lost NIC
    expect(g.stderr).toMatch(/passt: \d+ frames sent, \d+ received, \d+ dropped; passt restarted 1 times/);
    // The restarted passt ends with emon as the first one would have.
    const until = Date.now() + 5000;
    while (alive(second!) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(second!)).toBe(false);
  });

  it.skipIf(why !== null)(t('a restart that fails (the forwarded port taken meanwhile) is retried after a longer back-off, and the NIC comes back once it is free'), async () => {
    const port = await freeUdpPort();
    const g = emonRun(['--timeout=20', `--net:service=user,hostfwd=udp:127.0.0.1:${port}-:7`, PING_SERVE, '--', '10.0.2.15']);
    expect(await udpEcho(port, 'before')).toBe('before');
    const passt = await passtChildOf(g.child.pid!);
    expect(passt).not.toBeNull();
    process.kill(passt!, 'SIGKILL');
    // Take the port as soon as the dead passt lets go of it, well inside the 100 ms before the first restart.
    const holder = dgram.createSocket('udp4');
    holder.on('error', () => {});
    const until = Date.now() + 2000;
    let held = false;
    while (!held && Date.now() < until) {
      held = await new Promise<boolean>((resolve) => {
        holder.once('error', () => resolve(false));
        holder.bind(port, '127.0.0.1', () => resolve(true));
      });
      if (!held) await new Promise((r) => setTimeout(r, 2));
    }
    expect(held).toBe(true);
    const failed = Date.now() + 10_000;
    while (!g.stderr.includes('could not be started again') && Date.now() < failed) await new Promise((r) => setTimeout(r, 20));
    expect(g.stderr).toMatch(/passt for net "service" could not be started again \(passt exited at start[^)]*\); the NIC is down, starting passt again in 200 ms \(restart 2 of 3\)/);
    holder.close();
    expect(await udpEcho(port, 'after', 15_000), g.stderr).toBe('after');
    expect(g.stderr).toMatch(/passt for net "service" is back \(restart 2\); the NIC is up again/);
    expect(await g.exited).toBe(124);
  });

  it.skipIf(why !== null)(t('passt that keeps dying is restarted 3 times, then the NIC stays down with a message; the guest runs on and emon exits cleanly'), async () => {
    const port = await freeUdpPort();
    const g = emonRun(['--timeout=15', `--net:service=user,hostfwd=udp:127.0.0.1:${port}-:7`, PING_SERVE, '--', '10.0.2.15']);
    expect(await udpEcho(port, 'before')).toBe('before');
    let last: number | null = null;
    for (let i = 1; i <= 4; i++) {
      // Each restart is a new passt (the guard's child changes): wait for it, then kill it too.
      let p: number | null = null;
      const until = Date.now() + 10_000;
      while ((p === null || p === last) && Date.now() < until) {
        p = await passtChildOf(g.child.pid!);
        if (p === last) await new Promise((r) => setTimeout(r, 50));
      }
      expect(p, `passt ${i}\n${g.stderr}`).not.toBeNull();
      expect(p).not.toBe(last);
      last = p;
      process.kill(p!, 'SIGKILL');
      if (i <= 3) {
        const back = Date.now() + 10_000;
        while (!g.stderr.includes(`is back (restart ${i})`) && Date.now() < back) await new Promise((r) => setTimeout(r, 50));
        expect(g.stderr).toContain(`is back (restart ${i})`);
      }
    }
    const until = Date.now() + 5000;
    while (!g.stderr.includes('stays down') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(g.stderr).toMatch(/passt for net "service" exited \(SIGKILL\); it was restarted 3 times already, so the NIC stays down and its frames are dropped; the guest goes on/);
    expect(g.child.exitCode).toBeNull();
    expect(await udpEcho(port, 'nobody', 1000)).toBeNull();
    expect(await g.exited).toBe(124);
    expect(g.stderr).toMatch(/stopped after 15 s/);
    expect(g.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('user-mode networking: bad input', () => {
  it.skipIf(!existsSync(PING_SERVE))('passt missing: the error says how to install it', async () => {
    const g = emonRun(['--net:service=user', PING_SERVE], { ...process.env, PATH: '/nonexistent' });
    expect(await g.exited).not.toBe(0);
    expect(g.stderr).toMatch(/--net:service=user for guest ping-serve: passt is not installed/);
    expect(g.stderr).toMatch(/apt install passt/);
    expect(g.stderr).not.toMatch(/\n\s+at /);
  });

  it.skipIf(why !== null)(t('a forwarded port already taken: passt refuses and emon says why'), async () => {
    const port = await freeUdpPort();
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind(port, '127.0.0.1', () => r()));
    const g = emonRun([`--net:service=user,hostfwd=udp:127.0.0.1:${port}-:7`, PING_SERVE]);
    const status = await g.exited;
    holder.close();
    expect(status).not.toBe(0);
    expect(g.stderr).toMatch(/passt exited at start/);
  });
});
