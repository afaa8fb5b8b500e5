/**
 * HTTP Digest AKA at the AP (RFC 3310 AKAv1-MD5, RFC 4169 AKAv2-MD5; TS 24.109 section 7 and Annex A; TS
 * 33.222 Annex D), one decision per request:
 *
 * - no credentials: the public identity (X-3GPP-Intended-Identity, else the XUI of the XCAP URI) gives the
 *   IMPI through Sh UDR (IMSPrivateUserIdentity); an initial `Authorization` with an empty nonce and
 *   response names the IMPI itself (the IMS way). Then Cx MAR, and 401 with nonce = base64(RAND || AUTN).
 *   A public identity or IMPI the HSS does not know, or that do not belong together: 403.
 * - a connection already authenticated: the request passes (credentials for the same IMPI included);
 * - credentials for a nonce we issued: the response checked against XRES (AKAv1: the raw XRES is the
 *   password; AKAv2: base64 HMAC-MD5 over XRES || IK || CK), the nonce count above every count accepted
 *   before (no replay; counts hashed as received, so Android's decimal counts work), then the request goes on
 *   with Authentication-Info (rspauth, nextnonce = the same nonce: a new one would need a new vector and a
 *   new run of AKA on the USIM). An expired nonce with a good response: 401 stale=true with a fresh vector.
 * - `auts` (the USIM found the SQN out of range; the response is computed with an empty password, RFC 3310
 *   3.4): MAR with SIP-Authorization = RAND || AUTS, and a new challenge. RFC 4169 (AKAv2) defines its
 *   synchronisation failure by reference to RFC 3310 3.4, so the same empty password is used there.
 * - an empty response without `auts` (the USIM rejected AUTN: the network failed to authenticate): 403.
 * - a wrong response: a new challenge, until `maxFailures` wrong responses in a row: 403.
 */
import {
  AuthHeaderError,
  encodeAkaNonce,
  formatChallenge,
  parseCredentials,
  paramsFor,
  authenticationInfo,
  verifyCredentials,
  type AuthParams,
  type Qop,
} from '@ut-testbed/aka-crypto';
import { HssUnavailable, type MarResult } from '../hss/hss-client';
import { sameIdentity } from '../identity';
import { NonceStoreUnavailable, type NonceRecord, type NonceStore } from './nonce-store';

export type DigestAkaAlgorithm = 'AKAv1-MD5' | 'AKAv2-MD5';

/** What the HSS is asked; a test may put its own behind it. */
export interface HssPort {
  mar(i: { impi: string; impu: string; scheme: string; resync?: Buffer }): Promise<MarResult>;
  impiOf(impu: string): Promise<string | undefined>;
}

/** An authenticated user, as bound to a TLS connection. */
export interface Binding {
  impi: string;
  impus: string[];
  /** the public identity the vector was asked for */
  impu: string;
}

export type FailureReason =
  | 'no-identity'
  | 'unknown-user'
  | 'identities-dont-match'
  | 'scheme-not-supported'
  | 'rejected'
  | 'wrong-response'
  | 'too-many-failures'
  | 'replay'
  | 'network-not-authenticated'
  | 'resync-failed'
  | 'foreign-identity'
  | 'bad-credentials';

export type ChallengeReason = 'initial' | 'stale' | 'resync' | 'retry' | 'unknown-nonce';

export type Decision =
  | { kind: 'pass'; binding: Binding; asserted: string; authenticationInfo?: string; fresh: boolean }
  | { kind: 'challenge'; reason: ChallengeReason; wwwAuthenticate: string; failure?: FailureReason }
  | { kind: 'deny'; status: 400 | 403; reason: FailureReason; phrase: string }
  | { kind: 'unavailable'; reason: 'hss-unavailable' | 'store-unavailable'; phrase: string };

export interface AuthRequest {
  method: string;
  /** the request-target as received */
  url: string;
  authorization?: string | undefined;
  /** X-3GPP-Intended-Identity, parsed */
  intended?: string | undefined;
  /** the XUI of the XCAP URI */
  xui?: string | undefined;
  body: Buffer;
}

export interface AuthenticatorOptions {
  hss: HssPort;
  nonces: NonceStore;
  realm: string;
  algorithm: DigestAkaAlgorithm;
  now?: () => number;
  /** how long a nonce is good for (default 5 minutes); it is remembered twice as long, to answer stale=true */
  nonceLifetimeMs?: number;
  /** wrong responses in a row before 403 (default 3) */
  maxFailures?: number;
}

