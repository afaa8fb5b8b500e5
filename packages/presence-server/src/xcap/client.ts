/**
 * The presence server as a trusted peer of the XCAP server (RFC 4825): GETs of documents and node
 * selectors below `presence.xcapRoot`, asserting the owner's identity in X-3GPP-Asserted-Identity (the XCAP
 * server believes it from its `xcap.trustedProxies`, where the presence server runs), over keep-alive
 * connections, with a deadline and a bounded body; and the mapping of absolute XCAP URIs (rls-services
 * `resource-list`, resource-lists `external`) to paths below the root.
 *
 * Not implemented: writes (the presence server only reads), conditional GETs, redirects (a 3xx is returned
 * as a response, never followed), authentication other than the asserted identity.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { aorOf } from '../identity';

export interface XcapResponse {
  status: number;
  /** the entity-tag without its quotes, as xcap-diff's previous-etag and new-etag write it */
  etag?: string;
  contentType?: string;
  body: string;
}

/** The XCAP server cannot answer now (connection refused or reset, timeout, 5xx): the caller retries later. */
/** Names the presence server to the XCAP server (its trace shows who asked). */
export const USER_AGENT = 'presence-server/0.1';

export class XcapUnavailable extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'XcapUnavailable';
  }
}

/**
 * A body over `maxBodyBytes`. It is an XcapUnavailable, so that a caller that only retries later is right
 * (the document may shrink, and the change stream says when it changes); a caller that would rather treat
 * the document as unusable can tell it apart.
 */
export class XcapTooLarge extends XcapUnavailable {
  constructor(readonly limit: number) {
    super(`the XCAP response body is larger than ${limit} bytes`);
    this.name = 'XcapTooLarge';
  }
}

export interface XcapClientOptions {
  /** presence.xcapRoot, e.g. http://127.0.0.1:8081/services */
  root: string;
  /** for the whole request: connect, headers and body (default 5000) */
  timeoutMs?: number;
  /** default 1 MiB; a larger body is an {@link XcapTooLarge} */
  maxBodyBytes?: number;
  /** other roots that name the same server, e.g. the public https://xcap.home1.net:8443/services */
  aliases?: string[];
  /** connections to the XCAP server at most (default 16); further requests wait for one */
  maxSockets?: number;
  /** trust anchors for an https root (default: Node's) */
  ca?: string | Buffer;
}

interface Root {
  origin: string;
  /** the root's path without a trailing slash ('' for a root at /) */
  path: string;
}

function parseRoot(uri: string): Root {
  const u = new URL(uri);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new TypeError(`an XCAP root is an http:// or https:// URL, not ${uri}`);
  }
  return { origin: u.origin, path: u.pathname.replace(/\/+$/, '') };
}

/** Characters a URI path (with query) may hold as they are; anything else is percent-encoded. */
const UNSAFE_IN_PATH = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%?]/gu;

/**
 * Keeps existing escapes and encodes what may not appear raw, so that a node selector may be passed as
 * written (`entry[@uri="sip:b@h"]`); Node refuses a request path with a space or a non-ASCII character.
 */
function encodePath(path: string): string {
  return path.replace(UNSAFE_IN_PATH, (c) => encodeURIComponent(c));
}

/** The XCAP server closes idle connections after 5 s: ours go first, so a request never meets a closing one. */
const IDLE_SOCKET_MS = 4000;
const MAX_HEADER_BYTES = 16 * 1024;

function etagValue(h: string | undefined): string | undefined {
  if (h === undefined) return undefined;
  const m = /^"([^"]*)"$/.exec(h.trim());
  return m ? m[1]! : h.trim();
}

export class XcapClient {
  private readonly root: Root;
  private readonly roots: Root[];
  private readonly https: boolean;
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly inFlight = new Set<(e: Error) => void>();
  private closed = false;

  constructor(o: XcapClientOptions) {
    this.root = parseRoot(o.root);
    this.roots = [this.root, ...(o.aliases ?? []).map(parseRoot)];
    this.https = this.root.origin.startsWith('https:');
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.maxBodyBytes = o.maxBodyBytes ?? 1024 * 1024;
    const agentOptions = { keepAlive: true, maxSockets: o.maxSockets ?? 16, timeout: IDLE_SOCKET_MS };
    this.agent = this.https
      ? new HttpsAgent({ ...agentOptions, ...(o.ca !== undefined ? { ca: o.ca } : {}) })
      : new HttpAgent(agentOptions);
  }

