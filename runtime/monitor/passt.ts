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

export class PasstLink {
  sent = 0;
  received = 0;
  dropped = 0;
  private closing = false;
  private pending: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly ep: Endpoint,
    private readonly child: ChildProcess,
    private readonly socket: net.Socket,
    log: (line: string) => void,
  ) {
    const header = Buffer.alloc(4);
    ep.port.on('message', (frame: unknown) => {
      signalTaken(ep.wake, ep.handle);
      if (!(frame instanceof Uint8Array) || this.socket.destroyed) return;
      // The socket buffers what passt cannot take yet: bound it as the NIC's transmit ring is bounded.
      if (this.socket.writableLength > TX_QUEUE_FRAMES * (NET_MTU + ETHERNET_HEADER + 4)) return;
      header.writeUInt32BE(frame.length, 0);
      this.socket.write(Buffer.concat([header, frame]));
      this.sent++;
    });
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    const down = (why: string) => {
      if (this.closing) return;
      this.closing = true;
      log(`emon: guest ${ep.guest}: passt for net "${ep.device}" ${why}; the NIC is down and its frames are dropped, the guest goes on`);
      socket.destroy();
    };
    // The socket usually closes a moment before the exit is seen: wait briefly so the message can say why.
    socket.on('close', () => {
      if (this.closing) return;
      setTimeout(() => down('closed its socket'), 300).unref();
    });
    socket.on('error', () => {});
    child.on('exit', (code, signal) => down(`exited (${exitText(code, signal)})`));
  }

  private take(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len > MAX_STREAM_FRAME) {
        this.socket.destroy();
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
        return new PasstLink(ep, child, socket, log);
      }
      if (Date.now() > deadline) return fail('passt did not open its socket within 5 s', 'run passt by hand to see why');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
    this.ep.port.close();
    this.child.stdin!.destroy();
  }
}