const QOP_OFFERED: readonly Qop[] = ['auth', 'auth-int'];

const deny = (status: 400 | 403, reason: FailureReason, phrase: string): Decision => ({
  kind: 'deny',
  status,
  reason,
  phrase,
});

export class Authenticator {
  private readonly now: () => number;
  private readonly lifetime: number;
  private readonly maxFailures: number;

  constructor(private readonly o: AuthenticatorOptions) {
    this.now = o.now ?? Date.now;
    this.lifetime = o.nonceLifetimeMs ?? 300_000;
    this.maxFailures = o.maxFailures ?? 3;
  }

  /** The decision for a request; `bound` is the user already authenticated on its connection, if any. */
  async decide(req: AuthRequest, bound: Binding | undefined): Promise<Decision> {
    try {
      return await this.decideOrThrow(req, bound);
    } catch (e) {
      if (e instanceof HssUnavailable)
        return { kind: 'unavailable', reason: 'hss-unavailable', phrase: e.message };
      if (e instanceof NonceStoreUnavailable) {
        return { kind: 'unavailable', reason: 'store-unavailable', phrase: e.message };
      }
      if (e instanceof AuthHeaderError) return deny(400, 'bad-credentials', e.message);
      throw e;
    }
  }

  private async decideOrThrow(req: AuthRequest, bound: Binding | undefined): Promise<Decision> {
    const creds = req.authorization !== undefined ? digestCredentials(req.authorization) : undefined;
    if (!creds) {
      if (bound) return this.pass(bound, req, undefined, false);
      const impu = req.intended ?? req.xui;
      if (!impu) return deny(403, 'no-identity', 'the request names no public identity to authenticate');
      const impi = await this.o.hss.impiOf(impu);
      if (!impi) return deny(403, 'unknown-user', `${impu} is not known to the HSS`);
      return this.challenge({ impi, impu, failures: 0, reason: 'initial' });
    }
    const username = creds.get('username');
    // on the TLS connection the user authenticated on, credentials it sends again (some phones repeat the
    // same Authorization, count and all) need no check: the connection is the proof
    if (bound && username === bound.impi) return this.pass(bound, req, undefined, false);
    const nonce = creds.get('nonce');
    const response = creds.get('response');
    if (username === undefined || nonce === undefined)
      throw new AuthHeaderError('credentials lack username or nonce');
    if (creds.get('uri') !== undefined && creds.get('uri') !== req.url) {
      throw new AuthHeaderError('the uri of the credentials is not the request-target');
    }
    const impu = req.intended ?? req.xui ?? bound?.impu;
    if (nonce === '') {
      // the IMS initial request: the UE names its IMPI, there is nothing to check yet
      if (!impu) return deny(403, 'no-identity', 'the request names no public identity to authenticate');
      return this.challenge({ impi: username, impu, failures: 0, reason: 'initial' });
    }
    const rec = await this.o.nonces.get(nonce);
    if (!rec || rec.impi !== username) {
      if (!impu) return deny(403, 'no-identity', 'the request names no public identity to authenticate');
      return this.challenge({ impi: username, impu, failures: 0, reason: 'unknown-nonce' });
    }
    if ((response ?? '') === '' && !creds.has('auts')) {
      await this.o.nonces.delete(nonce);
      return deny(
        403,
        'network-not-authenticated',
        'the UE did not accept the network (no response, no auts)',
      );
    }
    const verdict = verifyCredentials(creds, {
      issued: { algorithm: rec.algorithm, qop: QOP_OFFERED, realm: this.o.realm, nonce },
      aka: { res: hex(rec.xres), ck: hex(rec.ck), ik: hex(rec.ik) },
      method: req.method,
      body: req.body,
    });
    if (verdict.kind === 'resync') {
      await this.o.nonces.delete(nonce);
      const resync = Buffer.concat([hex(rec.rand), verdict.auts]);
      return this.challenge({
        impi: rec.impi,
        impu: rec.impu,
        failures: rec.failures,
        reason: 'resync',
        resync,
      });
    }
    if (verdict.kind === 'failed') {
      await this.o.nonces.delete(nonce);
      const failures = rec.failures + 1;
      if (failures >= this.maxFailures) {
        return deny(403, 'too-many-failures', `${failures} wrong responses for ${rec.impi}`);
      }
      return this.challenge({
        impi: rec.impi,
        impu: rec.impu,
        failures,
        reason: 'retry',
        failure: 'wrong-response',
      });
    }
    if (rec.expiresAt <= this.now()) {
      await this.o.nonces.delete(nonce);
      return this.challenge({ impi: rec.impi, impu: rec.impu, failures: 0, reason: 'stale', stale: true });
    }
    const nc = parseInt(creds.get('nc') ?? '', 16);
    if (!Number.isFinite(nc) || !(await this.o.nonces.acceptCount(nonce, nc))) {
      // a count seen before: whoever sent it gets a fresh challenge, never the request through
      return this.challenge({
        impi: rec.impi,
        impu: rec.impu,
        failures: rec.failures,
        reason: 'retry',
        failure: 'replay',
      });
    }
    const binding: Binding = { impi: rec.impi, impus: rec.impus, impu: rec.impu };
    const info = authenticationInfo(creds, {
      aka: { res: hex(rec.xres), ck: hex(rec.ck), ik: hex(rec.ik) },
      nextnonce: nonce,
    }).toString();
    return this.pass(binding, req, info, true);
  }

