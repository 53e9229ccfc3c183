/**
 * Rootless user-mode networking, `--net:NAME=user[,hostfwd=...]`: emon starts passt (the user-mode network
 * stack podman uses; passt.top) for the NIC and speaks its socket protocol, QEMU's `-netdev stream`: each
 * Ethernet frame on a UNIX stream socket behind a 4-byte big-endian length. passt NATs the guest's outgoing
 * connections through the host's own sockets and binds the `hostfwd` ports on the host, so nothing needs root.
 * The guest gets QEMU's user-network addresses (10.0.2.15/24, gateway 10.0.2.2), by DHCP or statically.
 *
 * Runs on the supervisor's main thread, like ./tunnel.ts. passt never outlives emon: it runs under a small
 * sh guard (GUARD below) that ends it when emon's end of a pipe closes, which the kernel does however emon
 * ends, even by SIGKILL before it has connected (passt's own --one-off only covers a client that came and went,
 * and a parent-death signal would not survive passt dropping root). Its socket's folder is removed as soon as
 * emon is connected.
 *
 * passt dying mid-run does not cost the guest its NIC for good: emon starts a fresh passt with the same
 * forwards and reconnects, up to PASST_RESTARTS times in a run, each after a short back-off, saying so on
 * stderr. Frames the guest sends while passt is away are dropped and counted, as a NIC on an unplugged cable
 * loses them; the guest keeps running either way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EmonError } from '../errors.js';
import { ETHERNET_HEADER, NET_MTU } from './abi.js';
import { signalTaken, TX_QUEUE_FRAMES } from './wake.js';
import type { HostForward } from './netspec.js';
import { deliver, type Endpoint } from './switch.js';

export const USER_NET = { guest: '10.0.2.15', prefix: 24, gateway: '10.0.2.2' } as const;
const CONNECT_TIMEOUT_MS = 5000;
/** How many times in one run emon starts passt again after it died, and the first back-off (doubled each time). */
export const PASST_RESTARTS = 3;
const RESTART_BACKOFF_MS = 100;
/** A length word above this is not a frame: the stream is out of step and the link is dropped. */
const MAX_STREAM_FRAME = 65535;

/**
 * Starts passt with "$@" and waits for it; reads stdin on the side and ends passt at EOF. Then removes the
 * socket's folder $EMON_PASST_DIR (already gone if emon connected) and exits with passt's status (128 + N for
 * signal N), or 127 when there is no passt on PATH.
 */
const GUARD = [
  'command -v passt >/dev/null 2>&1 || exit 127',
  'exec 3<&0',
  'passt "$@" 3<&- &',
  'p=$!',
  '{ read -r _ <&3; kill "$p" 2>/dev/null; } &',
  'r=$!',
  'wait "$p"',
  's=$?',
  'kill "$r" 2>/dev/null',
  'rm -rf -- "$EMON_PASST_DIR"',
  'exit "$s"',
].join('\n');

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return signal;
  if (code !== null && code > 128) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name !== undefined) return name;
  }
  return `status ${code}`;
}

export function passtArgs(socketPath: string, forwards: readonly HostForward[]): string[] {
  const args = ['--foreground', '--quiet', '--one-off', '--ipv4-only', '--socket', socketPath,
    '--address', USER_NET.guest, '--netmask', String(USER_NET.prefix), '--gateway', USER_NET.gateway];
  for (const f of forwards) args.push(f.proto === 'tcp' ? '-t' : '-u', `${f.hostAddr ? `${f.hostAddr}/` : ''}${f.hostPort}:${f.guestPort}`);
  return args;
}

/** One running passt and emon's connection to it. */
interface Passt {
  readonly child: ChildProcess;
  readonly socket: net.Socket;
}

