/**
 * The client side of HTTP Digest AKA on Ut (RFC 3310 AKAv1-MD5, RFC 4169 AKAv2-MD5, TS 24.109 5.2 and
 * Annex A), on aka-crypto's Digest functions: no I/O here, the HTTP client asks and sends.
 *
 * - Credentials before any challenge: none (what phones send), or the IMS initial form naming the IMPI
 *   with an empty nonce and response (TS 24.229 5.1.1.2 style); once a nonce is known, that nonce with the
 *   next nonce count (RFC 7616 3.4: a nonce may be used for several requests, counted by nc).
 * - A challenge: the USIM runs AKA on RAND || AUTN of the nonce (RFC 3310 3.2). RES gives the password
 *   (AKAv1: RES itself, AKAv2: RFC 4169 3). A synchronisation failure answers with `auts` and a response
 *   over the empty password (RFC 3310 3.4); a MAC failure answers with an empty response and no `auts`
 *   (the network failed to authenticate itself). `stale=true` (RFC 7616 3.3) is answered the same way as a
 *   first challenge: the credentials are fine but the nonce is new, and an AKA nonce carries its own RAND and
 *   AUTN, so the password of the old nonce is worthless for it and the USIM has to run again. Only a
 *   password digest can "retry without asking the user"; for AKA that means without asking anyone but the
 *   USIM. The difference to a plain 401 is for the caller: it is no sign of wrong credentials.
 * - Authentication-Info (RFC 7615, RFC 3310 3.5): `rspauth` is checked against the password of the nonce
 *   (RES = XRES proves the server knew the vector); `nc`, `cnonce` and `qop` must echo what was sent; a
 *   `nextnonce` other than the current nonce is used for the next request (with its own AKA run).
 *
 * Not implemented: GBA (B-TID usernames, Ks_NAF passwords: TS 33.220, 24.109 5.2.1), password digests,
 * userhash, `-sess` algorithms with AKA, Proxy-Authenticate.
 */
import { randomBytes } from 'node:crypto';
import {
  AuthHeaderError,
  AuthParams,
  akaPassword,
  answerChallenge,
  decodeAkaNonce,
  digestRspauth,
  formatChallenge,
  paramsFor,
  parseAlgorithm,
  parseAuthenticationInfo,
  qopOptions,
  type AkaSecrets,
  type Challenge,
  type DigestAlgorithm,
  type Qop,
} from '@ut-testbed/aka-crypto';
import type { QuirksProfile } from '../quirks';
import type { UsimModel } from '../usim/usim-model';

export type AkaAlgorithmName = 'AKAv1-MD5' | 'AKAv2-MD5';

export const DEFAULT_ALGORITHM_PREFERENCE: readonly AkaAlgorithmName[] = ['AKAv2-MD5', 'AKAv1-MD5'];

/** What kind of Authorization went with a request. */
export type CredentialsKind =
  | 'none'
  /** IMS initial form: username, empty nonce and response */
  | 'initial'
  /** a nonce already known, with the next nonce count */
  | 'reuse'
  /** a nextnonce from Authentication-Info, with its own AKA run */
  | 'nextnonce'
  /** the answer to a challenge with RES */
  | 'answer'
  /** synchronisation failure: auts, empty password */
  | 'resync'
  /** the USIM rejected AUTN: empty response, no auts */
  | 'mac-failure';

export class DigestAkaError extends Error {
  override name = 'DigestAkaError';
  constructor(
    readonly code:
      | 'rspauth-mismatch'
      | 'authentication-info-mismatch'
      | 'bad-authentication-info'
      | 'bad-challenge'
      | 'bad-nonce',
    message: string,
  ) {
    super(message);
  }
}

/** What the response to credentials is checked against (kept private: it holds the password). */
interface SentAnswer {
  algorithm: DigestAlgorithm;
  realm: string;
  nonce: string;
  uri: string;
  qop: Qop | undefined;
  nc: string | undefined;
  cnonce: string | undefined;
  secrets: AkaSecrets;
}

export interface Credentials {
  kind: CredentialsKind;
  /** the Authorization value, absent for `none` */
  header?: string;
}

interface NonceState {
  /** the challenge answered, with the realm as used */
  challenge: Challenge;
  algorithm: DigestAlgorithm;
  nonce: string;
  secrets: AkaSecrets;
  /** the last nonce count used */
  nc: number;
}

export interface DigestAkaClientOptions {
  impi: string;
  usim: UsimModel;
  quirks: QuirksProfile;
  /** realm of the IMS initial Authorization (default: the domain of the IMPI, TS 23.003 13.3) */
  realm?: string;
  algorithmPreference?: readonly AkaAlgorithmName[];
  /** the qop to answer with when offered (default: as the quirks profile chooses) */
  qop?: Qop;
  cnonce?: () => string;
}

/** The non-secret part of the nonce in use. */
export interface NonceInfo {
  nonce: string;
  realm: string;
  algorithm: string;
  /** nonce count of the last request that used it */
  nc: number;
}

