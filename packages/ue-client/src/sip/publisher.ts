/**
 * The Event Publication Agent side of RFC 3903 for the presence event package (RFC 3856): an initial
 * PUBLISH with a body (section 4.2), refreshes with `SIP-If-Match` and no body (4.3), modifications with
 * `SIP-If-Match` and a body (4.4), removal with `Expires: 0` (4.5). Every 2xx carries a new entity tag
 * (SIP-ETag), which the next request of the publication must name; the requests of one publication are sent
 * one at a time, since two sent together would name the same tag and the second would get 412.
 *
 * Responses (section 5): a 423 is retried once with the interval of its Min-Expires. A 412 means the server
 * holds no state under our tag (it expired, or the server lost its soft state): the tag is dropped, the
 * publication is `gone`, and the error is the caller's, who may publish again; with `autoRefresh` the UA
 * does that itself, the initial publication that RFC 3903 says the EPA should make, with the last body,
 * which is how soft state is rebuilt (DESIGN.md section 7). Automatic refresh is off by default: a scripted
 * UE sends what it is told to. Not here: other event packages, partial publication (RFC 5264).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  createRequest,
  type Clock,
  type Endpoint,
  type ExtraHeaders,
  type SipMessage,
  type Target,
} from '@ut-testbed/sip-core';
import { PublishError } from './errors';
import { buildPidf, PIDF_TYPE, type PresenceStatus } from './pidf';
import { refreshDelayMs, RefreshTimer } from './refresh';

export const DEFAULT_PUBLISH_EXPIRES = 3600;

export interface PublishOptions {
  /** seconds asked for (default 3600); the server may grant less */
  expires?: number;
  /** refresh on the clock before the granted interval runs out (default false) */
  autoRefresh?: boolean;
  /** more header fields for every PUBLISH of this publication */
  headers?: ExtraHeaders;
}

/** What a publication needs of its UA. */
export interface PublishContext {
  endpoint: Endpoint;
  proxy: Target;
  /** the presentity: Request-URI and To */
  identity: string;
  /** the From value (name-addr, no tag) */
  from: string;
  /** the P-Asserted-Identity value, when the UA asserts its identity */
  asserted?: string;
  clock: Clock;
  tupleId: string;
  /** the publication was removed (the UA forgets it) */
  removed?(p: Publication): void;
}

export type PublicationState = 'active' | 'removed' | 'gone';

type Operation = 'initial' | 'refresh' | 'modify' | 'remove';

export type PublishBody = string | PresenceStatus;

