/**
 * Guest NICs on host TAP interfaces (`--net:NAME=IFACE`, runtime/monitor/tun.ts and devices/tap-nic.ts),
 * through the real `emon run` and the kernel's own ARP and ping: each test makes its own network namespace
 * with TAP interfaces in it and sends traffic only to the guest's address inside that namespace. Needs root,
 * /dev/net/tun, iproute2, ping and the built ping-serve guest; without them every test here reports itself
 * skipped with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildTunHelper, EMON_CLI, hostNetUnavailable, NetNs, parsePing, PING_SERVE, PING_SERVE_DUAL, TUN_HELPER, type NsProcess } from '../../bench/netns.js';

const why = hostNetUnavailable();
const t = (title: string) => (why === null ? title : `${title} -- SKIPPED: ${why}`);
if (why !== null) console.warn(`tests/monitor/tap.test.ts: TAP tests skipped: ${why}`);

/** Why a private mount namespace (to hide or replace /dev/net/tun for one process) cannot be made, or null. */
function mountNsUnavailable(): string | null {
  if (why !== null) return why;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (r.error !== undefined) return 'unshare not installed (apt install util-linux)';
  return r.status === 0 ? null : `cannot create a mount namespace: ${r.stderr.trim()}`;
}
const whyMnt = mountNsUnavailable();
const tm = (title: string) => (whyMnt === null ? title : `${title} -- SKIPPED: ${whyMnt}`);
if (why === null && whyMnt !== null) console.warn(`tests/monitor/tap.test.ts: /dev/net/tun permission tests skipped: ${whyMnt}`);

let spaces: NetNs[] = [];
afterEach(() => {
  for (const ns of spaces) ns.destroy();
  spaces = [];
});

function netns(tag: string): NetNs {
  const ns = new NetNs(tag);
  spaces.push(ns);
  return ns;
}

/** A namespace with tap0 at 10.0.0.1/24 and ping-serve answering for 10.0.0.2 on it. */
async function responder(extra: readonly string[] = [], cmdline = '10.0.0.2'): Promise<{ ns: NetNs; guest: NsProcess }> {
  const ns = netns('tap');
  ns.addTap('tap0', '10.0.0.1/24');
  const guest = ns.emon(['--timeout=60', '-v', ...extra, '--net:service=tap0', PING_SERVE, '--', ...cmdline.split(' ')]);
  const up = await ns.waitForPing('10.0.0.2');
  expect(up, `guest did not answer ping\n${guest.stdout}\n${guest.stderr}`).toBe(true);
  return { ns, guest };
}

/** Waits until the guest printed `text` (it has acquired its NICs), for at most `ms`. */
async function printed(g: NsProcess, text: string, ms = 20_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!g.stdout.includes(text) && g.child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return g.stdout.includes(text);
}

async function stop(g: NsProcess): Promise<number> {
  g.child.kill('SIGTERM');
  return g.exited;
}

