/**
 * The UE's HTTP client on Ut (TS 24.109 5.2, TS 24.623 5.2.1): requests to the XCAP root through the
 * Authentication Proxy over one kept-alive HTTPS connection with TLS sessions resumed, authenticated with
 * HTTP Digest AKA answered by the USIM, acting for a public identity other than the default with
 * X-3GPP-Intended-Identity. One request at a time, as a phone's Ut stack does; each answer says which
 * exchanges it took, on which connection, whether that connection resumed a session, and whether rspauth
 * was verified. A 401 is answered at most `maxChallenges` times per request; whatever comes then (a 401,
 * 403, 5xx ...) is returned to the caller. A wrong rspauth or a malformed challenge is thrown.
 *
 * Not implemented: GBA on Ua (TS 24.109 5.2.1), Basic or password Digest, redirects, request pipelining.
 */
import { parseChallenges, type Challenge, type Qop } from '@ut-testbed/aka-crypto';
import type { Tracer } from '@ut-testbed/trace';
import { quirksProfile, type QuirksName, type QuirksProfile } from '../quirks';
import type { UsimModel } from '../usim/usim-model';
import {
  DigestAkaClient,
  DigestAkaError,
  type AkaAlgorithmName,
  type Credentials,
  type CredentialsKind,
  type NonceInfo,
} from './digest-aka-client';
import { HttpsConnection, type ExchangeResult, type TlsVersion } from './https-connection';
import { intendedIdentityFor } from './intended-identity';

export const DEFAULT_PRODUCT = 'ut-testbed-ue/0.1';

export interface UtClientOptions {
  /** the server as addressed: `https://xcap.home1.net:8443` (a path is ignored) or `host:port` */
  ap: string | URL;
  /** the TCP target when it is not the server's host and port: `host:port` (like curl --connect-to) */
  connectTo?: string;
  /** trust anchors, PEM: e.g. the AP's generated certificate (`ApService.certificate`) */
  ca?: string | Buffer | (string | Buffer)[];
  impi: string;
  /** the user's public identities; the first is the default one (no X-3GPP-Intended-Identity for it) */
  impus?: string[];
  usim: UsimModel;
  /** realm of the IMS initial Authorization (default: the IMPI's domain) */
  realm?: string;
  /** default AKAv2-MD5, then AKAv1-MD5 */
  algorithmPreference?: AkaAlgorithmName[];
  quirks?: QuirksName | QuirksProfile;
  /** send the IMS initial Authorization (username, empty nonce and response) when no nonce is known */
  initialAuthorization?: boolean;
  /**
   * when to send credentials for the nonce in use without being challenged: on `every-request` (RFC 7616
   * 3.4, what AOSP does: the same nonce with a rising nc), or only on a `new-connection` (the AP binds the
   * authentication to the TLS connection)
   */
  reuseNonce?: 'every-request' | 'new-connection';
  /** answer with this qop when offered */
  qop?: Qop;
  /** 401s answered per request (default 3: a resync takes 2) */
  maxChallenges?: number;
  /** product token of User-Agent (the android profile appends `3gpp-gba`) */
  userAgent?: string;
  tls?: { minVersion?: TlsVersion; maxVersion?: TlsVersion };
  timeoutMs?: number;
  maxBodyBytes?: number;
  /** records each exchange as a Ut event (cleartext, from the UE's side) */
  tracer?: Tracer;
  /** cnonce source (default 16 random octets, hex) */
  cnonce?: () => string;
}

export interface UtRequestOptions {
  body?: string | Buffer;
  /** Content-Type */
  type?: string;
  /** more headers, written after the UE's own */
  headers?: Record<string, string> | [string, string][];
  /** the public identity the request acts for (default: the first IMPU) */
  identity?: string;
  /**
   * when X-3GPP-Intended-Identity names it: only when it is not the default identity (default), or
   * `always` (a URI without an XUI, e.g. the global tree, tells the AP nobody to authenticate)
   */
  nameIdentity?: 'if-not-default' | 'always';
}

export interface UtExchange {
  status: number;
  /** the Authorization this exchange carried */
  credentials: CredentialsKind;
  /** a 401 with stale=true */
  stale?: boolean;
  newConnection: boolean;
  tlsResumed: boolean;
  connectionId: number;
}

export interface UtResponse {
  status: number;
  statusMessage: string;
  headers: ExchangeResult['headers'];
  body: Buffer;
  /** the body as UTF-8 */
  text: string;
  /** the connection that carried the final answer resumed an earlier TLS session */
  tlsResumed: boolean;
  /** the final answer came on a connection opened for it */
  newConnection: boolean;
  connectionId: number;
  tlsProtocol: string | null;
  /** every HTTP exchange this request took, in order */
  exchanges: UtExchange[];
  /** rspauth of the final answer: verified, absent, or no credentials were checked */
  rspauth: 'verified' | 'absent' | 'none';
}

