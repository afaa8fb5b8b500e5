/**
 * The UE's XCAP client (RFC 4825 7, 8; TS 24.623 5.2.1) over the Ut HTTP client: GET, PUT and DELETE of
 * documents, elements and attributes by URI parts, the ETag of each document tracked from every answer
 * and sent in If-Match on writes (7.11: a lost update becomes a 412 instead of overwriting someone else's
 * change), MIME types per RFC 4825 (`application/xcap-el+xml`, `-att+xml`) and per application usage for
 * documents, and failures thrown as {@link XcapError} with the xcap-error condition of a 409 read.
 * The public identity of a request is the XUI of its URI: the Ut client adds X-3GPP-Intended-Identity when
 * that is not the user's default identity. A global document has no XUI, so the AP would not know whom to
 * authenticate: there the default identity is named in X-3GPP-Intended-Identity.
 *
 * Not implemented: xcap-caps discovery (the root is configured), directory listings (OMA xcap-directory),
 * xcap-diff subscriptions (RFC 5875), HEAD, PATCH-like partial updates.
 */
import type { UtClient, UtResponse } from '../http/ut-client';
import { EtagStore } from './etags';
import { documentSelector, xcapPath, XcapUriError, type XcapDocumentRef, type XcapNodeRef } from './uri';
import { xcapErrorFrom } from './xcap-error';

/** Document MIME types of the application usages the testbed serves (RFC 4826, 5025, TS 24.623 ...). */
export const DOCUMENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  'resource-lists': 'application/resource-lists+xml',
  'rls-services': 'application/rls-services+xml',
  'pres-rules': 'application/auth-policy+xml',
  'org.openmobilealliance.pres-rules': 'application/auth-policy+xml',
  'pidf-manipulation': 'application/pidf+xml',
  'simservs.ngn.etsi.org': 'application/vnd.etsi.simservs+xml',
  'xcap-caps': 'application/xcap-caps+xml',
});

export const ELEMENT_TYPE = 'application/xcap-el+xml';
export const ATTRIBUTE_TYPE = 'application/xcap-att+xml';

export interface XcapClientOptions {
  /** the XCAP root as the UE knows it, e.g. https://xcap.home1.net:8443/services */
  root: string | URL;
  http: UtClient;
  /** the user's XUI (default: the Ut client's default identity) */
  xui?: string;
  /** If-Match with the document's known ETag on PUT and DELETE (default true) */
  conditional?: boolean;
}

export interface XcapResult {
  status: number;
  /** the document's ETag after this answer, as received (quoted) */
  etag?: string;
  contentType?: string;
  body: string;
  /** the request-target */
  uri: string;
  response: UtResponse;
}

export interface XcapRequestOptions {
  /** the public identity acting (default: the XUI of the reference; none for the global tree) */
  identity?: string;
  /** more headers */
  headers?: Record<string, string>;
}

export interface XcapWriteOptions extends XcapRequestOptions {
  /** Content-Type (default: by what the URI selects and its AUID) */
  type?: string;
  /** If-Match: an entity-tag or `*`; false for none (default: the document's known ETag) */
  ifMatch?: string | false;
  /** If-None-Match, e.g. `*` for create-only */
  ifNoneMatch?: string;
}

export interface XcapGetOptions extends XcapRequestOptions {
  /** If-None-Match (a 304 is returned, not thrown) */
  ifNoneMatch?: string;
}

export class XcapClient {
  readonly #http: UtClient;
  readonly #rootPath: string;
  readonly #root: URL;
  readonly #xui: string | undefined;
  readonly #conditional: boolean;
  readonly etags = new EtagStore();

