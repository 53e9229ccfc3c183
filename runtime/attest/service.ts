/**
 * `emon verifier serve`: the verifier as an HTTP service following Veraison's challenge-response API
 * (veraison/docs, "Challenge/Response API": POST /challenge-response/v1/newSession creates a session holding a
 * server nonce, evidence is POSTed to /challenge-response/v1/session/{id}, the answer carries the EAR), its
 * discovery endpoint (/.well-known/veraison/verification, with the EAR verification key), and provisioning
 * endpoints for endorsements, reference values and policy. It listens on loopback unless told otherwise, limits
 * request bodies, expires sessions, and makes every nonce itself: a client-supplied nonce is refused. Errors are
 * problem details (RFC 9457); no request can make it throw.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { EmonError } from '../errors.js';
import { EarSigner, EAR_MEDIA_TYPE } from './ear.js';
import { appraise, MEDIA_TYPES, type EvidenceType } from './engine.js';
import { parsePolicy, parseReferenceValues } from './policy.js';
import { parseEndorsements, VerifierStore } from './store.js';

export const EVIDENCE_ENVELOPE = 'application/vnd.emon.evidence+json';
const BASE = '/challenge-response/v1';
const PROV = '/endorsement-provisioning/v1';

export interface ServiceOptions {
  readonly stateDir: string;
  readonly host?: string;
  readonly port?: number;
  /** Largest request body accepted (bytes). */
  readonly maxBody?: number;
  /** Seconds a session waits for evidence. */
  readonly sessionTtl?: number;
  readonly maxSessions?: number;
  readonly now?: () => number;
}