export class Publication extends EventEmitter<{
  /** a refresh succeeded (the new entity tag) */
  refreshed: [etag: string];
  /** after a 412 on an automatic refresh, the last body was published again (the new entity tag) */
  republished: [etag: string];
  /** an automatic refresh failed */
  error: [error: Error];
}> {
  /** the entity tag of the current state */
  etag = '';
  /** the interval granted by the last 2xx (seconds) */
  expires = 0;
  /** when that runs out, on the UA's clock (ms) */
  expiresAt = 0;
  state: PublicationState = 'active';
  /** the body of the current state */
  body: string;
  /** the final response to the last PUBLISH */
  response: SipMessage | undefined;
  /** the last error of an automatic refresh */
  lastError: Error | undefined;

  private readonly callId = randomBytes(12).toString('hex');
  private readonly fromTag = randomBytes(6).toString('hex');
  private cseq = 0;
  private requested: number;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly timer: RefreshTimer;

  private constructor(
    private readonly ctx: PublishContext,
    body: string,
    private readonly options: PublishOptions,
  ) {
    super();
    this.body = body;
    this.requested = options.expires ?? DEFAULT_PUBLISH_EXPIRES;
    this.timer = new RefreshTimer(ctx.clock);
  }

  /** The initial PUBLISH; resolves once it succeeded, else rejects with a PublishError. */
  static async publish(
    ctx: PublishContext,
    body: PublishBody,
    options: PublishOptions = {},
  ): Promise<Publication> {
    const p = new Publication(ctx, toBody(ctx, body), options);
    await p.enqueue(() => p.run('initial', p.body, p.requested));
    return p;
  }

  /** SIP-If-Match without a body: the same state for another interval (default: the one asked for last). */
  refresh(expires = this.requested): Promise<void> {
    return this.enqueue(async () => {
      this.check('refresh');
      await this.run('refresh', undefined, expires);
      this.emit('refreshed', this.etag);
    });
  }

  /** SIP-If-Match with a body: the state replaced. */
  modify(body: PublishBody, expires = this.requested): Promise<void> {
    const text = toBody(this.ctx, body);
    return this.enqueue(async () => {
      this.check('modify');
      await this.run('modify', text, expires);
    });
  }

  /** SIP-If-Match with Expires 0: the state removed. Nothing is sent when it is already removed or gone. */
  remove(): Promise<void> {
    return this.enqueue(async () => {
      if (this.state !== 'active') return;
      await this.run('remove', undefined, 0);
    });
  }

  /** Stops the automatic refresh (the UA closing). */
  stop(): void {
    this.timer.cancel();
  }

  private check(op: Operation): void {
    if (this.state !== 'active') throw new Error(`cannot ${op} a publication that is ${this.state}`);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private request(op: Operation, body: string | undefined, expires: number): SipMessage {
    const headers: (readonly [string, string])[] = [];
    if (this.ctx.asserted !== undefined) headers.push(['P-Asserted-Identity', this.ctx.asserted]);
    headers.push(['Event', 'presence'], ['Expires', String(expires)]);
    if (op !== 'initial') headers.push(['SIP-If-Match', this.etag]);
    if (body !== undefined) headers.push(['Content-Type', PIDF_TYPE]);
    headers.push(...(this.options.headers ?? []));
    return createRequest({
      method: 'PUBLISH',
      uri: this.ctx.identity,
      from: `${this.ctx.from};tag=${this.fromTag}`,
      to: `<${this.ctx.identity}>`,
      // one Call-ID and increasing CSeq numbers per publication, as for REGISTER (RFC 3261 10.2): the
      // requests of one publication are then one conversation in a trace
      callId: this.callId,
      cseq: ++this.cseq,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
  }

  /** Sends one operation (with the one 423 retry) and takes its 2xx; throws a PublishError otherwise. */
  private async run(op: Operation, body: string | undefined, expires: number): Promise<void> {
    let asked = expires;
    let res = await this.ctx.endpoint.request(this.request(op, body, asked), this.ctx.proxy);
    if (res.status === 423) {
      const min = Number(res.get('Min-Expires'));
      if (Number.isSafeInteger(min) && min > asked) {
        asked = min;
        res = await this.ctx.endpoint.request(this.request(op, body, asked), this.ctx.proxy);
      }
    }
    this.response = res;
    const status = res.status!;
    if (status < 200 || status >= 300) {
      // a 412: the tag names nothing now (section 5: discard it); other failures leave the state as it was
      if (status === 412 && op !== 'initial') this.end('gone');
      throw new PublishError(res, op);
    }
    if (op === 'remove' || asked === 0) {
      // an initial PUBLISH with Expires 0 is answered like a removal: the server keeps nothing
      this.end('removed');
      return;
    }
    const etag = res.get('SIP-ETag');
    if (etag === undefined || etag === '') throw new PublishError(res, op, 'a 2xx without SIP-ETag');
    this.etag = etag;
    this.state = 'active';
    if (body !== undefined) this.body = body;
    this.requested = asked;
    const granted = Number(res.get('Expires'));
    this.expires = Number.isSafeInteger(granted) && granted > 0 ? granted : asked;
    this.expiresAt = this.ctx.clock.now() + this.expires * 1000;
    if (this.options.autoRefresh)
      this.timer.schedule(refreshDelayMs(this.expires, this.ctx.endpoint.timers.t1), () =>
        this.autoRefresh(),
      );
  }

  private end(state: PublicationState): void {
    this.state = state;
    this.timer.cancel();
    if (state === 'removed') this.ctx.removed?.(this);
  }

  private autoRefresh(): void {
    this.refresh().catch(async (e: unknown) => {
      if (!(e instanceof PublishError && e.status === 412)) return this.fail(e);
      try {
        await this.enqueue(() => this.run('initial', this.body, this.requested));
        this.emit('republished', this.etag);
      } catch (e2) {
        this.fail(e2);
      }
    });
  }

  private fail(e: unknown): void {
    this.lastError = e instanceof Error ? e : new Error(String(e));
    // an 'error' event nobody listens to would throw: the error is kept in lastError either way
    if (this.listenerCount('error') > 0) this.emit('error', this.lastError);
  }
}

function toBody(ctx: PublishContext, body: PublishBody): string {
  return typeof body === 'string' ? body : buildPidf(ctx.identity, body, ctx.tupleId);
}