/** A response the client refuses to believe (wrong rspauth) or could not answer (bad challenge). */
export class UtAuthError extends DigestAkaError {
  override name = 'UtAuthError';
  constructor(
    cause: DigestAkaError,
    readonly response: UtResponse,
  ) {
    super(cause.code, cause.message);
  }
}

function parseHostPort(v: string, what: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new RangeError(`${what} must be host:port, got "${v}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class UtClient {
  readonly #o: UtClientOptions;
  readonly #quirks: QuirksProfile;
  readonly #digest: DigestAkaClient;
  readonly #conn: HttpsConnection;
  readonly host: string;
  readonly port: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: UtClientOptions) {
    this.#o = o;
    this.#quirks = quirksProfile(o.quirks);
    if (o.ap instanceof URL || /^https?:\/\//i.test(o.ap)) {
      const u = o.ap instanceof URL ? o.ap : new URL(o.ap);
      if (u.protocol !== 'https:') throw new RangeError('Ut runs over https');
      this.host = u.hostname.replace(/^\[|\]$/g, '');
      this.port = u.port === '' ? 443 : Number(u.port);
    } else {
      ({ host: this.host, port: this.port } = parseHostPort(o.ap, 'ap'));
    }
    this.#digest = new DigestAkaClient({
      impi: o.impi,
      usim: o.usim,
      quirks: this.#quirks,
      ...(o.realm !== undefined ? { realm: o.realm } : {}),
      ...(o.algorithmPreference ? { algorithmPreference: o.algorithmPreference } : {}),
      ...(o.qop ? { qop: o.qop } : {}),
      ...(o.cnonce ? { cnonce: o.cnonce } : {}),
    });
    this.#conn = new HttpsConnection({
      host: this.host,
      port: this.port,
      ...(o.connectTo !== undefined ? { connectTo: parseHostPort(o.connectTo, 'connectTo') } : {}),
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.tls?.minVersion ? { minVersion: o.tls.minVersion } : {}),
      ...(o.tls?.maxVersion ? { maxVersion: o.tls.maxVersion } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.maxBodyBytes !== undefined ? { maxBodyBytes: o.maxBodyBytes } : {}),
      ...(o.tracer ? { tracer: o.tracer } : {}),
    });
  }

  get quirks(): QuirksProfile {
    return this.#quirks;
  }

  /** The default public identity. */
  get defaultIdentity(): string | undefined {
    return this.#o.impus?.[0];
  }

  /** The nonce in use (no secrets). */
  get nonce(): NonceInfo | undefined {
    return this.#digest.nonce;
  }

  /** TLS connections opened so far. */
  get connections(): number {
    return this.#conn.connections;
  }

  /** `scheme://host[:port]` of the server as addressed. */
  get origin(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `https://${h}${this.port === 443 ? '' : `:${this.port}`}`;
  }

  /** One request, with as many exchanges as authentication takes. */
  request(method: string, path: string, o: UtRequestOptions = {}): Promise<UtResponse> {
    return this.#enqueue(() => this.#run(method, path, o));
  }

  /** Runs `f` after whatever was asked before it: one thing at a time on the connection. */
  #enqueue<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #target(path: string): string {
    if (/^https?:\/\//i.test(path)) {
      const u = new URL(path);
      const mine = new URL(this.origin);
      if (u.protocol !== mine.protocol || u.host !== mine.host)
        throw new RangeError(`${u.origin} is not the server this client talks to (${this.origin})`);
      return u.pathname + u.search;
    }
    if (!path.startsWith('/')) throw new RangeError(`a request path starts with "/": "${path}"`);
    return path;
  }

  #headers(method: string, o: UtRequestOptions, body: Buffer, auth: Credentials): [string, string][] {
    const headers: [string, string][] = [
      ['Host', new URL(this.origin).host],
      ['User-Agent', this.#quirks.userAgent(this.#o.userAgent ?? DEFAULT_PRODUCT)],
      ...this.#quirks.extraHeaders(method),
    ];
    const intended = intendedIdentityFor(
      o.identity,
      o.nameIdentity === 'always' ? undefined : this.defaultIdentity,
    );
    if (intended !== undefined)
      headers.push(['X-3GPP-Intended-Identity', this.#quirks.intendedIdentity(intended)]);
    if (auth.header !== undefined) headers.push(['Authorization', auth.header]);
    if (o.type !== undefined) headers.push(['Content-Type', o.type]);
    const extra = Array.isArray(o.headers) ? o.headers : Object.entries(o.headers ?? {});
    const taken = new Set(headers.map(([k]) => k.toLowerCase()));
    for (const [k, v] of extra) {
      if (['host', 'content-length', 'connection'].includes(k.toLowerCase()))
        throw new RangeError(`${k} is written by the client`);
      if (taken.has(k.toLowerCase())) {
        // the caller's value replaces the client's (e.g. a test sending its own Authorization)
        const i = headers.findIndex(([n]) => n.toLowerCase() === k.toLowerCase());
        headers[i] = [k, v];
      } else headers.push([k, v]);
    }
    if (body.length > 0 || method === 'PUT' || method === 'POST')
      headers.push(['Content-Length', String(body.length)]);
    headers.push(['Connection', 'keep-alive']);
    return headers;
  }

  async #run(method: string, path: string, o: UtRequestOptions): Promise<UtResponse> {
    const target = this.#target(path);
    const body = typeof o.body === 'string' ? Buffer.from(o.body, 'utf8') : (o.body ?? Buffer.alloc(0));
    const exchanges: UtExchange[] = [];
    const reuse = this.#o.reuseNonce ?? 'every-request';
    const fresh = this.#conn.socket === undefined || this.#conn.socket.destroyed;
    let auth: Credentials =
      reuse === 'new-connection' && !fresh && this.#digest.nonce
        ? { kind: 'none' }
        : this.#digest.preemptive(method, target, body, this.#o.initialAuthorization ?? false);
    const maxChallenges = this.#o.maxChallenges ?? 3;
    let answered = 0;
    for (;;) {
      const r = await this.#conn.exchange({
        method,
        target,
        headers: this.#headers(method, o, body, auth),
        body,
      });
      const ex: UtExchange = {
        status: r.status,
        credentials: auth.kind,
        newConnection: r.newConnection,
        tlsResumed: r.tlsResumed,
        connectionId: r.connectionId,
      };
      exchanges.push(ex);
      const response = (rspauth: UtResponse['rspauth']): UtResponse => ({
        status: r.status,
        statusMessage: r.statusMessage,
        headers: r.headers,
        body: r.body,
        text: r.body.toString('utf8'),
        tlsResumed: r.tlsResumed,
        newConnection: r.newConnection,
        connectionId: r.connectionId,
        tlsProtocol: r.tlsProtocol,
        exchanges,
        rspauth,
      });
      if (r.status === 401) {
        const values = r.headersDistinct['www-authenticate'] ?? [];
        let challenges: Challenge[] = [];
        try {
          for (const v of values) challenges = challenges.concat(parseChallenges(v));
        } catch (e) {
          throw new UtAuthError(new DigestAkaError('bad-challenge', (e as Error).message), response('none'));
        }
        const ch = this.#digest.choose(challenges);
        if (ch && /^true$/i.test(ch.params.get('stale') ?? '')) ex.stale = true;
        if (!ch || answered >= maxChallenges) return response('none');
        answered++;
        try {
          auth = this.#digest.answer(ch, method, target, body);
        } catch (e) {
          if (e instanceof DigestAkaError) throw new UtAuthError(e, response('none'));
          throw e;
        }
        continue;
      }
      let rspauth: UtResponse['rspauth'] = 'none';
      const info = r.headersDistinct['authentication-info'];
      if (info && info.length > 0 && auth.header !== undefined) {
        try {
          rspauth = this.#digest.onAuthenticationInfo(auth, info.join(', '), r.body);
        } catch (e) {
          if (e instanceof DigestAkaError) throw new UtAuthError(e, response('none'));
          throw e;
        }
      } else if (auth.kind === 'answer' || auth.kind === 'reuse' || auth.kind === 'nextnonce') {
        rspauth = 'absent';
      }
      return response(rspauth);
    }
  }

  /** Ends the connection (close_notify); the TLS session stays cached for the next one to resume. */
  disconnect(): Promise<void> {
    return this.#enqueue(() => this.#conn.disconnect());
  }

  /** Ends the connection and forgets TLS sessions: the next connection makes a full handshake. */
  forgetSessions(): Promise<void> {
    return this.#enqueue(() => this.#conn.forgetSessions());
  }

  /** Forgets the nonce in use: the next request starts authentication from the beginning. */
  forgetNonce(): void {
    this.#digest.reset();
  }

  close(): void {
    this.#conn.close();
  }

  /** Logs see where the client talks to and its nonce state, never the USIM's keys or results. */
  toJSON(): object {
    return { origin: this.origin, impi: this.#o.impi, quirks: this.#quirks.name, ...this.#digest.toJSON() };
  }
}
