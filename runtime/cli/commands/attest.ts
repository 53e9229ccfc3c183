/**
 * `emon attest`: remote attestation from the command line. `fetch` makes evidence on this platform (an SGX quote
 * from the attester enclave through the quoting enclave, or a PSA token of the simulated device) bound to a
 * nonce and the enclave's key; `show` prints what evidence says; `verify` appraises evidence offline, including
 * raw evidence made elsewhere (a DCAP quote with --root and Intel collateral, a TF-M token with --key);
 * `collateral` writes the simulated manufacturer's root, TCB info and QE identity; `check-ear` verifies an EAR.
 * The engine is runtime/attest/engine.ts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EmonError } from '../../errors.js';
import { fileErrorReason, readRegularFile } from '../../files.js';

const MAX_INPUT = 1 << 20;

function readInput(file: string, what: string): Buffer {
  try {
    return readRegularFile(file, undefined, MAX_INPUT);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'EFBIG' ? `${fileErrorReason(e)} for attestation inputs` : fileErrorReason(e);
    throw new EmonError('E_NO_FILE', `cannot read ${what} ${file}: ${why}`, { hint: 'check the path' });
  }
}

const hexArg = (n: number) => (v: string): Uint8Array => {
  if (!new RegExp(`^[0-9a-fA-F]{${n * 2}}$`).test(v)) throw new InvalidArgumentError(`expected ${n * 2} hex digits`);
  return new Uint8Array(Buffer.from(v, 'hex'));
};

type EvidenceKind = 'sgx-quote' | 'psa-token';

function sniff(bytes: Uint8Array, file: string): EvidenceKind {
  if (bytes.length >= 4 && bytes[0] === 3 && bytes[1] === 0 && bytes[2] === 2 && bytes[3] === 0) return 'sgx-quote';
  if (bytes.length > 0 && (bytes[0] === 0xd2 || bytes[0] === 0x84)) return 'psa-token';
  throw new EmonError('E_ATTEST_MALFORMED', `${file} is neither an SGX quote v3 (03 00 02 00 ...) nor a PSA token (COSE_Sign1)`, { hint: 'say which it is with --type sgx-quote|psa-token' });
}

function kindArg(v: string): EvidenceKind {
  if (v !== 'sgx-quote' && v !== 'psa-token') throw new InvalidArgumentError('expected sgx-quote or psa-token');
  return v;
}

interface VerifyOpts {
  type?: EvidenceKind;
  policy?: string;
  reference?: string;
  root?: string[];
  key?: string;
  instanceId?: string;
  pckCert?: string;
  pckChain?: string;
  tcbInfo?: string;
  tcbChain?: string;
  qeIdentity?: string;
  nonce?: Uint8Array;
  boundKey?: string;
  json?: boolean;
  ear?: string;
  verifierDir?: string;
}

const text = (f: string | undefined, what: string): string | undefined => (f === undefined ? undefined : readInput(f, what).toString('utf8'));

async function verify(file: string, o: VerifyOpts): Promise<void> {
  const { appraise, pemP256Point } = await import('../../attest/engine.js');
  const { DEFAULT_POLICY, loadPolicy, parseReferenceValues } = await import('../../attest/policy.js');
  const bytes = new Uint8Array(readInput(file, 'evidence'));
  const type = o.type ?? sniff(bytes, file);
  let psaDevices: Array<{ instanceId: string; key: string }> = [];
  if (o.key) {
    const pem = text(o.key, 'device key')!;
    if (!pemP256Point(pem)) throw new EmonError('E_ATTEST_KEY', `${o.key} is not a P-256 public key in PEM`, { hint: 'give the device public key as SPKI PEM (-----BEGIN PUBLIC KEY-----)' });
    if (type === 'psa-token') {
      const { parsePsaToken } = await import('../../attest/psa/token.js');
      let instanceId = '';
      try {
        instanceId = Buffer.from(parsePsaToken(bytes).claims.instanceId).toString('hex');
      } catch {
        // the appraisal names the parse failure
      }
      // With --instance-id the key is endorsed for that device only; a token of another instance is unknown.
      psaDevices = [{ instanceId: o.instanceId?.toLowerCase() ?? instanceId, key: pem }];
    }
  }
  let references = { sgx: [], psa: [] } as ReturnType<typeof parseReferenceValues>;
  if (o.reference) {
    let j: unknown;
    try {
      j = JSON.parse(text(o.reference, 'reference values')!);
    } catch (e) {
      throw new EmonError('E_ATTEST_REFERENCE_VALUES', `${o.reference} is not JSON: ${(e as Error).message}`, { hint: 'see docs/attestation.md for the reference value format' });
    }
    references = parseReferenceValues(j, o.reference);
  }
  let boundKey: Uint8Array | undefined;
  if (o.boundKey) boundKey = /^[0-9a-fA-F]+$/.test(o.boundKey) && o.boundKey.length % 2 === 0 ? new Uint8Array(Buffer.from(o.boundKey, 'hex')) : new Uint8Array(readInput(o.boundKey, 'bound key'));
  if (type === 'sgx-quote' && !o.root?.length) {
    throw new EmonError('E_ATTEST_CHAIN', 'verifying an SGX quote needs the manufacturer root certificate', { hint: 'pass --root root-ca.pem (emon attest collateral writes the simulated one)' });
  }
  if (type === 'psa-token' && !o.key) {
    throw new EmonError('E_ATTEST_UNKNOWN_KEY', 'verifying a PSA token needs the device public key', { hint: 'pass --key device-public.pem' });
  }
  const appraisal = await appraise(
    { type, bytes, ...(boundKey ? { key: boundKey } : {}) },
    {
      endorsements: {
        sgxRoots: (o.root ?? []).map((r) => text(r, 'root certificate')!),
        psaDevices,
        ...(o.pckCert ? { pckCert: text(o.pckCert, 'PCK certificate')! } : {}),
        ...(o.pckChain ? { pckChain: text(o.pckChain, 'PCK chain')! } : {}),
        ...(o.tcbInfo ? { tcbInfo: text(o.tcbInfo, 'TCB info')! } : {}),
        ...(o.tcbChain ? { tcbChain: text(o.tcbChain, 'TCB signing chain')! } : {}),
        ...(o.qeIdentity ? { qeIdentity: text(o.qeIdentity, 'QE identity')! } : {}),
      },
      references,
      policy: o.policy ? loadPolicy(o.policy) : DEFAULT_POLICY,
      ...(o.nonce ? { nonce: o.nonce } : {}),
    },
  );
  if (o.ear) {
    const { EarSigner } = await import('../../attest/ear.js');
    const signer = await EarSigner.open(o.verifierDir ?? defaultVerifierDir());
    writeFileSync(o.ear, (await signer.sign(appraisal, o.nonce)) + '\n');
  }
  if (o.json) console.log(JSON.stringify(appraisal, null, 2));
  else {
    console.log(`${appraisal.scheme} evidence ${file}: ${appraisal.status}`);
    for (const [k, v] of Object.entries(appraisal.trustVector)) if (v !== 0) console.log(`  ${k.padEnd(18)} ${v}`);
    for (const [k, v] of Object.entries(appraisal.claims)) console.log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  if (appraisal.status === 'contraindicated') {
    const first = appraisal.reasons[0];
    throw new EmonError(first?.code ?? 'E_ATTEST_REFUSED', `evidence refused: ${appraisal.reasons.map((r) => `${r.code}: ${r.detail}`).join('; ') || 'contraindicated'}`, {
      hint: 'the evidence cannot be trusted under this policy; see docs/attestation.md for each reason',
    });
  }
}

export function defaultVerifierDir(): string {
  return process.env['EMON_VERIFIER_DIR'] || path.join(process.env['HOME'] ?? '.', '.emon', 'verifier');
}

async function show(file: string, o: { type?: EvidenceKind; json?: boolean }): Promise<void> {
  const bytes = new Uint8Array(readInput(file, 'evidence'));
  const type = o.type ?? sniff(bytes, file);
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  let out: Record<string, unknown>;
  if (type === 'sgx-quote') {
    const { parseQuote } = await import('../../attest/sgx/quote.js');
    const q = parseQuote(bytes);
    out = {
      type,
      version: q.header.version,
      attestationKeyType: q.header.attKeyType,
      qeSvn: q.header.qeSvn,
      pceSvn: q.header.pceSvn,
      qeVendorId: hex(q.header.qeVendorId),
      cpuSvn: hex(q.body.cpuSvn),
      mrenclave: hex(q.body.mrenclave),
      mrsigner: hex(q.body.mrsigner),
      isvProdId: q.body.isvProdId,
      isvSvn: q.body.isvSvn,
      debug: (q.body.attributes & 2n) !== 0n,
      reportData: hex(q.body.reportData),
      qeMrenclave: hex(q.qeReport.mrenclave),
      certificationDataType: q.certType,
      certificationDataBytes: q.certData.length,
    };
  } else {
    const { parsePsaToken } = await import('../../attest/psa/token.js');
    const { lifecycleName } = await import('../../hw/psa/claims.js');
    const c = parsePsaToken(bytes).claims;
    out = {
      type,
      profile: c.profile,
      nonce: hex(c.nonce),
      instanceId: hex(c.instanceId),
      implementationId: hex(c.implementationId),
      bootSeed: hex(c.bootSeed),
      lifecycle: lifecycleName(c.lifecycle),
      clientId: c.clientId,
      swComponents: c.swComponents.map((s) => ({ type: s.measurementType, measurement: hex(s.measurementValue), signer: hex(s.signerId), version: s.version })),
    };
  }
  if (o.json) console.log(JSON.stringify(out, null, 2));
  else for (const [k, v] of Object.entries(out)) console.log(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
}

interface FetchOpts {
  type: EvidenceKind;
  nonce?: Uint8Array;
  out: string;
  enclave?: string;
  measure?: string[];
  stateDir?: string;
  caDir?: string;
}

async function fetchEvidence(o: FetchOpts): Promise<void> {
  const { loadPlatform, defaultStateDir } = await import('../../hw/sgx/platform.js');
  const platform = loadPlatform(o.stateDir ?? defaultStateDir());
  const nonce = o.nonce ?? new Uint8Array(randomBytes(32));
  const { buildDir } = await import('../../paths.js');
  const enclaveFile = o.enclave ?? path.join(buildDir, 'enclaves', 'attester.wasm');
  const { HostEnclave } = await import('../../attest/host-enclave.js');
  const attester = HostEnclave.load('attester', enclaveFile, platform);
  if (!attester.image.iface.trusted.some((f) => f.name === 'att_evidence')) {
    throw new EmonError('E_ATTEST_ENCLAVE', `${enclaveFile} does not implement the attester interface (att_evidence)`, { hint: 'use an enclave built from enclaves/attester/attester.edl' });
  }
  let bytes: Uint8Array;
  let pub: Uint8Array;
  if (o.type === 'sgx-quote') {
    const { Manufacturer, defaultCaDir } = await import('../../attest/sgx/manufacturer.js');
    const { QuoteGenerator } = await import('../../attest/sgx/quote-gen.js');
    const gen = QuoteGenerator.open(platform, await Manufacturer.open(o.caDir ?? defaultCaDir()));
    const { outs } = attester.call('att_evidence', [nonce, gen.targetInfo(), { out: 32 }, { out: 208 }]);
    pub = outs[0]!;
    bytes = await gen.quote(outs[1]!);
  } else {
    // The simulated TrustZone device: its PSA token binds the nonce and the attester's key, and measures the given files.
    const { psaIssuer } = await import('../../hw/psa/token.js');
    const { LIFECYCLE } = await import('../../hw/psa/claims.js');
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const { outs } = attester.call('att_evidence', [nonce, new Uint8Array(64), { out: 32 }, { out: 208 }]);
    pub = outs[0]!;
    const files = o.measure?.length ? o.measure : [enclaveFile];
    const issuer = psaIssuer(platform.sealRoot);
    bytes = issuer.issue({
      nonce: new Uint8Array([...nonce, ...sha256(pub)]),
      implementationId: sha256(new TextEncoder().encode('emon simulated TrustZone board v1')),
      bootSeed: sha256(new Uint8Array([...platform.reportRoot, ...new TextEncoder().encode('boot seed')])),
      lifecycle: LIFECYCLE.secured,
      clientId: 1,
      swComponents: files.map((f) => ({ measurementType: path.basename(f), measurementValue: sha256(readInput(f, 'component')), signerId: new Uint8Array(32) })),
    });
  }
  writeFileSync(o.out, bytes);
  writeFileSync(`${o.out}.key`, Buffer.from(pub).toString('hex') + '\n');
  console.log(`${o.type} written to ${o.out} (${bytes.length} bytes); nonce ${Buffer.from(nonce).toString('hex')}; enclave key ${Buffer.from(pub).toString('hex')} in ${o.out}.key`);
}

async function collateral(o: { out: string; caDir?: string; stateDir?: string }): Promise<void> {
  const { Manufacturer, defaultCaDir } = await import('../../attest/sgx/manufacturer.js');
  const m = await Manufacturer.open(o.caDir ?? defaultCaDir());
  const { QE_FILE } = await import('../../attest/sgx/quote-gen.js');
  const { loadEnclaveImage } = await import('../../enclave/host.js');
  const qe = loadEnclaveImage('quoting', QE_FILE, null).enclave.identity;
  const { loadPlatform, defaultStateDir } = await import('../../hw/sgx/platform.js');
  const { psaIssuer } = await import('../../hw/psa/token.js');
  const { createPublicKey } = await import('node:crypto');
  const dev = psaIssuer(loadPlatform(o.stateDir ?? defaultStateDir()).sealRoot);
  const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  const devPem = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(dev.publicKey.subarray(1, 33)), y: b64u(dev.publicKey.subarray(33)) }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
  mkdirSync(o.out, { recursive: true });
  const files: Array<[string, string]> = [
    ['root-ca.pem', m.rootPem()],
    ['tcb-info.json', await m.tcbInfo()],
    ['tcb-chain.pem', m.tcbIssuerChainPem()],
    ['qe-identity.json', await m.qeIdentity(qe.mrsigner, qe.isvProdId, qe.isvSvn)],
    ['psa-device.pem', devPem],
    ['psa-device.id', Buffer.from(dev.instanceId).toString('hex') + '\n'],
  ];
  for (const [name, body] of files) writeFileSync(path.join(o.out, name), body);
  console.log(`wrote ${files.map(([n]) => n).join(', ')} to ${o.out}`);
}

export function register(program: Command): void {
  const attest = program.command('attest').description('remote attestation: fetch, show and verify SGX quotes and PSA tokens');

  attest
    .command('fetch')
    .description('make evidence on this platform bound to a nonce and the attester enclave’s key')
    .option('--type <type>', 'sgx-quote or psa-token', kindArg, 'sgx-quote')
    .option('--nonce <hex>', 'the verifier’s 32-byte nonce (random if absent)', hexArg(32))
    .option('-o, --out <file>', 'where to write the evidence (the key goes to FILE.key)', 'evidence.bin')
    .option('--enclave <file>', 'attester enclave (default build/enclaves/attester.wasm)')
    .option('--measure <file...>', 'PSA: files measured as software components (default: the enclave)')
    .option('--state-dir <dir>', 'platform state directory')
    .option('--ca-dir <dir>', 'simulated manufacturer folder (default ~/.emon/manufacturer)')
    .action(async (o: FetchOpts) => fetchEvidence(o));

  attest
    .command('show')
    .description('print the claims of an SGX quote or PSA token without verifying it')
    .argument('<evidence>', 'quote or token file')
    .option('--type <type>', 'sgx-quote or psa-token (guessed from the bytes otherwise)', kindArg)
    .option('--json', 'print JSON')
    .action(async (file: string, o: { type?: EvidenceKind; json?: boolean }) => show(file, o));

  attest
    .command('verify')
    .description('appraise evidence offline; exits 1 with the reason when it is refused')
    .argument('<evidence>', 'SGX quote (Intel quote v3) or PSA token (COSE_Sign1)')
    .option('--type <type>', 'sgx-quote or psa-token (guessed from the bytes otherwise)', kindArg)
    .option('--policy <file>', 'appraisal policy JSON (default: production policy)')
    .option('--reference <file>', 'reference values JSON')
    .option('--root <pem...>', 'SGX: trusted root CA certificate(s)')
    .option('--key <pem>', 'PSA: the device’s public attestation key')
    .option('--instance-id <hex>', 'PSA: the instance ID (UEID, 66 hex digits) the --key belongs to', (v: string) => {
      if (!/^[0-9a-fA-F]{66}$/.test(v)) throw new InvalidArgumentError('expected 66 hex digits (a 33-byte UEID)');
      return v;
    })
    .option('--pck-cert <pem>', 'SGX: PCK certificate (instead of the quote’s certification data)')
    .option('--pck-chain <pem>', 'SGX: PCK issuer chain (platform CA, root)')
    .option('--tcb-info <json>', 'SGX: TCB info as Intel’s PCS serves it')
    .option('--tcb-chain <pem>', 'SGX: TCB signing chain (TCB-Info-Issuer-Chain)')
    .option('--qe-identity <json>', 'SGX: QE identity as Intel’s PCS serves it')
    .option('--nonce <hex>', 'the nonce the evidence must carry', hexArg(32))
    .option('--bound-key <hex|file>', 'the public key the evidence must bind (fetch writes it to FILE.key)')
    .option('--json', 'print the appraisal as JSON')
    .option('--ear <file>', 'also write the EAR (JWT) signed by the verifier key')
    .option('--verifier-dir <dir>', 'verifier state folder holding the EAR key (default ~/.emon/verifier)')
    .action(async (file: string, o: VerifyOpts) => {
      if (o.boundKey) {
        const k = o.boundKey.trim();
        o.boundKey = /^[0-9a-fA-F]{64}$/.test(k) ? k : readInput(k, 'bound key').toString('utf8').trim();
      }
      await verify(file, o);
    });

  attest
    .command('collateral')
    .description('write the simulated manufacturer’s root CA, TCB info, TCB chain, QE identity and this platform’s PSA device key')
    .option('-o, --out <dir>', 'output folder', 'collateral')
    .option('--ca-dir <dir>', 'simulated manufacturer folder (default ~/.emon/manufacturer)')
    .option('--state-dir <dir>', 'platform state directory')
    .action(async (o: { out: string; caDir?: string; stateDir?: string }) => collateral(o));

  attest
    .command('check-ear')
    .description('verify an EAR (JWT) with the verifier’s public key and print its claims')
    .argument('<ear>', 'file holding the JWT')
    .option('--verifier-dir <dir>', 'verifier state folder (its EAR key)')
    .action(async (file: string, o: { verifierDir?: string }) => {
      const { EarSigner, verifyEar } = await import('../../attest/ear.js');
      const signer = await EarSigner.open(o.verifierDir ?? defaultVerifierDir());
      console.log(JSON.stringify(await verifyEar(readInput(file, 'EAR').toString('utf8').trim(), signer.publicJwk), null, 2));
    });
}
