/**
 * One XCAP request (RFC 4825 sections 7 and 8), in the order the checks apply: URI (400/404), identity
 * (403), application usage (404), method (405), body limits and type (413/415), preconditions (412/304),
 * then the operation, validation (409) and the commit. Document changes are serialised per document, so
 * concurrent PUTs with the same If-Match see each other: one wins, the others get 412.
 */
import type { IncomingMessage } from 'node:http';
import { XcapError } from '../errors';
import type { ChangeFeed } from '../changes';
import type { DocumentKey, DocumentStore } from '../store/types';
import type { AppUsage, NodeResult, SelectorContext, ValidationContext } from '../types';
import {
  attributeBody,
  deleteNode,
  getNode,
  putDocument,
  putNode,
  scanDocument,
  type XmlDocument,
} from '../engine';
import { checkPreconditions, quoteEtag } from './conditional';
import { isTrusted, parseAssertedIdentities, sameIdentity } from './identity';
import type { ScanCache } from './scan-cache';
import { parseXcapUri, type XcapUri } from './xcap-uri';

export const MIME_ELEMENT = 'application/xcap-el+xml';
export const MIME_ATTRIBUTE = 'application/xcap-att+xml';
export const MIME_NAMESPACES = 'application/xcap-ns+xml';
export const MIME_ERROR = 'application/xcap-error+xml';

export interface HandlerContext {
  root: string;
  trustedProxies: readonly string[];
  usages: ReadonlyMap<string, AppUsage>;
  allUsages: readonly AppUsage[];
  store: DocumentStore;
  scans: ScanCache;
  changes: ChangeFeed;
  maxBodyBytes: number;
}

/** The request body, read once by the listener (which also keeps it for the trace). */
export type BodyReader = () => Promise<Buffer>;

export interface XcapResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

/**
 * Per-document queue: a change starts when the previous one on the same document has been staged in the store
 * (not committed: it builds on the staged version, and its answer waits for its own commit, which comes after).
 */