  /** Which identity the AP vouches for: the intended one if it is the user's, else the XUI if it is, else the one authenticated. */
  private pass(binding: Binding, req: AuthRequest, info: string | undefined, fresh: boolean): Decision {
    if (req.intended !== undefined && !binding.impus.some((i) => sameIdentity(i, req.intended!))) {
      return deny(403, 'foreign-identity', `${req.intended} is not a public identity of ${binding.impi}`);
    }
    const asserted =
      req.intended ??
      (req.xui !== undefined ? binding.impus.find((i) => sameIdentity(i, req.xui!)) : undefined) ??
      binding.impu;
    return {
      kind: 'pass',
      binding,
      asserted,
      fresh,
      ...(info !== undefined ? { authenticationInfo: info } : {}),
    };
  }

  private async challenge(c: {
    impi: string;
    impu: string;
    failures: number;
    reason: ChallengeReason;
    failure?: FailureReason;
    stale?: boolean;
    resync?: Buffer;
  }): Promise<Decision> {
    const issued = await this.issue(c);
    if ('deny' in issued) return issued.deny;
    return { kind: 'challenge', reason: c.reason, ...(c.failure ? { failure: c.failure } : {}), ...issued };
  }

  /** MAR, a new nonce remembered with its vector, and the WWW-Authenticate value. */
  private async issue(c: {
    impi: string;
    impu: string;
    failures: number;
    stale?: boolean;
    resync?: Buffer;
  }): Promise<{ wwwAuthenticate: string } | { deny: Decision }> {
    const r = await this.o.hss.mar({
      impi: c.impi,
      impu: c.impu,
      scheme: `Digest-${this.o.algorithm}`,
      ...(c.resync ? { resync: c.resync } : {}),
    });
    if (r.kind === 'refused') {
      const reason: FailureReason = c.resync ? 'resync-failed' : r.reason;
      return { deny: deny(403, reason, `the HSS refused ${c.impi} / ${c.impu} (${r.code})`) };
    }
    const nonce = encodeAkaNonce(r.vector.rand, r.vector.autn);
    const rec: NonceRecord = {
      impi: c.impi,
      impu: c.impu,
      algorithm: this.o.algorithm,
      xres: r.vector.xres.toString('hex'),
      ck: r.vector.ck.toString('hex'),
      ik: r.vector.ik.toString('hex'),
      rand: r.vector.rand.toString('hex'),
      expiresAt: this.now() + this.lifetime,
      failures: c.failures,
      impus: r.impus.length > 0 ? r.impus : [c.impu],
    };
    await this.o.nonces.put(nonce, rec, 2 * this.lifetime);
    const params = paramsFor('challenge', {
      realm: this.o.realm,
      nonce,
      algorithm: this.o.algorithm,
      qop: QOP_OFFERED.join(','),
      stale: c.stale ? 'true' : undefined,
    });
    return { wwwAuthenticate: formatChallenge({ scheme: 'Digest', params }) };
  }
}

const hex = (s: string) => Buffer.from(s, 'hex');

/** The Digest credentials of an Authorization value; another scheme counts as none. */
function digestCredentials(value: string): AuthParams | undefined {
  const c = parseCredentials(value);
  return c.scheme.toLowerCase() === 'digest' ? c.params : undefined;
}
