/**
 * The XCAP URI of RFC 4825 section 6: XCAP root, AUID, `global` or `users/<XUI>`, document path, and an
 * optional node selector after `~~`, with `xmlns(prefix=uri)` bindings in the query (6.4).
 */
import { XcapError } from '../errors';

export interface XcapUri {
  auid: string;
  tree: 'global' | 'users';
  /** users tree: the XUI, percent-decoded */
  xui?: string;
  /** document path under the tree (users: under users/<xui>/), percent-decoded */
  documentPath: string;
  /** the node selector, percent-decoded, without the leading `~~/` */
  nodeSelector?: string;
  /** prefix -> namespace URI from the query */
  bindings: Map<string, string>;
  /** the document selector as it appears in xcap-diff and no-parent ancestors (still percent-encoded) */
  documentSelector: string;
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new XcapError(400, `${what} is not valid percent-encoding`);
  }
}

/** `xmlns(a=urn:x)xmlns(b=urn:y)`, the query of RFC 4825 6.4 (percent-decoded first). */
export function parseBindings(query: string): Map<string, string> {
  const out = new Map<string, string>();
  let q = decode(query.replace(/\+/g, '%2B'), 'the query');
  while (q.length) {
    const m = /^xmlns\(\s*([A-Za-z_][\w.-]*)\s*=\s*([^)\s]+)\s*\)/.exec(q);
    if (!m) throw new XcapError(400, `cannot read the query "${q}": expected xmlns(prefix=namespace-uri)`);
    out.set(m[1]!, m[2]!);
    q = q.slice(m[0].length);
  }
  return out;
}

/**
 * Splits a request target below the root. Throws 404 for paths that name no document and 400 for what
 * cannot be read.
 */
export function parseXcapUri(target: string, root: string): XcapUri {
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  const query = q >= 0 ? target.slice(q + 1) : '';
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  if (!rawPath.startsWith(base + '/')) throw new XcapError(404, `not under the XCAP root ${base}/`);
  const rest = rawPath.slice(base.length + 1);
  const tilde = rest.indexOf('~~');
  let docPart = rest;
  let nodeSelector: string | undefined;
  if (tilde >= 0) {
    if (rest.slice(tilde - 1, tilde + 3) !== '/~~/') {
      throw new XcapError(
        400,
        'the node selector separator is "/~~/" (between the document and the node selector)',
      );
    }
    docPart = rest.slice(0, tilde - 1);
    nodeSelector = decode(rest.slice(tilde + 3), 'the node selector');
    if (nodeSelector === '') throw new XcapError(400, 'empty node selector');
  }
  const segs = docPart.split('/');
  const auid = decode(segs[0] ?? '', 'the AUID');
  if (!auid) throw new XcapError(404, 'no application usage in the path');
  const tree = segs[1];
  let xui: string | undefined;
  let docSegs: string[];
  if (tree === 'global') {
    docSegs = segs.slice(2);
  } else if (tree === 'users') {
    if (!segs[2]) throw new XcapError(404, 'no user in the path (users/<XUI>/<document>)');
    xui = decode(segs[2], 'the XUI');
    docSegs = segs.slice(3);
  } else {
    throw new XcapError(
      404,
      `the path must continue with "global" or "users" after the AUID, got "${tree ?? ''}"`,
    );
  }
  if (docSegs.length === 0 || docSegs.some((s) => s === '')) {
    throw new XcapError(404, 'no document in the path (directories are not served)');
  }
  return {
    auid,
    tree,
    ...(xui !== undefined ? { xui } : {}),
    documentPath: docSegs.map((s) => decode(s, 'the document path')).join('/'),
    ...(nodeSelector !== undefined ? { nodeSelector } : {}),
    bindings: parseBindings(query),
    documentSelector: docPart,
  };
}