const queues = new Map<string, Promise<unknown>>();
function serialised<T>(key: string, op: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.then(op, op);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

const mediaType = (h: string | undefined) => (h ?? '').split(';')[0]!.trim().toLowerCase();

/** A change ready to answer once committed (boxed so that awaiting the queue does not await the commit). */
interface Pending {
  answer: Promise<XcapResponse>;
}

const noContent = (status: number, headers: [string, string][] = []): XcapResponse => ({
  status,
  headers,
  body: Buffer.alloc(0),
});

/** The absolute XCAP root as clients see it (for no-parent ancestors and xcap-diff). */
function xcapRoot(req: IncomingMessage, root: string, trusted: boolean): string {
  const proto = trusted
    ? String(req.headers['x-forwarded-proto'] ?? 'http')
        .split(',')[0]!
        .trim()
    : 'http';
  const host = (trusted && req.headers['x-forwarded-host']) || req.headers.host || 'localhost';
  return `${proto}://${String(host)}${root.endsWith('/') ? root.slice(0, -1) : root}`;
}

function targetKind(sel: string | undefined): 'document' | 'element' | 'attribute' | 'namespaces' {
  if (sel === undefined) return 'document';
  const last = sel.slice(sel.lastIndexOf('/') + 1);
  if (last === 'namespace::*') return 'namespaces';
  if (last.startsWith('@')) return 'attribute';
  return 'element';
}

function nodeResponse(n: NodeResult): { type: string; body: Buffer } {
  if (n.kind === 'element') return { type: MIME_ELEMENT, body: n.bytes };
  if (n.kind === 'namespaces') return { type: MIME_NAMESPACES, body: n.bytes };
  // the value written back as an AttValue, so that a PUT of what a GET returned is accepted again
  return { type: MIME_ATTRIBUTE, body: Buffer.from(attributeBody(n.value), 'utf8') };
}

export async function handleXcap(
  req: IncomingMessage,
  ctx: HandlerContext,
  readBody: BodyReader,
): Promise<XcapResponse> {
  const uri: XcapUri = parseXcapUri(req.url ?? '/', ctx.root);
  const trusted = isTrusted(req.socket.remoteAddress, ctx.trustedProxies);
  if (!trusted) {
    throw new XcapError(
      403,
      'requests are accepted only from the Authentication Proxy (xcap.trustedProxies)',
    );
  }
  const identities = parseAssertedIdentities(req.headers['x-3gpp-asserted-identity']);
  if (identities.length === 0) throw new XcapError(403, 'no X-3GPP-Asserted-Identity');
  const usage = ctx.usages.get(uri.auid);
  if (!usage) throw new XcapError(404, `no application usage "${uri.auid}"`);
  if (uri.tree === 'users' && !identities.some((i) => sameIdentity(i, uri.xui!))) {
    throw new XcapError(403, `${uri.xui} is not the asserted identity`);
  }
  const method = req.method ?? 'GET';
  const root = xcapRoot(req, ctx.root, trusted);
  const selCtx: SelectorContext = {
    defaultNamespace: usage.namespace,
    bindings: uri.bindings,
    ...(usage.lenientLocalNames ? { lenientLocalNames: true } : {}),
  };
  const kind = targetKind(uri.nodeSelector);

  if (uri.tree === 'global') {
    if (method !== 'GET' && method !== 'HEAD') {
      throw new XcapError(405, 'global documents are read-only', { allow: ['GET'] });
    }
    if (!usage.global || uri.documentPath !== 'index')
      throw new XcapError(404, `no global document ${uri.documentPath}`);
    const doc = await usage.global.generate({ documents: ctx.store, xcapRoot: root, usages: ctx.allUsages });
    const out =
      uri.nodeSelector !== undefined
        ? nodeResponse(getNode(scanDocument(doc), uri.nodeSelector, selCtx))
        : { type: usage.mimeType, body: doc };
    return {
      status: 200,
      headers: [
        ['Content-Type', out.type],
        ['Cache-Control', 'no-cache'],
      ],
      body: method === 'HEAD' ? Buffer.alloc(0) : out.body,
    };
  }

  const key: DocumentKey = { auid: uri.auid, xui: uri.xui!, path: uri.documentPath };
  const docId = `${key.auid}\n${key.xui}\n${key.path}`;
  // a usage whose constraints read other users' documents changes one document at a time
  const queue = usage.constraintsAcrossUsers ? key.auid : docId;
  const vctx: ValidationContext = {
    auid: uri.auid,
    xui: uri.xui!,
    documentPath: uri.documentPath,
    xcapRoot: root,
    documents: { listUserDocuments: (auid) => ctx.store.listUserDocuments(auid, 'latest') },
  };
  const scanned = (id: string, d: { bytes: Buffer; etag: string }): XmlDocument => {
    let xml = ctx.scans.get(id, d.etag);
    if (!xml) {
      xml = scanDocument(d.bytes);
      ctx.scans.set(id, d.etag, xml);
    }
    return xml;
  };
  /** The answer once the staged change is committed; the change is published on the change stream then. */
  const afterCommit = (
    w: { etag?: string; previousEtag?: string; committed: Promise<void> },
    status: number,
  ): Pending => ({
    answer: w.committed.then(() => {
      ctx.changes.publish({
        xcapRoot: root,
        documentSelector: uri.documentSelector,
        ...(w.previousEtag !== undefined ? { previousEtag: w.previousEtag } : {}),
        ...(w.etag !== undefined ? { newEtag: w.etag } : {}),
      });
      return noContent(status, w.etag !== undefined ? [['ETag', quoteEtag(w.etag)]] : []);
    }),
  });
  const userDir = `${root}/${uri.documentSelector.split('/').slice(0, 3).join('/')}`;
  const noParentAt = (e: unknown): never => {
    if (e instanceof XcapError && e.detail.condition === 'no-parent' && e.detail.ancestor === undefined) {
      const sel = e.detail.ancestorSelector;
      throw XcapError.conflict('no-parent', e.detail.phrase ?? 'the parent does not exist', {
        ancestor: sel
          ? `${root}/${uri.documentSelector}/~~/${encodeURI(sel)}`
          : `${root}/${uri.documentSelector}`,
      });
    }
    throw e;
  };

  switch (method) {
    case 'GET':
    case 'HEAD': {
      const stored = await ctx.store.get(key);
      const pre = checkPreconditions(req.headers, stored?.etag, true);
      if (!pre.ok)
        return {
          status: pre.status,
          headers: stored ? [['ETag', quoteEtag(stored.etag)]] : [],
          body: Buffer.alloc(0),
        };
      if (!stored) throw new XcapError(404, `no document ${uri.documentPath} for ${uri.xui}`);
      const out =
        uri.nodeSelector !== undefined
          ? nodeResponse(getNode(scanned(docId, stored), uri.nodeSelector, selCtx))
          : { type: usage.mimeType, body: stored.bytes };
      return {
        status: 200,
        headers: [
          ['Content-Type', out.type],
          ['ETag', quoteEtag(stored.etag)],
          ['Cache-Control', 'no-cache'],
        ],
        body: method === 'HEAD' ? Buffer.alloc(0) : out.body,
      };
    }
    case 'PUT': {
      if (!usage.writable)
        throw new XcapError(405, `${usage.auid} documents are read-only`, { allow: ['GET'] });
      if (kind === 'namespaces')
        throw new XcapError(405, 'namespace bindings are read-only', { allow: ['GET'] });
      const want = kind === 'document' ? usage.mimeType : kind === 'element' ? MIME_ELEMENT : MIME_ATTRIBUTE;
      if (mediaType(req.headers['content-type']) !== want) {
        throw new XcapError(415, `the body of this PUT must be ${want}`);
      }
      const body = await readBody();
      const pending = await serialised(queue, async (): Promise<Pending> => {
        const stored = await ctx.store.latest(key);
        const pre = checkPreconditions(req.headers, stored?.etag, false);
        if (!pre.ok) return { answer: Promise.resolve(noContent(412)) };
        let xml: XmlDocument;
        let created: boolean;
        if (kind === 'document') {
          xml = putDocument(body);
          created = stored === undefined;
        } else {
          if (!stored) {
            throw XcapError.conflict('no-parent', `there is no document ${uri.documentPath}`, {
              ancestor: userDir,
            });
          }
          try {
            ({ xml, created } = putNode(scanned(docId, stored), uri.nodeSelector!, body, selCtx));
          } catch (e) {
            return noParentAt(e);
          }
        }
        await usage.validate(xml, vctx);
        const w = ctx.store.put(key, xml.bytes);
        ctx.scans.set(docId, w.etag!, xml);
        return afterCommit(w, created ? 201 : 200);
      });
      return pending.answer;
    }
    case 'DELETE': {
      if (!usage.writable)
        throw new XcapError(405, `${usage.auid} documents are read-only`, { allow: ['GET'] });
      if (kind === 'namespaces')
        throw new XcapError(405, 'namespace bindings are read-only', { allow: ['GET'] });
      const pending = await serialised(queue, async (): Promise<Pending> => {
        const stored = await ctx.store.latest(key);
        const pre = checkPreconditions(req.headers, stored?.etag, false);
        if (!pre.ok) return { answer: Promise.resolve(noContent(412)) };
        if (!stored) throw new XcapError(404, `no document ${uri.documentPath} for ${uri.xui}`);
        if (kind === 'document') {
          ctx.scans.delete(docId);
          return afterCommit(ctx.store.delete(key), 200);
        }
        const xml = deleteNode(scanned(docId, stored), uri.nodeSelector!, selCtx);
        await usage.validate(xml, vctx);
        const w = ctx.store.put(key, xml.bytes);
        ctx.scans.set(docId, w.etag!, xml);
        return afterCommit(w, 200);
      });
      return pending.answer;
    }
    default:
      throw new XcapError(405, `method ${method} is not allowed`, { allow: ['GET', 'PUT', 'DELETE'] });
  }
}
