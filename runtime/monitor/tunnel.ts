/**
 * A point-to-point Ethernet link between two emon processes over UDP, `--net:NAME=udp:LOCALPORT:REMOTEHOST:
 * REMOTEPORT`: one raw Ethernet frame per datagram, the encapsulation of QEMU's `-netdev dgram` / `socket,udp=`
 * backends, so an emon NIC can also be joined to such a peer. Datagrams are
 * accepted only from the configured remote address and port; anything else, and anything that is not an
 * Ethernet frame of at most MTU + header bytes, is dropped. Runs on the supervisor's main thread.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { EmonError } from '../errors.js';
import { ETHERNET_HEADER, NET_MTU } from './abi.js';
import { deliver, type Endpoint } from './switch.js';
import { signalTaken, TX_QUEUE_FRAMES } from './wake.js';

export class UdpTunnel {
  private readonly socket: dgram.Socket;
  sent = 0;
  received = 0;
  /** Frames dropped: received with the guest's queue full, or to send with the socket's queue full. */
  dropped = 0;
  private inFlight = 0;

  private constructor(
    private readonly ep: Endpoint,
    socket: dgram.Socket,
    private readonly remoteHost: string,
    private readonly remotePort: number,
  ) {
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== remotePort || rinfo.address !== remoteHost) return;
      if (msg.length < ETHERNET_HEADER || msg.length > NET_MTU + ETHERNET_HEADER) return;
      if (deliver(ep, new Uint8Array(msg))) this.received++;
      else this.dropped++;
    });
    ep.port.on('message', (frame: unknown) => {
      signalTaken(ep.wake, ep.handle);
      if (!(frame instanceof Uint8Array)) return;
      // The socket queues sends the kernel cannot take yet: bound that queue too, dropping as the NIC does.
      if (this.inFlight >= TX_QUEUE_FRAMES) {
        this.dropped++;
        return;
      }
      this.inFlight++;
      this.sent++;
      socket.send(frame, this.remotePort, this.remoteHost, () => this.inFlight--);
    });
  }

  static async open(ep: Endpoint, localPort: number, remoteHost: string, remotePort: number): Promise<UdpTunnel> {
    const v6 = isIP(remoteHost) === 6;
    const socket = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    const loopback = v6 ? remoteHost === '::1' : remoteHost.startsWith('127.');
    const bindAddr = loopback ? remoteHost.startsWith('127.') ? '127.0.0.1' : '::1' : v6 ? '::' : '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) =>
        reject(new EmonError('E_NET', `cannot open UDP port ${bindAddr}:${localPort} for net device "${ep.device}" of guest ${ep.guest}: ${e.code ?? e.message}`, {
          hint: 'pick a free LOCALPORT',
        })),
      );
      socket.bind(localPort, bindAddr, () => resolve());
    });
    socket.removeAllListeners('error');
    socket.on('error', () => {});
    return new UdpTunnel(ep, socket, remoteHost, remotePort);
  }

  /**
   * Closes the link once the datagrams already handed to the socket have left: a guest's last frame (net-ping's
   * "quit") was sent when net_write returned, so closing must not cancel it. Bounded, so a wedged socket cannot
   * hold the process.
   */
  async close(maxMs = 1000): Promise<void> {
    this.ep.port.close();
    const deadline = Date.now() + maxMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    this.socket.close();
  }
}