export class DigestAkaClient {
  readonly #o: DigestAkaClientOptions;
  readonly #preference: readonly AkaAlgorithmName[];
  #current: NonceState | undefined;
  #nextNonce: string | undefined;
  /** what each answer is checked against, out of reach of whoever logs the credentials */
  readonly #sent = new WeakMap<Credentials, SentAnswer>();

  constructor(o: DigestAkaClientOptions) {
    this.#o = o;
    this.#preference = o.algorithmPreference ?? DEFAULT_ALGORITHM_PREFERENCE;
    if (this.#preference.length === 0) throw new RangeError('algorithmPreference is empty');
  }

  get nonce(): NonceInfo | undefined {
    const c = this.#current;
    if (!c) return undefined;
    return { nonce: c.nonce, realm: c.challenge.params.get('realm')!, algorithm: c.algorithm.name, nc: c.nc };
  }

  /** Forgets the nonce: the next request goes without credentials (or with the initial form). */
  reset(): void {
    this.#current = undefined;
    this.#nextNonce = undefined;
  }

  get #realm(): string {
    if (this.#o.realm !== undefined) return this.#o.realm;
    const at = this.#o.impi.lastIndexOf('@');
    return at >= 0 ? this.#o.impi.slice(at + 1) : this.#o.impi;
  }

  /** Credentials for a request before any challenge. */
  preemptive(method: string, uri: string, body: Buffer, initial: boolean): Credentials {
    if (this.#current && this.#nextNonce !== undefined) {
      const next = this.#nextNonce;
      this.#nextNonce = undefined;
      const params = new AuthParams(this.#current.challenge.params.list.map((p) => ({ ...p })));
      params.set('nonce', next, true);
      try {
        const c = this.#run({ scheme: 'Digest', params }, method, uri, body, 'nextnonce');
        if (c.kind === 'nextnonce') return c;
      } catch (e) {
        if (!(e instanceof DigestAkaError)) throw e;
      }
      // a nextnonce that is no AKA nonce, or that the USIM does not accept: let the server challenge instead
      this.reset();
    }
    if (this.#current) return this.#fromState(this.#current, method, uri, body, 'reuse');
    if (initial) {
      const params = paramsFor('credentials', {
        username: this.#o.impi,
        realm: this.#realm,
        nonce: '',
        uri,
        response: '',
      });
      return { kind: 'initial', header: formatChallenge({ scheme: 'Digest', params }) };
    }
    return { kind: 'none' };
  }

  /**
   * The challenge to answer among those of a 401, or undefined when none is Digest AKA with an algorithm
   * we take. `ims`: the most preferred algorithm; `android`: the first challenge or nothing.
   */
  choose(challenges: readonly Challenge[]): Challenge | undefined {
    const akaOf = (c: Challenge): AkaAlgorithmName | undefined => {
      if (c.scheme.toLowerCase() !== 'digest' || c.token68 !== undefined) return undefined;
      let name: string;
      try {
        name = parseAlgorithm(c.params.get('algorithm')).name;
      } catch {
        return undefined;
      }
      return this.#preference.find((p) => p === name);
    };
    if (this.#o.quirks.challengeChoice === 'first') {
      const first = challenges[0];
      return first && akaOf(first) ? first : undefined;
    }
    let best: Challenge | undefined;
    let rank = Infinity;
    for (const c of challenges) {
      const a = akaOf(c);
      const r = a === undefined ? -1 : this.#preference.indexOf(a);
      if (r >= 0 && r < rank) {
        best = c;
        rank = r;
      }
    }
    return best;
  }

  /** Runs AKA on the challenge's nonce and answers it. */
  answer(challenge: Challenge, method: string, uri: string, body: Buffer): Credentials {
    return this.#run(challenge, method, uri, body, 'answer');
  }

  #run(
    challenge: Challenge,
    method: string,
    uri: string,
    body: Buffer,
    kind: 'answer' | 'nextnonce',
  ): Credentials {
    const nonce = challenge.params.get('nonce');
    const realmOffered = challenge.params.get('realm');
    if (nonce === undefined || realmOffered === undefined)
      throw new DigestAkaError('bad-challenge', 'the challenge lacks realm or nonce');
    let algorithm: DigestAlgorithm;
    try {
      algorithm = parseAlgorithm(challenge.params.get('algorithm'));
    } catch (e) {
      throw new DigestAkaError('bad-challenge', (e as Error).message);
    }
    if (!algorithm.aka) throw new DigestAkaError('bad-challenge', `${algorithm.name} is not Digest AKA`);
    let rand: Buffer;
    let autn: Buffer;
    try {
      ({ rand, autn } = decodeAkaNonce(nonce));
    } catch (e) {
      throw new DigestAkaError('bad-nonce', (e as Error).message);
    }
    // the challenge as it will be answered: AOSP keeps the first of several ";"-separated realms
    const params = new AuthParams(challenge.params.list.map((p) => ({ ...p })));
    if (this.#o.quirks.firstRealmOnly && realmOffered.includes(';'))
      params.set('realm', realmOffered.split(';')[0]!.trim(), true);
    const ch: Challenge = { scheme: 'Digest', params };
    const r = this.#o.usim.authenticate(rand, autn);
    if (r.result === 'ok') {
      this.#current = { challenge: ch, algorithm, nonce, secrets: { res: r.res, ck: r.ck, ik: r.ik }, nc: 0 };
      this.#nextNonce = undefined;
      return this.#fromState(this.#current, method, uri, body, kind);
    }
    // neither outcome leaves a nonce to reuse
    this.reset();
    if (r.result === 'sync-failure') {
      const qop = this.#qop(ch);
      const a = this.#answer(ch, {
        auts: r.auts,
        method,
        uri,
        body,
        ...(qop ? { qop } : {}),
        nc: this.#o.quirks.formatNc(1),
      });
      return { kind: 'resync', header: a.header };
    }
    // RFC 3310: a UE that cannot authenticate the network sends an empty response and no auts
    const mac = paramsFor('credentials', {
      username: this.#o.impi,
      realm: params.get('realm'),
      nonce,
      uri,
      response: '',
      algorithm: challenge.params.get('algorithm'),
      opaque: challenge.params.get('opaque'),
    });
    return { kind: 'mac-failure', header: formatChallenge({ scheme: 'Digest', params: mac }) };
  }

  #qop(ch: Challenge): Qop | undefined {
    const offered = qopOptions(ch);
    if (offered.length === 0) return undefined;
    if (this.#o.qop) return this.#o.qop;
    if (this.#o.quirks.qopChoice === 'first') {
      const first = offered[0];
      return first === 'auth' || first === 'auth-int' ? first : undefined;
    }
    return undefined; // answerChallenge: auth when offered, else auth-int
  }

  #answer(ch: Challenge, o: Omit<Parameters<typeof answerChallenge>[1], 'username' | 'cnonce'>) {
    try {
      return answerChallenge(ch, {
        ...o,
        username: this.#o.impi,
        cnonce: this.#o.cnonce ? this.#o.cnonce() : randomBytes(16).toString('hex'),
      });
    } catch (e) {
      if (e instanceof AuthHeaderError) throw new DigestAkaError('bad-challenge', e.message);
      throw e;
    }
  }