interface Session {
  readonly id: string;
  readonly nonce: Uint8Array;
  readonly expiry: number;
  status: 'waiting' | 'complete' | 'failed';
  evidence?: { type: string; value: string };
  result?: string;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly title: string, detail: string) {
    super(detail);
  }
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export class VerifierService {
  readonly store: VerifierStore;
  private readonly sessions = new Map<string, Session>();
  private server: Server | null = null;
  private readonly maxBody: number;
  private readonly ttl: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  private constructor(readonly options: ServiceOptions, readonly signer: EarSigner) {
    this.store = new VerifierStore(options.stateDir);
    this.maxBody = options.maxBody ?? 64 * 1024;
    this.ttl = (options.sessionTtl ?? 300) * 1000;
    this.maxSessions = options.maxSessions ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  static async create(options: ServiceOptions): Promise<VerifierService> {
    return new VerifierService(options, await EarSigner.open(options.stateDir));
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }> {
    const host = this.options.host ?? '127.0.0.1';
    this.server = createServer((req, res) => void this.handle(req, res));
    return new Promise((resolve, reject) => {
      this.server!.once('error', (e: NodeJS.ErrnoException) =>
        reject(new EmonError('E_VERIFIER_LISTEN', `cannot listen on ${host}:${this.options.port ?? 0}: ${e.code ?? e.message}`, { hint: 'choose another --port, or stop the process holding it' })),
      );
      this.server!.listen(this.options.port ?? 0, host, () => {
        const a = this.server!.address();
        resolve({ host, port: typeof a === 'object' && a ? a.port : 0 });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private expire(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) if (s.expiry < t) this.sessions.delete(id);
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody) throw new HttpError(413, 'request too large', `the body is ${declared} bytes; this verifier accepts at most ${this.maxBody}`);
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > this.maxBody) throw new HttpError(413, 'request too large', `the body exceeds ${this.maxBody} bytes`);
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  private async json(req: IncomingMessage): Promise<unknown> {
    const b = await this.body(req);
    try {
      return JSON.parse(b.toString('utf8')) as unknown;
    } catch (e) {
      throw new HttpError(400, 'malformed JSON', (e as Error).message);
    }
  }

  private view(s: Session): Record<string, unknown> {
    return {
      nonce: b64(s.nonce),
      expiry: new Date(s.expiry).toISOString(),
      accept: [...Object.values(MEDIA_TYPES), EVIDENCE_ENVELOPE],
      status: s.status,
      ...(s.evidence ? { evidence: s.evidence } : {}),
      ...(s.result ? { result: s.result } : {}),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, type = 'application/json', headers: Record<string, string> = {}): void => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      const url = new URL(req.url ?? '/', 'http://verifier');
      const route = `${req.method ?? 'GET'} ${url.pathname}`;
      this.expire();
      if (route === 'GET /.well-known/veraison/verification') {
        return send(200, { 'ear-verification-key': this.signer.publicJwk, 'media-types': [...Object.values(MEDIA_TYPES), EVIDENCE_ENVELOPE], 'service-state': 'READY', version: 'emon 0.1.0' });
      }
      if (route === `POST ${BASE}/newSession`) {
        if (url.searchParams.has('nonce')) throw new HttpError(400, 'client nonce refused', 'this verifier makes its own nonces; do not send nonce=');
        const size = Number(url.searchParams.get('nonceSize') ?? 32);
        if (size !== 32) throw new HttpError(400, 'unsupported nonce size', 'nonceSize must be 32 (the size evidence binds)');
        await this.body(req);
        if (this.sessions.size >= this.maxSessions) throw new HttpError(503, 'too many sessions', `at most ${this.maxSessions} sessions may wait at once; try again later`);
        const s: Session = { id: randomUUID(), nonce: new Uint8Array(randomBytes(32)), expiry: this.now() + this.ttl, status: 'waiting' };
        this.sessions.set(s.id, s);
        return send(201, this.view(s), 'application/vnd.veraison.challenge-response-session+json', { location: `session/${s.id}` });
      }
      const sm = /^\/challenge-response\/v1\/session\/([0-9a-f-]{36})$/.exec(url.pathname);
      if (sm) {
        const s = this.sessions.get(sm[1]!);
        if (!s) throw new HttpError(404, 'no such session', 'the session does not exist or has expired; start a new one');
        if (req.method === 'GET') return send(200, this.view(s), 'application/vnd.veraison.challenge-response-session+json');
        if (req.method === 'DELETE') {
          this.sessions.delete(s.id);
          return send(204, '');
        }
        if (req.method !== 'POST') throw new HttpError(405, 'method not allowed', 'use GET, POST or DELETE on a session');
        if (s.status !== 'waiting') throw new HttpError(409, 'session already used', 'each session takes one piece of evidence; start a new one');
        const { type, bytes, key } = await this.evidence(req);
        const p = this.store.get();
        const appraisal = await appraise({ type, bytes, ...(key ? { key } : {}) }, { ...p, nonce: s.nonce });
        s.status = 'complete';
        s.evidence = { type: MEDIA_TYPES[type], value: b64(bytes) };
        s.result = await this.signer.sign(appraisal, s.nonce);
        return send(200, { ...this.view(s), appraisal: { status: appraisal.status, reasons: appraisal.reasons } }, 'application/vnd.veraison.challenge-response-session+json');
      }
      if (route === `POST ${PROV}/endorsements`) {
        this.store.addEndorsements(parseEndorsements(await this.json(req)));
        return send(200, { status: 'success' });
      }
      if (route === `POST ${PROV}/reference-values`) {
        this.store.addReferences(parseReferenceValues(await this.json(req)));
        return send(200, { status: 'success' });
      }
      if (route === `PUT ${PROV}/policy`) {
        this.store.setPolicy(parsePolicy(await this.json(req)));
        return send(200, { status: 'success' });
      }
      throw new HttpError(404, 'not found', `no endpoint ${route}`);
    } catch (e) {
      if (e instanceof HttpError) return send(e.status, { type: 'about:blank', title: e.title, status: e.status, detail: e.message }, 'application/problem+json');
      if (e instanceof EmonError) return send(400, { type: 'about:blank', title: e.code, status: 400, detail: e.message, code: e.code }, 'application/problem+json');
      return send(500, { type: 'about:blank', title: 'internal error', status: 500, detail: 'the verifier failed on this request' }, 'application/problem+json');
    }
  }

  private async evidence(req: IncomingMessage): Promise<{ type: EvidenceType; bytes: Uint8Array; key?: Uint8Array }> {
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (ct === EVIDENCE_ENVELOPE) {
      const j = (await this.json(req)) as Record<string, unknown> | null;
      const type = j?.['type'];
      if (type !== 'sgx-quote' && type !== 'psa-token') throw new HttpError(400, 'bad evidence', '"type" must be sgx-quote or psa-token');
      if (typeof j!['evidence'] !== 'string') throw new HttpError(400, 'bad evidence', '"evidence" must be base64 text');
      if (j!['key'] !== undefined && typeof j!['key'] !== 'string') throw new HttpError(400, 'bad evidence', '"key" must be base64 text');
      return {
        type,
        bytes: new Uint8Array(Buffer.from(j!['evidence'] as string, 'base64')),
        ...(typeof j!['key'] === 'string' ? { key: new Uint8Array(Buffer.from(j!['key'], 'base64')) } : {}),
      };
    }
    const type = (Object.entries(MEDIA_TYPES) as Array<[EvidenceType, string]>).find(([, m]) => m === ct)?.[0];
    if (!type) throw new HttpError(415, 'unsupported media type', `evidence must be one of ${[...Object.values(MEDIA_TYPES), EVIDENCE_ENVELOPE].join(', ')}`);
    return { type, bytes: new Uint8Array(await this.body(req)) };
  }
}

export { EAR_MEDIA_TYPE };
