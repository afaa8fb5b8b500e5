/**
 * A UE for the tests: an HTTPS client on one keep-alive TLS connection at a time, a USIM (Milenage with the
 * subscriber's K and OPc) and the Digest AKA client side of aka-crypto. It answers 401 challenges the way a
 * phone does, and can be told to misbehave (wrong RES, replayed nonce count, SQN out of range).
 */
import { request, Agent } from 'node:https';
import type { TLSSocket } from 'node:tls';
import {
  answerChallenge,
  decodeAkaNonce,
  parseChallenges,
  Usim,
  type Challenge,
} from '@ut-testbed/aka-crypto';

export interface UeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** the TLS connection the answer came on */
  socket: TLSSocket;
}

export interface UeOptions {
  ap: string;
  ca: string;
  impi: string;
  k: string;
  opc: string;
  /** TLS version bounds of the client (default TLS 1.2 to 1.3) */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export class TestUe {
  agent: Agent;
  readonly usim: Usim;
  /** the credentials state after a successful authentication: reused with a higher nc */
  challenge?: Challenge;
  nc = 0;
  /** the Authorization value of the last answer to a challenge */
  lastAuthorization?: string;
  /** what the USIM computed for each nonce: a phone keeps RES, CK and IK while it uses the nonce */
  private readonly results = new Map<string, ReturnType<Usim['authenticate']>>();

  constructor(private readonly o: UeOptions) {
    this.agent = this.newAgent();
    this.usim = new Usim(Buffer.from(o.k, 'hex'), Buffer.from(o.opc, 'hex'));
  }

  newAgent(): Agent {
    return new Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: this.o.ca,
      minVersion: this.o.minVersion ?? 'TLSv1.2',
      maxVersion: this.o.maxVersion ?? 'TLSv1.3',
    });
  }

  /** One HTTP exchange, nothing more. */
  send(
    method: string,
    path: string,
    o: { body?: string; type?: string; headers?: Record<string, string> } = {},
  ): Promise<UeResponse> {
    const [host, port] = [
      this.o.ap.slice(0, this.o.ap.lastIndexOf(':')),
      this.o.ap.slice(this.o.ap.lastIndexOf(':') + 1),
    ];
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.type) headers['Content-Type'] = o.type;
    return new Promise((resolve, reject) => {
      const req = request({ host, port: Number(port), method, path, agent: this.agent, headers }, (res) => {
        // taken now: once the answer has been read, the agent takes the socket back and res.socket is null
        const socket = res.socket as TLSSocket;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, socket }));
      });
      req.on('error', reject);
      req.end(o.body);
    });
  }

  /** The Authorization value for a request, from the last challenge (or `ch`). */
  authorization(
    method: string,
    path: string,
    body: string | undefined,
    o: { ch?: Challenge; wrongRes?: boolean; nc?: number; emptyResponse?: boolean } = {},
  ): { header: string; outcome: 'ok' | 'sync-failure' | 'mac-failure' } {
    const ch = o.ch ?? this.challenge!;
    const nonce = ch.params.get('nonce')!;
    let r = this.results.get(nonce);
    if (!r) {
      const { rand, autn } = decodeAkaNonce(nonce);
      r = this.usim.authenticate(rand, autn);
      this.results.set(nonce, r);
    }
    const base = { username: this.o.impi, method, uri: path, ...(body !== undefined ? { body } : {}) };
    if (r.result === 'mac-failure' || o.emptyResponse) {
      // RFC 3310 3.3: a UE that cannot authenticate the network sends an empty response and no auts
      const p = `Digest username="${this.o.impi}", realm="${ch.params.get('realm')}", nonce="${ch.params.get('nonce')}", uri="${path}", response="", algorithm=${ch.params.get('algorithm')}`;
      return { header: p, outcome: 'mac-failure' };
    }
    if (r.result === 'sync-failure') {
      const a = answerChallenge(ch, { ...base, auts: r.auts, nc: (this.nc = 1), cnonce: 'c0ffee01' });
      return { header: a.header, outcome: 'sync-failure' };
    }
    const res = o.wrongRes ? Buffer.from(r.res.map((b) => b ^ 0xff)) : r.res;
    this.nc = o.nc ?? this.nc + 1;
    const a = answerChallenge(ch, {
      ...base,
      aka: { res, ck: r.ck, ik: r.ik },
      nc: this.nc,
      cnonce: 'c0ffee01',
    });
    return { header: a.header, outcome: 'ok' };
  }

  /** A request as a phone makes it: sent as is; on 401 it runs AKA and answers, as often as it is challenged (up to `tries`). */
  async call(
    method: string,
    path: string,
    o: { body?: string; type?: string; headers?: Record<string, string>; tries?: number } = {},
  ): Promise<{ final: UeResponse; exchanges: UeResponse[] }> {
    const exchanges: UeResponse[] = [];
    let headers = { ...(o.headers ?? {}) };
    for (let i = 0; i < (o.tries ?? 3); i++) {
      const r = await this.send(method, path, { ...o, headers });
      exchanges.push(r);
      if (r.status !== 401) return { final: r, exchanges };
      this.challenge = parseChallenges(String(r.headers['www-authenticate']))[0]!;
      this.nc = 0;
      this.lastAuthorization = this.authorization(method, path, o.body).header;
      headers = { ...(o.headers ?? {}), Authorization: this.lastAuthorization };
    }
    return { final: exchanges[exchanges.length - 1]!, exchanges };
  }

  close(): void {
    this.agent.destroy();
  }
}