  #fromState(s: NonceState, method: string, uri: string, body: Buffer, kind: CredentialsKind): Credentials {
    s.nc += 1;
    const qop = this.#qop(s.challenge);
    const a = this.#answer(s.challenge, {
      aka: s.secrets,
      method,
      uri,
      body,
      ...(qop ? { qop } : {}),
      nc: this.#o.quirks.formatNc(s.nc),
    });
    const c: Credentials = { kind, header: a.header };
    this.#sent.set(c, {
      algorithm: s.algorithm,
      realm: s.challenge.params.get('realm')!,
      nonce: s.nonce,
      uri,
      qop: a.params.get('qop') as Qop | undefined,
      nc: a.params.get('nc'),
      cnonce: a.params.get('cnonce'),
      secrets: s.secrets,
    });
    return c;
  }

  /**
   * Checks the Authentication-Info of a response to `sent` and takes its nextnonce. Throws a
   * {@link DigestAkaError} when rspauth or the echoed parameters do not match. Returns whether rspauth was
   * there and verified.
   */
  onAuthenticationInfo(sent: Credentials, value: string, responseBody: Buffer): 'verified' | 'absent' {
    let info: AuthParams;
    try {
      info = parseAuthenticationInfo(value);
    } catch (e) {
      throw new DigestAkaError('bad-authentication-info', (e as Error).message);
    }
    const s = this.#sent.get(sent);
    if (!s) return 'absent';
    for (const [name, mine] of [
      ['nc', s.nc],
      ['cnonce', s.cnonce],
      ['qop', s.qop],
    ] as const) {
      const theirs = info.get(name);
      // RFC 7616 3.5: nc and cnonce must be those of the request (and the qop it used)
      if (theirs !== undefined && theirs !== mine)
        throw new DigestAkaError(
          'authentication-info-mismatch',
          `Authentication-Info ${name} is not the one sent`,
        );
    }
    const rspauth = info.get('rspauth');
    let result: 'verified' | 'absent' = 'absent';
    if (rspauth !== undefined) {
      const expected = digestRspauth({
        algorithm: s.algorithm,
        username: this.#o.impi,
        realm: s.realm,
        password: akaPassword(s.algorithm, s.secrets),
        nonce: s.nonce,
        uri: s.uri,
        qop: s.qop,
        nc: s.nc,
        cnonce: s.cnonce,
        // auth-int: rspauth covers the response body (RFC 7616 3.5)
        ...(s.qop === 'auth-int' ? { body: responseBody } : {}),
      });
      if (rspauth.toLowerCase() !== expected)
        throw new DigestAkaError(
          'rspauth-mismatch',
          'rspauth does not match: the server did not prove it knew XRES',
        );
      result = 'verified';
    }
    const next = info.get('nextnonce');
    if (next !== undefined && this.#current && next !== this.#current.nonce) this.#nextNonce = next;
    return result;
  }

  /** Logs see the nonce, never RES, CK or IK. */
  toJSON(): { nonce?: NonceInfo } {
    const n = this.nonce;
    return n ? { nonce: n } : {};
  }
}
