/**
 * The client side of Digest AKA as a phone does it (the same steps as test/support/ue.ts): a request without
 * credentials, on 401 AUTHENTICATE on the USIM with RAND and AUTN from the nonce, and the answer computed
 * with RES, CK and IK. A phone keeps the nonce while the AP accepts it: on a new connection it sends
 * credentials with the same nonce and the next nonce count, and needs no new run of AKA.
 */
import {
  answerChallenge,
  decodeAkaNonce,
  parseChallenges,
  Usim,
  type Challenge,
} from '@ut-testbed/aka-crypto';
import type { Http1Connection, HttpResponse } from './http1';

export interface Subscriber {
  impi: string;
  k: string;
  opc?: string;
}

/** What the phone remembers of its authentication with one AP: the nonce, its secrets and the last count. */
export class DigestState {
  challenge: Challenge | undefined;
  private secrets: { res: Buffer; ck: Buffer; ik: Buffer } | undefined;
  nc = 0;
  /** 401s answered, and runs of AKA on the USIM */
  challenges = 0;
  akaRuns = 0;

  constructor(
    private readonly usim: Usim,
    private readonly impi: string,
  ) {}

  /** Takes a 401's challenge: AKA on the USIM, nonce count back to 0. */
  accept(wwwAuthenticate: string): void {
    const ch = parseChallenges(wwwAuthenticate)[0];
    if (!ch) throw new Error(`no challenge in ${wwwAuthenticate}`);
    const { rand, autn } = decodeAkaNonce(ch.params.get('nonce')!);
    const r = this.usim.authenticate(rand, autn);
    if (r.result !== 'ok') throw new Error(`the USIM refused the challenge: ${r.result}`);
    this.challenges++;
    this.akaRuns++;
    this.challenge = ch;
    this.secrets = { res: r.res, ck: r.ck, ik: r.ik };
    this.nc = 0;
  }

  /** The Authorization value for the next request, or undefined before the first challenge. */
  authorization(method: string, uri: string): string | undefined {
    if (!this.challenge || !this.secrets) return undefined;
    this.nc++;
    return answerChallenge(this.challenge, {
      username: this.impi,
      method,
      uri,
      aka: this.secrets,
      nc: this.nc,
      cnonce: 'b3nchc0ffee',
    }).header;
  }

  /**
   * A request as a phone makes it: with credentials when it has a nonce and `withCredentials`, else
   * without; a 401 is answered once.
   */
  async request(
    conn: Http1Connection,
    method: string,
    path: string,
    o: { withCredentials?: boolean; headers?: Record<string, string>; body?: string } = {},
  ): Promise<HttpResponse> {
    const send = (auth: string | undefined) =>
      conn.request(method, path, { ...(o.headers ?? {}), ...(auth ? { Authorization: auth } : {}) }, o.body);
    let r = await send(o.withCredentials ? this.authorization(method, path) : undefined);
    if (r.status === 401) {
      this.accept(r.headers.get('www-authenticate') ?? '');
      r = await send(this.authorization(method, path));
    }
    return r;
  }
}

/** One USIM; one DigestState per AP it talks to (every AP instance without a shared store has its own nonces). */
export class Phone {
  readonly usim: Usim;

  constructor(readonly subscriber: Subscriber) {
    this.usim = new Usim(Buffer.from(subscriber.k, 'hex'), Buffer.from(subscriber.opc!, 'hex'));
  }

  digest(): DigestState {
    return new DigestState(this.usim, this.subscriber.impi);
  }
}