describe('TAP interfaces (--net:NAME=IFACE)', () => {
  it.skipIf(why !== null)(t('ARP: the host learns the guest MAC given by --net-mac'), async () => {
    const { ns, guest } = await responder(['--net-mac:service=02:00:00:00:12:34']);
    const neigh = ns.run('ip', 'neigh', 'show', '10.0.0.2', 'dev', 'tap0');
    expect(neigh).toContain('02:00:00:00:12:34');
    expect(guest.stdout).toContain('ping-serve: service MAC 02:00:00:00:12:34 IP 10.0.0.2');
    await stop(guest);
  });

  it.skipIf(why !== null)(t('ICMP echo under flood: ping -f of 5000 echoes loses none'), async () => {
    const { ns, guest } = await responder();
    const r = ns.try('ping', '-f', '-q', '-c', '5000', '10.0.0.2');
    const p = parsePing(r.stdout);
    expect(p, r.stdout + r.stderr).not.toBeNull();
    expect(p!.sent).toBe(5000);
    expect(p!.received).toBe(5000);
    await stop(guest);
  });

  it.skipIf(why !== null)(t('frames at the MTU: 1472-byte pings (1514-byte frames) with DF set come back whole'), async () => {
    const { ns, guest } = await responder();
    const r = ns.try('ping', '-q', '-c', '50', '-i', '0.002', '-s', '1472', '-M', 'do', '10.0.0.2');
    expect(parsePing(r.stdout)?.received, r.stdout + r.stderr).toBe(50);
    // One byte more does not fit the TAP's MTU: the host refuses it before it reaches the guest.
    expect(ns.try('ping', '-c', '1', '-s', '1473', '-M', 'do', '10.0.0.2').status).not.toBe(0);
    await stop(guest);
  });

  it.skipIf(why !== null)(t('a frame larger than the MTU from the host is dropped and counted; the guest goes on'), async () => {
    const ns = netns('mtu');
    ns.addTap('tap0', '10.0.0.1/24', 9000);
    ns.run('ip', 'neigh', 'add', '10.0.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'tap0');
    // The guest ends after its 3rd answer, so emon reports its counters as it exits.
    const guest = ns.emon(['--timeout=60', '--net-mac:service=02:00:00:00:00:02', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2', '3']);
    expect(await printed(guest, 'IP 10.0.0.2'), guest.stderr).toBe(true);
    const big = ns.try('ping', '-c', '3', '-i', '0.05', '-W', '1', '-s', '4000', '-M', 'do', '10.0.0.2');
    expect(parsePing(big.stdout)?.received).toBe(0);
    expect(parsePing(ns.try('ping', '-c', '3', '-i', '0.2', '-W', '5', '10.0.0.2').stdout)?.received).toBe(3);
    expect(await guest.exited, guest.stderr).toBe(0);
    expect(guest.stderr).toMatch(/dropped 3 frames from the host longer than MTU 1500/);
  });

  it.skipIf(why !== null || !existsSync(PING_SERVE_DUAL))(t('a guest with two NICs answers on both TAPs'), async () => {
    const ns = netns('dual');
    ns.addTap('tap0', '10.0.0.1/24');
    ns.addTap('tap1', '10.0.1.1/24');
    const guest = ns.emon(['--timeout=60', '--net:service0=tap0', '--net:service1=tap1', PING_SERVE_DUAL, '--', '10.0.0.2', '10.0.1.2']);
    expect(await ns.waitForPing('10.0.0.2'), guest.stdout + guest.stderr).toBe(true);
    for (const addr of ['10.0.0.2', '10.0.1.2']) {
      expect(parsePing(ns.try('ping', '-f', '-q', '-c', '1000', addr).stdout)?.received).toBe(1000);
    }
    // Each answer leaves by the NIC its request came in on: the neighbours are learned on the right TAP.
    const mac0 = /service0 MAC ([0-9a-f:]{17})/.exec(guest.stdout)![1]!;
    const mac1 = /service1 MAC ([0-9a-f:]{17})/.exec(guest.stdout)![1]!;
    expect(mac0).not.toBe(mac1);
    expect(ns.run('ip', 'neigh', 'show', '10.0.0.2', 'dev', 'tap0')).toContain(mac0);
    expect(ns.run('ip', 'neigh', 'show', '10.0.1.2', 'dev', 'tap1')).toContain(mac1);
    await stop(guest);
  });

  it.skipIf(why !== null || !existsSync(PING_SERVE_DUAL))(t('a guest with a TAP and a switch NIC: the TAP is served at full rate while yield also watches the switch'), async () => {
    const ns = netns('mixed');
    ns.addTap('tap0', '10.0.0.1/24');
    const guest = ns.emon(['--timeout=60', '--net:service0=tap0', '--net:service1=switch:sw0', PING_SERVE_DUAL, '--', '10.0.0.2', '10.0.1.2']);
    expect(await ns.waitForPing('10.0.0.2'), guest.stdout + guest.stderr).toBe(true);
    expect(parsePing(ns.try('ping', '-f', '-q', '-c', '2000', '10.0.0.2').stdout)?.received).toBe(2000);
    await stop(guest);
  });

  it.skipIf(why !== null)(t('the guest exits while a flood is under way; the TAP is released and can be attached again'), async () => {
    const ns = netns('exit');
    ns.addTap('tap0', '10.0.0.1/24');
    const guest = ns.emon(['--timeout=60', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2', '2000']);
    expect(await ns.waitForPing('10.0.0.2'), guest.stdout + guest.stderr).toBe(true);
    const flood = ns.try('ping', '-f', '-q', '-c', '20000', '-w', '10', '10.0.0.2');
    expect(await guest.exited, guest.stderr).toBe(0);
    expect(guest.stdout).toMatch(/answered 2000 echoes/);
    const p = parsePing(flood.stdout);
    // Echoes answered while waitForPing waited for the guest count towards its 2000 too.
    expect(p!.received).toBeGreaterThanOrEqual(1990);
    expect(p!.received).toBeLessThan(p!.sent);
    // The interface is the user's: still there after emon, and free for the next guest.
    expect(ns.run('ip', 'link', 'show', 'tap0')).toContain('tap0');
    const again = ns.emon(['--timeout=60', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2', '3']);
    expect(await ns.waitForPing('10.0.0.2'), again.stdout + again.stderr).toBe(true);
    ns.try('ping', '-c', '3', '-i', '0.05', '10.0.0.2');
    expect(await again.exited, again.stderr).toBe(0);
  });

  it.skipIf(why !== null)(t('a guest flooding the TAP: every frame reaches the kernel, which drops what it cannot use; emon stays well'), async () => {
    const ns = netns('flood');
    ns.addTap('tap0', '10.0.0.1/24');
    const guest = ns.emon(['--timeout=60', '-v', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2', 'flood=50000']);
    expect(await guest.exited, guest.stderr).toBe(0);
    expect(guest.stdout).toContain('ping-serve: flooded 50000 frames, 0 refused');
    expect(guest.stderr).toContain('TAP tap0: 0 frames received, 50000 sent');
    const stats = JSON.parse(ns.run('ip', '-j', '-s', 'link', 'show', 'tap0')) as [{ stats64: { rx: { packets: number; bytes: number } } }];
    expect(stats[0].stats64.rx.packets).toBe(50000);
    expect(stats[0].stats64.rx.bytes).toBe(50000 * 1514);
  });

  it.skipIf(why !== null)(t('a guest writing to a TAP that is down: the kernel refuses, emon drops and counts, the guest goes on'), async () => {
    const ns = netns('down');
    ns.run('ip', 'tuntap', 'add', 'tap0', 'mode', 'tap');
    const guest = ns.emon(['--timeout=60', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2', 'flood=1000']);
    expect(await guest.exited, guest.stderr).toBe(0);
    expect(guest.stdout).toContain('flooded 1000 frames, 0 refused');
    expect(guest.stderr).toMatch(/the kernel refused 1000 frames from the guest \(interface down or its queue full\); they were dropped/);
  });

  it.skipIf(why !== null)(t('the TAP taken down and up again: the NIC comes back and the guest answers again'), async () => {
    const { ns, guest } = await responder();
    ns.run('ip', 'link', 'set', 'tap0', 'down');
    expect(parsePing(ns.try('ping', '-c', '2', '-i', '0.1', '-W', '1', '10.0.0.2').stdout)?.received ?? 0).toBe(0);
    ns.run('ip', 'addr', 'flush', 'dev', 'tap0');
    ns.run('ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'tap0');
    ns.run('ip', 'link', 'set', 'tap0', 'up');
    expect(await ns.waitForPing('10.0.0.2'), guest.stderr).toBe(true);
    expect(parsePing(ns.try('ping', '-f', '-q', '-c', '1000', '10.0.0.2').stdout)?.received).toBe(1000);
    await stop(guest);
  });

  it.skipIf(why !== null)(t('the TAP deleted under a running guest takes the NIC down; the guest runs on'), async () => {
    const ns = netns('gone');
    ns.addTap('tap0', '10.0.0.1/24');
    const guest = ns.emon(['--timeout=8', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2']);
    expect(await ns.waitForPing('10.0.0.2'), guest.stderr).toBe(true);
    ns.run('ip', 'link', 'del', 'tap0');
    // Ended by --timeout, so it ran on without its NIC (and did not spin: it still answers the stop).
    expect(await guest.exited, guest.stderr).toBe(124);
    expect(guest.stderr).toMatch(/TAP tap0 went away while the guest ran/);
  });
});

describe('TAP interfaces: bad input', () => {
  it.skipIf(why !== null)(t('an interface that does not exist: says so, with the switch: form as a hint'), async () => {
    const ns = netns('bad');
    const g = ns.emon(['--net:service=sw0', PING_SERVE]);
    expect(await g.exited).not.toBe(0);
    expect(g.stderr).toMatch(/there is no host interface "sw0"/);
    expect(g.stderr).toMatch(/--net:service=switch:sw0/);
    expect(g.stderr).not.toMatch(/\n\s+at /);
  });

  it.skipIf(why !== null)(t('an interface that is not a TAP (loopback, a TUN) is refused by name'), async () => {
    const ns = netns('bad');
    ns.run('ip', 'tuntap', 'add', 'tun0', 'mode', 'tun');
    const lo = ns.emon(['--net:service=lo', PING_SERVE]);
    expect(await lo.exited).not.toBe(0);
    expect(lo.stderr).toMatch(/"lo" is not a TAP interface/);
    const tun = ns.emon(['--net:service=tun0', PING_SERVE]);
    expect(await tun.exited).not.toBe(0);
    expect(tun.stderr).toMatch(/"tun0" is not a TAP interface \(it is a TUN/);
  });

  it.skipIf(why !== null)(t('a TAP in use by another emon is refused as busy'), async () => {
    const { ns, guest } = await responder();
    const second = ns.emon(['--net:service=tap0', PING_SERVE]);
    expect(await second.exited).not.toBe(0);
    expect(second.stderr).toMatch(/cannot attach TAP interface "tap0" \(EBUSY\)/);
    expect(second.stderr).toMatch(/another process/);
    // The first guest is untouched.
    expect(parsePing(ns.try('ping', '-c', '2', '-i', '0.05', '10.0.0.2').stdout)?.received).toBe(2);
    await stop(guest);
  });

  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, EMON_CLI, 'run'];

  it.skipIf(why !== null)(t('no permission: a user who does not own the TAP is told how to get one'), async () => {
    const ns = netns('perm');
    ns.run('ip', 'tuntap', 'add', 'tap0', 'mode', 'tap', 'user', '0');
    const g = ns.spawn([...asNobody, '--net:service=tap0', PING_SERVE]);
    expect(await g.exited).not.toBe(0);
    expect(g.stderr).toMatch(/cannot attach TAP interface "tap0" \(EPERM\)/);
    expect(g.stderr).toMatch(/ip tuntap add tap0 mode tap user \$USER/);
  });

  // The test's own mount namespace (unshare --mount) puts something else at /dev/net/tun for one emon only.
  const scratch: string[] = [];
  afterEach(() => {
    for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(whyMnt !== null)(tm('no permission on /dev/net/tun (a 0600 node): the user is told to use root, a TAP of their own or --net:NAME=user'), async () => {
    const ns = netns('tunperm');
    ns.addTap('tap0', '10.0.0.1/24');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'emon-tunperm-'));
    scratch.push(dir);
    const node = path.join(dir, 'tun');
    const hostMode = statSync('/dev/net/tun').mode & 0o777;
    // The same character device (10, 200) as the real /dev/net/tun, but only root may open it.
    const script = `mknod -m 0600 "$1" c 10 200 && mount --bind "$1" /dev/net/tun && shift && exec "$@"`;
    const g = ns.spawn(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', node, ...asNobody, '--net:service=tap0', PING_SERVE]);
    expect(await g.exited, g.stderr).not.toBe(0);
    expect(g.stderr).toMatch(/--net:service=tap0 for guest ping-serve: cannot open \/dev\/net\/tun \(EACCES\)/);
    expect(g.stderr).toMatch(/run as root, give the TAP to your user \(ip tuntap add NAME mode tap user \$USER\), or use --net:NAME=user/);
    expect(g.stderr).not.toMatch(/\n\s+at /);
    // Only that process saw the 0600 node: the host's /dev/net/tun is as it was.
    expect(statSync('/dev/net/tun').mode & 0o777).toBe(hostMode);
  });

  it.skipIf(whyMnt !== null)(tm('no /dev/net/tun at all (tun module not loaded): the hint says modprobe tun'), async () => {
    const ns = netns('notun');
    ns.addTap('tap0', '10.0.0.1/24');
    const g = ns.spawn(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /dev/net && exec "$@"', 'sh',
      process.execPath, EMON_CLI, 'run', '--net:service=tap0', PING_SERVE]);
    expect(await g.exited, g.stderr).not.toBe(0);
    expect(g.stderr).toMatch(/cannot open \/dev\/net\/tun \(ENOENT\)/);
    expect(g.stderr).toMatch(/modprobe tun/);
  });

  it.skipIf(why !== null)(t('without root: a TAP given to the user (ip tuntap ... user UID) is attached'), async () => {
    const ns = netns('rootless');
    ns.run('ip', 'tuntap', 'add', 'tap0', 'mode', 'tap', 'user', '65534');
    ns.run('ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'tap0');
    ns.run('ip', 'link', 'set', 'tap0', 'up');
    const g = ns.spawn([...asNobody, '--timeout=60', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2', '5']);
    expect(await ns.waitForPing('10.0.0.2'), g.stdout + g.stderr).toBe(true);
    ns.try('ping', '-c', '5', '-i', '0.05', '10.0.0.2');
    expect(await g.exited, g.stderr).toBe(0);
  });
});

describe('TAP through the TUNSETIFF-only helper (EMON_TUN_HELPER, the design measured against the addon)', () => {
  const whyHelper = why ?? buildTunHelper();
  const th = (title: string) => (whyHelper === null ? title : `${title} -- SKIPPED: ${whyHelper}`);

  it.skipIf(whyHelper !== null)(th('the helper attaches the TAP and Node\'s fs calls carry a flood of 1000 pings without loss'), async () => {
    const ns = netns('helper');
    ns.addTap('tap0', '10.0.0.1/24');
    const guest = ns.emon(['--timeout=60', '-v', '--net:service=tap0', PING_SERVE, '--', '10.0.0.2'], { ...process.env, EMON_TUN_HELPER: TUN_HELPER });
    expect(await ns.waitForPing('10.0.0.2'), guest.stdout + guest.stderr).toBe(true);
    expect(parsePing(ns.try('ping', '-f', '-q', '-c', '1000', '10.0.0.2').stdout)?.received).toBe(1000);
    // The helper's refusals come back as the addon's do: a second attach of the same TAP is busy.
    const second = ns.emon(['--net:service=tap0', PING_SERVE], { ...process.env, EMON_TUN_HELPER: TUN_HELPER });
    expect(await second.exited).not.toBe(0);
    expect(second.stderr).toMatch(/cannot attach TAP interface "tap0" \(EBUSY\)/);
    await stop(guest);
  });

  it.skipIf(why !== null)(t('EMON_TUN_HELPER naming no executable is refused with what to do'), async () => {
    const ns = netns('helperbad');
    ns.addTap('tap0', '10.0.0.1/24');
    const g = ns.emon(['--net:service=tap0', PING_SERVE], { ...process.env, EMON_TUN_HELPER: '/nonexistent/tunsetiff' });
    expect(await g.exited).not.toBe(0);
    expect(g.stderr).toMatch(/EMON_TUN_HELPER=\/nonexistent\/tunsetiff is not an executable/);
    expect(g.stderr).toMatch(/unset EMON_TUN_HELPER to use the TAP addon/);
    expect(g.stderr).not.toMatch(/\n\s+at /);
  });
});