/** Starts passt for one NIC and connects to it; refuses with install advice when passt is missing. */
async function startPasst(where: string, forwards: readonly HostForward[]): Promise<Passt> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emon-passt-'));
  // passt started by root drops to nobody before it binds its socket: let it create the socket here.
  if (process.getuid?.() === 0) chmodSync(dir, 0o1733);
  const socketPath = path.join(dir, 'sock');
  const child = spawn('/bin/sh', ['-c', GUARD, 'passt', ...passtArgs(socketPath, forwards)], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, EMON_PASST_DIR: dir },
  });
  child.stdin!.on('error', () => {});
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const fail = (message: string, hint: string): never => {
    child.stdin!.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw new EmonError('E_NET', `${where}: ${message}`, { hint });
  };
  const spawned = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    child.once('spawn', () => resolve(null));
  });
  const install = 'install passt (Debian/Ubuntu: apt install passt; Fedora: dnf install passt), or attach a TAP with --net:NAME=IFACE';
  if (spawned !== null) return fail(`cannot start passt (${spawned.code ?? spawned.message})`, install);
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode === 127) return fail('passt is not installed', install);
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('syslog')).slice(-2).join('; ');
      return fail(`passt exited at start${why ? `: ${why}` : ''}`, 'check the hostfwd ports are free (ss -ltnu) and that passt runs here (passt --help)');
    }
    const socket = await new Promise<net.Socket | null>((resolve) => {
      const s = net.connect(socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (socket !== null) {
      // passt takes one client (--one-off): the path is not needed again, so nothing is left behind even if
      // emon is killed.
      rmSync(dir, { recursive: true, force: true });
      socket.setNoDelay(true);
      socket.on('error', () => {});
      return { child, socket };
    }
    if (Date.now() > deadline) return fail('passt did not open its socket within 5 s', 'run passt by hand to see why');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stopPasst(p: Passt): void {
  p.socket.destroy();
  p.child.stdin!.destroy();
}

export class PasstLink {
  sent = 0;
  received = 0;
  dropped = 0;
  /** Times passt was started again after it died. */
  restarts = 0;
  private closing = false;
  private passt: Passt | null = null;
  private pending: Buffer = Buffer.alloc(0);
  private retry: NodeJS.Timeout | null = null;

  private constructor(
    private readonly ep: Endpoint,
    private readonly forwards: readonly HostForward[],
    private readonly where: string,
    private readonly log: (line: string) => void,
    first: Passt,
  ) {
    const header = Buffer.alloc(4);
    ep.port.on('message', (frame: unknown) => {
      signalTaken(ep.wake, ep.handle);
      if (!(frame instanceof Uint8Array)) return;
      const socket = this.passt?.socket;
      // No passt (it died and is being restarted, or for good): the frame is lost, as on an unplugged cable.
      if (socket === undefined || socket.destroyed) {
        this.dropped++;
        return;
      }
      // The socket buffers what passt cannot take yet: bound it as the NIC's transmit ring is bounded.
      if (socket.writableLength > TX_QUEUE_FRAMES * (NET_MTU + ETHERNET_HEADER + 4)) return;
      header.writeUInt32BE(frame.length, 0);
      socket.write(Buffer.concat([header, frame]));
      this.sent++;
    });
    this.attach(first);
  }

  private attach(p: Passt): void {
    this.passt = p;
    this.pending = Buffer.alloc(0);
    let seen = false;
    const down = (why: string) => {
      if (seen || this.closing) return;
      seen = true;
      stopPasst(p);
      if (this.passt === p) this.passt = null;
      this.lost(why);
    };
    p.socket.on('data', (chunk: Buffer) => {
      if (this.passt === p) this.take(p.socket, chunk);
    });
    // The socket usually closes a moment before the exit is seen: wait briefly so the message can say why.
    p.socket.on('close', () => {
      if (!seen) setTimeout(() => down('closed its socket'), 300).unref();
    });
    p.child.on('exit', (code, signal) => down(`exited (${exitText(code, signal)})`));
  }

  /** passt is gone (or would not start again): start another after a back-off, while restarts are left. */
  private lost(why: string): void {
    const name = `guest ${this.ep.guest}: passt for net "${this.ep.device}"`;
    if (this.restarts >= PASST_RESTARTS) {
      this.log(`emon: ${name} ${why}; it was restarted ${PASST_RESTARTS} times already, so the NIC stays down and its frames are dropped; the guest goes on`);
      return;
    }
    this.restarts++;
    const delay = RESTART_BACKOFF_MS * 2 ** (this.restarts - 1);
    this.log(`emon: ${name} ${why}; the NIC is down, starting passt again in ${delay} ms (restart ${this.restarts} of ${PASST_RESTARTS}); the guest goes on`);
    this.retry = setTimeout(() => {
      this.retry = null;
      startPasst(this.where, this.forwards).then(
        (p) => {
          if (this.closing) return stopPasst(p);
          this.attach(p);
          this.log(`emon: ${name} is back (restart ${this.restarts}); the NIC is up again`);
        },
        (e: unknown) => {
          if (!this.closing) this.lost(`could not be started again (${e instanceof Error ? e.message.replace(`${this.where}: `, '') : String(e)})`);
        },
      );
    }, delay);
    this.retry.unref();
  }

  private take(socket: net.Socket, chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len > MAX_STREAM_FRAME) {
        socket.destroy();
        return;
      }
      if (buf.length < 4 + len) break;
      if (len < ETHERNET_HEADER || len > NET_MTU + ETHERNET_HEADER) this.dropped++;
      else if (deliver(this.ep, new Uint8Array(buf.subarray(4, 4 + len)))) this.received++;
      else this.dropped++;
      buf = buf.subarray(4 + len);
    }
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  /** Starts passt for one NIC and connects to it; refuses with install advice when passt is missing. */
  static async open(ep: Endpoint, forwards: readonly HostForward[], log: (line: string) => void): Promise<PasstLink> {
    const where = `--net:${ep.device}=user for guest ${ep.guest}`;
    return new PasstLink(ep, forwards, where, log, await startPasst(where, forwards));
  }

  close(): void {
    this.closing = true;
    if (this.retry !== null) clearTimeout(this.retry);
    if (this.passt !== null) stopPasst(this.passt);
    this.passt = null;
    this.ep.port.close();
  }
}
