/**
 * `emon verifier serve`: the attestation verifier as an HTTP service (runtime/attest/service.ts), following
 * Veraison's challenge-response API, on loopback unless --host says otherwise.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { defaultVerifierDir } from './attest.js';

function int(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number ${min}..${max}`);
    return n;
  };
}

export function register(program: Command): void {
  const verifier = program.command('verifier').description('the attestation verifier service (EAR results, Veraison API)');
  verifier
    .command('serve')
    .description('serve challenge-response attestation and provisioning over HTTP')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', int(0, 65535), 8443)
    .option('--state <dir>', 'folder for the EAR key and provisioned state (default ~/.emon/verifier)')
    .option('--max-body <bytes>', 'largest request body accepted', int(1024, 16 << 20), 64 * 1024)
    .option('--session-ttl <seconds>', 'how long a session waits for evidence', int(1, 86400), 300)
    .action(async (o: { host: string; port: number; state?: string; maxBody: number; sessionTtl: number }) => {
      const { VerifierService } = await import('../../attest/service.js');
      const svc = await VerifierService.create({ stateDir: o.state ?? defaultVerifierDir(), host: o.host, port: o.port, maxBody: o.maxBody, sessionTtl: o.sessionTtl });
      const a = await svc.listen();
      console.log(`emon verifier listening on http://${a.host}:${a.port} (state ${svc.store.dir})`);
      await new Promise<void>((resolve) => {
        const stop = (): void => void svc.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
