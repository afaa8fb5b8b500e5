/**
 * A scriptable HTTPS peer for what the real AP never does (several challenges, a list of realms, another
 * nextnonce, a wrong rspauth, auth-int only): each test answers requests itself, with the network side of
 * aka-crypto to make nonces and check credentials. It records every request and the SNI it came with.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generateCertificate } from '@ut-testbed/ap';
import {
  authenticationInfo,
  encodeAkaNonce,
  parseCredentials,
  SqnGenerator,
  verifyCredentials,
  VectorFactory,
  type AuthParams,
  type AuthVector,
  type Qop,
  type Verdict,
} from '@ut-testbed/aka-crypto';

export interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
  servername: string | false;
}

export interface FakeAnswer {
  status: number;
  headers?: [string, string][];
  body?: string;
}

export class FakeAp {
  readonly requests: FakeRequest[] = [];
  readonly certificate: string;
  handler: (r: FakeRequest) => FakeAnswer = () => ({ status: 500 });
  readonly #server: Server;

  private constructor() {
    const c = generateCertificate({
      commonName: 'xcap.home1.net',
      dnsNames: ['xcap.home1.net'],
      ipAddresses: ['127.0.0.1'],
    });
    this.certificate = c.cert;
    this.#server = createServer({ cert: c.cert, key: c.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const r: FakeRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks),
          servername: (req.socket as TLSSocket).servername ?? false,
        };
        this.requests.push(r);
        const a = this.handler(r);
        const body = Buffer.from(a.body ?? '', 'utf8');
        res.writeHead(a.status, [...(a.headers ?? []), ['Content-Length', String(body.length)]].flat());
        res.end(body);
      });
    });
  }

  static async start(): Promise<FakeAp> {
    const ap = new FakeAp();
    await new Promise<void>((resolve) => ap.#server.listen(0, '127.0.0.1', resolve));
    return ap;
  }

  get address(): string {
    const a = this.#server.address() as AddressInfo;
    return `127.0.0.1:${a.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** The network side of Digest AKA for one subscriber: nonces from fresh vectors, credentials checked. */
export class AkaIssuer {
  readonly #factory: VectorFactory;
  readonly #gen = new SqnGenerator(0);
  readonly #issued = new Map<string, AuthVector>();

  constructor(k: string, opc: string, amf = 'b9b9') {
    this.#factory = VectorFactory.forKeys(
      Buffer.from(k, 'hex'),
      Buffer.from(opc, 'hex'),
      Buffer.from(amf, 'hex'),
    );
  }

  nonce(): string {
    const v = this.#factory.one(this.#gen.next(0));
    const n = encodeAkaNonce(v.rand, v.autn);
    this.#issued.set(n, v);
    return n;
  }

  vector(nonce: string): AuthVector {
    const v = this.#issued.get(nonce);
    if (!v) throw new Error('a nonce this issuer did not make');
    return v;
  }

  /** Checks an Authorization against what was issued for its nonce. */
  verify(
    authorization: string,
    o: { algorithm: string; realm: string; qop?: readonly Qop[]; method: string; body?: Buffer },
  ): { verdict: Verdict; creds: AuthParams } {
    const creds = parseCredentials(authorization).params;
    const nonce = creds.get('nonce')!;
    const v = this.vector(nonce);
    const verdict = verifyCredentials(creds, {
      issued: { algorithm: o.algorithm, qop: o.qop ?? ['auth'], realm: o.realm, nonce },
      aka: { res: v.xres, ik: v.ik, ck: v.ck },
      method: o.method,
      ...(o.body ? { body: o.body } : {}),
    });
    return { verdict, creds };
  }

  /** The Authentication-Info for good credentials. */
  info(creds: AuthParams, o: { nextnonce?: string; responseBody?: string } = {}): string {
    const v = this.vector(creds.get('nonce')!);
    return authenticationInfo(creds, {
      aka: { res: v.xres, ik: v.ik, ck: v.ck },
      ...(o.nextnonce ? { nextnonce: o.nextnonce } : {}),
      ...(o.responseBody !== undefined ? { responseBody: o.responseBody } : {}),
    }).toString();
  }
}
