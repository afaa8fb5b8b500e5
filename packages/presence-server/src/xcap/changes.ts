/**
 * Following the XCAP server's change stream: `GET /_changes` at the root of the XCAP server's origin (not
 * below the XCAP root), server-sent events (WHATWG HTML, "Server-sent events") of type `xcap-diff` whose
 * data is an RFC 5874 xcap-diff document at document level (`sel`, `previous-etag`, `new-etag`; a deleted
 * document has no new-etag). The stream is for the XCAP server's trusted peers only.
 *
 * The server numbers events per connection and does not replay from Last-Event-ID, so none is sent: after
 * every (re)connection `onConnected` tells the caller that changes may have been missed. Reconnection waits
 * on the injected clock with a doubling backoff; the server's `retry:` field is read but not obeyed (how
 * often to reconnect is ours to bound).
 *
 * Not implemented: element- and attribute-level xcap-diff (RFC 5874 patching modes: their `<element>` and
 * `<attribute>` elements are ignored), the SIP xcap-diff event package (RFC 5875).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { systemClock, type Clock } from '@ut-testbed/sip-core';
import { XmlError } from '../pidf';
import { attr, children, parseXml } from '../xml/dom';

export const XCAP_DIFF_NS = 'urn:ietf:params:xml:ns:xcap-diff';

export interface DocumentChange {
  /** the document selector below the XCAP root, percent-encoded as in the URI */
  documentSelector: string;
  /** absent when the document was created */
  previousEtag?: string;
  /** absent when the document was deleted */
  newEtag?: string;
  /** the xcap-root of the xcap-diff document: the root as the writer addressed it (maybe a public alias) */
  xcapRoot?: string;
}

/** The document-level changes of an xcap-diff document (RFC 5874 section 4); anything else is an XmlError. */
export function parseXcapDiff(xml: string): DocumentChange[] {
  const root = parseXml(xml).documentElement!;
  if (root.namespaceURI !== XCAP_DIFF_NS || root.localName !== 'xcap-diff') {
    throw new XmlError(`not an xcap-diff document: the root is ${root.localName}`);
  }
  const xcapRoot = attr(root, 'xcap-root');
  return children(root, XCAP_DIFF_NS, 'document').map((d) => {
    const sel = attr(d, 'sel');
    if (!sel) throw new XmlError('an xcap-diff <document> without sel');
    const prev = attr(d, 'previous-etag');
    const next = attr(d, 'new-etag');
    return {
      documentSelector: sel,
      ...(prev !== undefined ? { previousEtag: prev } : {}),
      ...(next !== undefined ? { newEtag: next } : {}),
      ...(xcapRoot !== undefined ? { xcapRoot } : {}),
    };
  });
}

export interface SseEvent {
  /** the event type ('message' when the event named none) */
  type: string;
  /** the data lines joined with LF */
  data: string;
  /** the last event ID: the latest `id:` field so far on this stream, '' before any */
  lastEventId: string;
}

export class SseTooLarge extends Error {}

export interface SseParserOptions {
  /** the bytes of one event's field lines (and of any one line) at most; more throws SseTooLarge */
  maxEventBytes?: number;
  onRetry?(ms: number): void;
}

/**
 * The event stream interpretation of WHATWG HTML 9.2.6, fed bytes as they arrive: UTF-8 decoded across chunk
 * boundaries (with replacement, a leading BOM dropped), lines ending CRLF, LF or CR (a CR at the end of a
 * chunk waits to see whether an LF follows), comments, fields with one leading space of the value removed,
 * dispatch on a blank line, an unfinished event at the end of the stream discarded.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly max: number;
  private line = '';
  private lineBytes = 0;
  private afterCR = false;
  private data: string[] = [];
  private type = '';
  private lastEventId = '';
  private eventBytes = 0;

  constructor(
    private readonly onEvent: (e: SseEvent) => void,
    private readonly o: SseParserOptions = {},
  ) {
    this.max = o.maxEventBytes ?? Infinity;
  }

  push(chunk: Uint8Array): void {
    this.text(this.decoder.decode(chunk, { stream: true }));
  }

  /** The end of the stream: what was not dispatched is dropped. */
  end(): void {
    this.decoder.decode();
    this.line = '';
    this.lineBytes = 0;
    this.afterCR = false;
    this.resetEvent();
  }

  private text(s: string): void {
    let i = 0;
    if (this.afterCR && s.length > 0) {
      if (s[0] === '\n') i = 1;
      this.afterCR = false;
    }
    const eol = /[\r\n]/g;
    while (i < s.length) {
      eol.lastIndex = i;
      const m = eol.exec(s);
      if (!m) {
        this.append(s.slice(i));
        return;
      }
      this.append(s.slice(i, m.index));
      const line = this.line;
      this.line = '';
      this.lineBytes = 0;
      i = m.index + 1;
      if (m[0] === '\r') {
        if (i === s.length) this.afterCR = true;
        else if (s[i] === '\n') i++;
      }
      this.processLine(line);
    }
  }

  private append(piece: string): void {
    if (!piece) return;
    this.line += piece;
    this.lineBytes += Buffer.byteLength(piece, 'utf8');
    if (this.eventBytes + this.lineBytes > this.max) {
      throw new SseTooLarge(`a server-sent event larger than ${this.max} bytes`);
    }
  }

  private processLine(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line[0] === ':') return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    this.eventBytes += Buffer.byteLength(line, 'utf8') + 1;
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.o.onRetry?.(Number(value));
        break;
    }
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.resetEvent();
      return;
    }
    const e: SseEvent = {
      type: this.type || 'message',
      data: this.data.join('\n'),
      lastEventId: this.lastEventId,
    };
    this.resetEvent();
    this.onEvent(e);
  }

  private resetEvent(): void {
    this.data = [];
    this.type = '';
    this.eventBytes = 0;
  }
}