  constructor(o: XcapClientOptions) {
    this.#http = o.http;
    this.#root = new URL(String(o.root));
    const mine = new URL(o.http.origin);
    if (this.#root.protocol !== mine.protocol || this.#root.host !== mine.host)
      throw new XcapUriError(
        `the XCAP root ${this.#root.origin} is not the Ut client's server ${mine.origin}`,
      );
    this.#rootPath = this.#root.pathname.replace(/\/+$/, '');
    this.#xui = o.xui ?? o.http.defaultIdentity;
    this.#conditional = o.conditional ?? true;
  }

  get xui(): string | undefined {
    return this.#xui;
  }

  #ref<T extends XcapDocumentRef>(ref: T): T {
    return ref.global || ref.xui !== undefined ? ref : { ...ref, xui: this.#xui };
  }

  /** The request-target (path and query) of a reference. */
  path(ref: XcapNodeRef): string {
    return xcapPath(this.#rootPath, this.#ref(ref));
  }

  #absolute(path: string): string {
    return `${this.#root.origin}${path}`;
  }

  /** `<root>/<auid>/users/<xui>/<doc>` (or `global`), as an absolute URI. */
  documentUri(ref: XcapDocumentRef): string {
    const { auid, xui, global, document } = this.#ref(ref);
    return this.#absolute(
      xcapPath(this.#rootPath, { auid, document, ...(global ? { global } : {}), ...(xui ? { xui } : {}) }),
    );
  }

  /** A document URI with `/~~/` and element steps. */
  elementUri(ref: XcapNodeRef): string {
    if (!ref.node?.length) throw new XcapUriError('an element URI needs node steps');
    if (ref.attribute !== undefined || ref.namespaceBindings)
      throw new XcapUriError('an element URI ends in an element step');
    return this.#absolute(this.path(ref));
  }

  /** An element URI followed by `/@name`. */
  attributeUri(ref: XcapNodeRef & { attribute: string }): string {
    if (!ref.node?.length) throw new XcapUriError('an attribute URI needs the steps to its element');
    return this.#absolute(this.path(ref));
  }

  /** The known ETag of the document a reference is in. */
  etag(ref: XcapDocumentRef): string | undefined {
    return this.etags.get(documentSelector(this.#ref(ref)));
  }

  forgetEtag(ref: XcapDocumentRef): void {
    this.etags.forget(documentSelector(this.#ref(ref)));
  }

  get(ref: XcapNodeRef, o: XcapGetOptions = {}): Promise<XcapResult> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.ifNoneMatch !== undefined) headers['If-None-Match'] = o.ifNoneMatch;
    return this.#send('GET', ref, undefined, undefined, headers, o.identity);
  }

  put(ref: XcapNodeRef, body: string | Buffer, o: XcapWriteOptions = {}): Promise<XcapResult> {
    const type =
      o.type ??
      (ref.attribute !== undefined
        ? ATTRIBUTE_TYPE
        : ref.node?.length
          ? ELEMENT_TYPE
          : (DOCUMENT_TYPES[ref.auid] ?? 'application/xml'));
    return this.#send('PUT', ref, body, type, this.#conditions(ref, o), o.identity);
  }

  delete(ref: XcapNodeRef, o: Omit<XcapWriteOptions, 'type'> = {}): Promise<XcapResult> {
    return this.#send('DELETE', ref, undefined, undefined, this.#conditions(ref, o), o.identity);
  }

  #conditions(ref: XcapNodeRef, o: XcapWriteOptions): Record<string, string> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const known = this.etag(ref);
    const ifMatch = o.ifMatch ?? (this.#conditional ? known : undefined);
    if (ifMatch !== undefined && ifMatch !== false) headers['If-Match'] = ifMatch;
    if (o.ifNoneMatch !== undefined) headers['If-None-Match'] = o.ifNoneMatch;
    return headers;
  }

  async #send(
    method: 'GET' | 'PUT' | 'DELETE',
    refIn: XcapNodeRef,
    body: string | Buffer | undefined,
    type: string | undefined,
    headers: Record<string, string>,
    identity: string | undefined,
  ): Promise<XcapResult> {
    const ref = this.#ref(refIn);
    const uri = xcapPath(this.#rootPath, ref);
    const doc = documentSelector(ref);
    // a global document has no XUI to tell the AP whom to authenticate: the default identity is named
    const who = identity ?? (ref.global ? this.#xui : ref.xui);
    const r = await this.#http.request(method, uri, {
      ...(body !== undefined ? { body } : {}),
      ...(type !== undefined ? { type } : {}),
      headers,
      ...(who !== undefined ? { identity: who } : {}),
      ...(ref.global ? { nameIdentity: 'always' as const } : {}),
    });
    const etag = typeof r.headers.etag === 'string' ? r.headers.etag : undefined;
    const contentType = typeof r.headers['content-type'] === 'string' ? r.headers['content-type'] : undefined;
    const wholeDocument = !ref.node?.length;
    const ok = r.status >= 200 && r.status < 300;
    if (ok || r.status === 304) {
      this.etags.update(doc, etag, ok && method === 'DELETE' && wholeDocument);
      return {
        status: r.status,
        ...(this.etags.get(doc) !== undefined ? { etag: this.etags.get(doc)! } : {}),
        ...(contentType !== undefined ? { contentType } : {}),
        body: r.text,
        uri,
        response: r,
      };
    }
    // a document that is not there has no ETag; any other failure leaves the known one as it was
    if (r.status === 404 && wholeDocument) this.etags.forget(doc);
    throw xcapErrorFrom({ status: r.status, method, uri, contentType, body: r.text, response: r });
  }
}