  /**
   * GET of a path below the root (a document, or a node selector after `/~~/`), asserting `identity` (an
   * IMPU). Any answer below 500 is a response (404, 403, a 3xx that is not followed); 5xx and transport
   * failures are {@link XcapUnavailable}.
   */
  get(path: string, identity?: string): Promise<XcapResponse> {
    if (this.closed) return Promise.reject(new XcapUnavailable('the XCAP client is closed'));
    if (identity !== undefined && /["\r\n<>]/.test(identity)) {
      return Promise.reject(new TypeError(`not an identity to assert: ${JSON.stringify(identity)}`));
    }
    let target: string;
    try {
      target = `${this.root.path}/${encodePath(path.replace(/^\/+/, ''))}`;
    } catch {
      return Promise.reject(new TypeError(`not a path: ${JSON.stringify(path)}`));
    }
    const deadline = Date.now() + this.timeoutMs;
    return this.attempt(target, identity, deadline, true);
  }

  private attempt(
    target: string,
    identity: string | undefined,
    deadline: number,
    mayRetry: boolean,
  ): Promise<XcapResponse> {
    return new Promise<XcapResponse>((resolve, reject) => {
      const headers: Record<string, string> = { Accept: '*/*', 'User-Agent': USER_AGENT };
      if (identity !== undefined) headers['X-3GPP-Asserted-Identity'] = `"${identity}"`;
      const request = this.https ? httpsRequest : httpRequest;
      let settled = false;
      const finish = (e: Error | undefined, r?: XcapResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(abort);
        if (e) reject(e);
        else resolve(r!);
      };
      const req = request(`${this.root.origin}${target}`, {
        method: 'GET',
        headers,
        agent: this.agent,
        maxHeaderSize: MAX_HEADER_BYTES,
      });
      const abort = (e: Error) => {
        finish(e);
        req.destroy();
      };
      this.inFlight.add(abort);
      const timer = setTimeout(
        () => abort(new XcapUnavailable(`no answer from the XCAP server within ${this.timeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (settled) return;
        // a kept-alive connection the server closed as we wrote on it: a GET may be sent again, once
        if (mayRetry && req.reusedSocket && e.code === 'ECONNRESET' && Date.now() < deadline) {
          settled = true;
          clearTimeout(timer);
          this.inFlight.delete(abort);
          this.attempt(target, identity, deadline, false).then(resolve, reject);
          return;
        }
        finish(new XcapUnavailable(`the XCAP server is unreachable: ${e.message}`, undefined, { cause: e }));
      });
      req.on('response', (res: IncomingMessage) => this.read(res, req.destroy.bind(req), finish));
      req.end();
    });
  }

  private read(
    res: IncomingMessage,
    destroy: () => void,
    finish: (e: Error | undefined, r?: XcapResponse) => void,
  ): void {
    const status = res.statusCode ?? 0;
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
      finish(new XcapTooLarge(this.maxBodyBytes));
      destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBodyBytes) {
        finish(new XcapTooLarge(this.maxBodyBytes));
        destroy();
        return;
      }
      chunks.push(c);
    });
    res.on('close', () => {
      if (!res.complete) finish(new XcapUnavailable('the XCAP server broke off its answer'));
    });
    res.on('error', (e) =>
      finish(new XcapUnavailable(`the XCAP answer failed: ${e.message}`, undefined, { cause: e })),
    );
    res.on('end', () => {
      if (status >= 500) {
        finish(new XcapUnavailable(`the XCAP server answered ${status}`, status));
        return;
      }
      const etag = etagValue(res.headers.etag);
      const contentType = res.headers['content-type'];
      finish(undefined, {
        status,
        ...(etag !== undefined ? { etag } : {}),
        ...(contentType !== undefined ? { contentType } : {}),
        body: Buffer.concat(chunks).toString('utf8'),
      });
    });
  }

  /**
   * The path below the root of a URI that points at this XCAP server (the root or an alias: scheme and host
   * compared case-insensitively, default ports implied, dot segments resolved), with its query and without
   * its fragment; '' for the root itself; undefined for any other URI. A relative URI is taken relative to the
   * root.
   */
  pathOf(uri: string): string | undefined {
    let u: URL;
    try {
      u = new URL(uri, `${this.root.origin}${this.root.path}/`);
    } catch {
      return undefined;
    }
    for (const r of this.roots) {
      if (u.origin !== r.origin) continue;
      if (u.pathname === r.path || u.pathname === `${r.path}/`) return '';
      if (u.pathname.startsWith(`${r.path}/`)) return u.pathname.slice(r.path.length + 1) + u.search;
    }
    return undefined;
  }

  /** The user of a path in the users tree ('resource-lists/users/sip:a@h/index' → 'sip:a@h'), percent-decoded. */
  static userOf(path: string): string | undefined {
    const segs = path.replace(/^\/+/, '').split(/[?]/)[0]!.split('/');
    if (segs[1] !== 'users' || !segs[2]) return undefined;
    try {
      return decodeURIComponent(segs[2]);
    } catch {
      return undefined;
    }
  }

  /**
   * A document or node of `owner`'s own, or a global one, read as `owner` (its body on 200, else undefined,
   * also when the server is away): another user's documents are never read on someone's behalf. `owner` is
   * an AOR; the user of the path is compared as one (`aorOf`).
   */
  async getOwn(owner: string, uri: string): Promise<string | undefined> {
    const path = this.pathOf(uri);
    if (path === undefined) return undefined;
    const user = XcapClient.userOf(path);
    if (user !== undefined && aorOf(user) !== owner) return undefined;
    try {
      const res = await this.get(path, owner);
      return res.status === 200 ? res.body : undefined;
    } catch {
      return undefined;
    }
  }

  /** Ends the kept-alive connections; requests in flight fail with XcapUnavailable, later ones too. */
  close(): void {
    this.closed = true;
    for (const abort of [...this.inFlight]) abort(new XcapUnavailable('the XCAP client is closed'));
    this.agent.destroy();
  }
}
