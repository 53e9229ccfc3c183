/**
 * The demo's host-network step: the ping-serve example on a rootless user-mode network (`--net:service=user,
 * hostfwd=udp:127.0.0.1:PORT-:7`, passt), reached from the host the way a user would reach a unikernel
 * service: a UDP datagram to the forwarded port on 127.0.0.1 comes back echoed by the guest. Without passt the
 * step says how to install it and is skipped.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildDir } from '../../paths.js';
import { runGuests } from '../../monitor/supervisor.js';
import type { DemoStep } from './demo.js';

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export const hostNetStep: DemoStep = {
  title: 'host network',
  explain: 'A C unikernel on a rootless user-mode network (passt): the host sends a UDP datagram to a forwarded port and the guest echoes it.',
  async run(ctx) {
    if (!existsSync(path.join(buildDir, 'guests', 'ping-serve.wasm'))) {
      console.log('(skipped: clang/wasm-ld were not installed when the guests were built)');
      return true;
    }
    if (spawnSync('which', ['passt'], { stdio: 'ignore' }).status !== 0) {
      console.log('(skipped: passt is not installed; apt install passt)');
      return true;
    }
    const port = await freePort();
    console.log(`emon run --net:service=user,hostfwd=udp:127.0.0.1:${port}-:7 build/guests/ping-serve.wasm 10.0.2.15 1`);
    const guest = runGuests(
      [ctx.launch(ctx.guest('ping-serve'), { attachments: new Map([['net', new Map([['service', `user,hostfwd=udp:127.0.0.1:${port}-:7`]])]]), cmdline: '10.0.2.15 1' })],
      { options: {}, timeoutS: 20 },
    );
    const sock = dgram.createSocket('udp4');
    const echo = await new Promise<string | null>((resolve) => {
      const again = setInterval(() => sock.send('hello, unikernel', port, '127.0.0.1'), 250);
      const give = setTimeout(() => { clearInterval(again); resolve(null); }, 15_000);
      sock.on('message', (m) => { clearInterval(again); clearTimeout(give); resolve(m.toString()); });
    });
    sock.close();
    console.log(echo === null ? 'host: no echo came back' : `host: sent "hello, unikernel" to 127.0.0.1:${port}, got back "${echo}"`);
    const results = await guest;
    return echo === 'hello, unikernel' && results.every((r) => r.status === 0);
  },
};