export interface ChangeFollowerOptions {
  /** presence.xcapRoot: the stream is `/_changes` on its origin */
  root: string;
  /** the stream's URL when it is not `<origin of root>/_changes` */
  url?: string;
  /** each document change, in the order the server committed them (callbacks are not expected to throw) */
  onChange(c: DocumentChange): void;
  /**
   * called once connected (first time and after each reconnect): changes may have been missed, so the caller
   * re-reads what it holds; changes committed from then on reach onChange
   */
  onConnected(): void;
  /** a connection attempt failed or a connection ended (not after close()); a reconnection is scheduled */
  onDisconnected?(error: Error): void;
  /** reconnection delays, the connect timeout and the idle timeout run on it (default: systemClock) */
  clock?: Clock;
  /** backoff: the first delay (default 500 ms), doubling up to maxRetryMs (default 10 s); reset on connect */
  retryMs?: number;
  maxRetryMs?: number;
  /** from the request to the 200 with its headers (default 10 s) */
  connectTimeoutMs?: number;
  /**
   * no bytes for this long → reconnect. Off by default: the XCAP server writes one comment when the stream
   * opens and nothing more until a change, so a quiet stream is not a dead one; TCP keep-alive probes on the
   * connection find a peer that vanished.
   */
  idleTimeoutMs?: number;
  /** an event larger than this (default 64 KiB): the connection is dropped and made again */
  maxEventBytes?: number;
  /** trust anchors for an https root */
  ca?: string | Buffer;
}

const TCP_KEEPALIVE_MS = 30_000;

export class ChangeFollower {
  private readonly url: URL;
  private readonly clock: Clock;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private nextDelay: number;
  private started = false;
  private closed = false;
  private isConnected = false;
  private retryTimer: unknown;
  /** the request of the attempt under way or of the open stream */
  private current: ClientRequest | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: ChangeFollowerOptions) {
    this.url = new URL(o.url ?? '/_changes', o.root);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new TypeError(`the change stream is at an http:// or https:// URL, not ${this.url.href}`);
    }
    this.clock = o.clock ?? systemClock;
    this.retryMs = o.retryMs ?? 500;
    this.maxRetryMs = o.maxRetryMs ?? 10_000;
    this.nextDelay = this.retryMs;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connect();
  }

  /** Stops following: no callback after it; resolves when the connection is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.isConnected = false;
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const cur = this.current;
    this.current = undefined;
    this.closing = new Promise<void>((resolve) => {
      if (!cur || cur.destroyed) {
        resolve();
        return;
      }
      cur.once('close', () => resolve());
      cur.destroy();
    });
    return this.closing;
  }

  private connect(): void {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(this.url, {
      method: 'GET',
      agent: false,
      headers: { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' },
      ...(this.o.ca !== undefined ? { ca: this.o.ca } : {}),
    });
    this.current = req;
    const isCurrent = () => this.current === req && !this.closed;
    let idle: unknown;
    const connectMs = this.o.connectTimeoutMs ?? 10_000;
    const connectTimer = this.clock.setTimeout(
      () => fail(new Error(`no answer on ${this.url.href} within ${connectMs} ms`)),
      connectMs,
    );
    const fail = (e: Error) => {
      this.clock.clearTimeout(connectTimer);
      if (idle !== undefined) this.clock.clearTimeout(idle);
      req.destroy();
      if (!isCurrent()) return;
      this.current = undefined;
      this.isConnected = false;
      this.o.onDisconnected?.(e);
      if (this.closed) return;
      const delay = this.nextDelay;
      this.nextDelay = Math.min(this.nextDelay * 2, this.maxRetryMs);
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = undefined;
        if (!this.closed) this.connect();
      }, delay);
    };
    const touch = () => {
      const ms = this.o.idleTimeoutMs;
      if (ms === undefined) return;
      if (idle !== undefined) this.clock.clearTimeout(idle);
      idle = this.clock.setTimeout(() => fail(new Error(`nothing on the change stream for ${ms} ms`)), ms);
    };
    const streamError = (what: string, cause?: Error) =>
      new Error(`the change stream ${this.url.href} ${what}`, cause ? { cause } : undefined);

    req.on('socket', (s) => s.setKeepAlive(true, TCP_KEEPALIVE_MS));
    req.on('error', (e) => fail(streamError(`failed: ${e.message}`, e)));
    req.on('response', (res: IncomingMessage) => {
      const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (res.statusCode !== 200 || type !== 'text/event-stream') {
        fail(streamError(`answered ${res.statusCode} ${type || '(no type)'}`));
        return;
      }
      if (!isCurrent()) return;
      this.clock.clearTimeout(connectTimer);
      const parser = new SseParser(
        (e) => {
          if (e.type !== 'xcap-diff') return;
          // an XmlError here drops the connection: the re-read after reconnecting makes up for the event
          for (const c of parseXcapDiff(e.data)) {
            if (!isCurrent()) return;
            this.o.onChange(c);
          }
        },
        { maxEventBytes: this.o.maxEventBytes ?? 64 * 1024 },
      );
      res.on('data', (chunk: Buffer) => {
        if (!isCurrent()) return;
        touch();
        try {
          parser.push(chunk);
        } catch (e) {
          if (e instanceof SseTooLarge || e instanceof XmlError) fail(e);
          else throw e;
        }
      });
      res.on('end', () => {
        parser.end();
        fail(streamError('ended'));
      });
      res.on('error', (e) => fail(streamError(`failed: ${e.message}`, e)));
      res.on('close', () => fail(streamError('was closed')));
      this.isConnected = true;
      this.nextDelay = this.retryMs;
      touch();
      this.o.onConnected();
    });
    req.end();
  }
}
