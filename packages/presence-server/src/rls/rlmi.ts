/**
 * RFC 4662 section 5: the Resource List Meta-Information document (application/rlmi+xml: <list> with uri,
 * version, fullState and name; <resource> with uri and name; <instance> with id, state, reason and cid) and
 * the NOTIFY body that carries it, multipart/related (RFC 2387) with type="application/rlmi+xml", the RLMI
 * document as the root named by `start`, and one part per active instance whose state is sent, its
 * Content-ID (RFC 2392, `local@domain`) being the instance's cid without angle brackets. Pending and
 * terminated instances have no body part, hence no cid.
 *
 * Also the identifiers a list subscription needs: instance ids stable per (list subscription, resource), so
 * that partial notifications (fullState="false") name the instance the subscriber already holds, and fresh
 * Content-IDs for every part. Which NOTIFY carries full state, and the version counter, are the notifier's
 * business. Not here: <name> in several languages (one name, no xml:lang), the list-level cid and nested
 * lists' RLMI (a part may itself be such a body: it is carried opaquely), Content-Transfer-Encoding other
 * than the identity encodings (SIP carries bodies as binary).
 */
import { randomBytes } from 'node:crypto';
import { buildMultipart, parseMultipart, parseParams, parseUri, unquote } from '@ut-testbed/sip-core';
import { XmlError } from '../pidf';
import { attr, child, children, parseXml, textOf, type Element } from '../xml/dom';

export const RLMI_NS = 'urn:ietf:params:xml:ns:rlmi';
export const RLMI_TYPE = 'application/rlmi+xml';

export type RlmiState = 'active' | 'pending' | 'terminated';

export interface RlmiInstance {
  id: string;
  state: RlmiState;
  /** with state terminated: the Subscription-State reason of the back-end subscription */
  reason?: string;
  /** the Content-ID (no angle brackets) of the part holding the state; active instances only */
  cid?: string;
}

export interface RlmiResource {
  uri: string;
  name?: string;
  instances: RlmiInstance[];
}

export interface RlmiList {
  uri: string;
  /** xs:unsignedInt */
  version: number;
  fullState: boolean;
  name?: string;
  resources: RlmiResource[];
}

export interface InstanceBody {
  cid: string;
  contentType: string;
  body: string | Buffer;
}

/** A NOTIFY body that breaks RFC 4662 or RFC 2387 (the cause, when there is one, says more). */
export class ListBodyError extends Error {}

const STATES: readonly string[] = ['active', 'pending', 'terminated'];
const MAX_VERSION = 4294967295;
// control characters are exactly what this finds
// eslint-disable-next-line no-control-regex
const NON_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function esc(s: string, what: string): string {
  if (NON_XML.test(s)) throw new Error(`${what} holds a character XML cannot carry`);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Instances that may reference a body part; throws for a cid where RFC 4662 has no part. */
function checkInstance(i: RlmiInstance, resource: string): void {
  if (!STATES.includes(i.state)) throw new Error(`instance ${i.id} of ${resource}: state "${i.state}"`);
  if (i.id === '') throw new Error(`an instance of ${resource} without an id`);
  if (i.cid !== undefined && i.state !== 'active')
    throw new Error(`instance ${i.id} of ${resource} is ${i.state}: it has no body part, so no cid`);
}

export function buildRlmi(list: RlmiList): string {
  if (!Number.isInteger(list.version) || list.version < 0 || list.version > MAX_VERSION)
    throw new RangeError(`version ${list.version} is not an xs:unsignedInt`);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<list xmlns="${RLMI_NS}" uri="${esc(list.uri, 'the list uri')}" version="${list.version}" fullState="${list.fullState}">`,
  ];
  if (list.name !== undefined) lines.push(`  <name>${esc(list.name, 'the list name')}</name>`);
  for (const r of list.resources) {
    lines.push(`  <resource uri="${esc(r.uri, 'a resource uri')}">`);
    if (r.name !== undefined) lines.push(`    <name>${esc(r.name, 'a resource name')}</name>`);
    for (const i of r.instances) {
      checkInstance(i, r.uri);
      let a = `id="${esc(i.id, 'an instance id')}" state="${i.state}"`;
      if (i.reason !== undefined) a += ` reason="${esc(i.reason, 'a reason')}"`;
      if (i.cid !== undefined) a += ` cid="${esc(i.cid, 'a cid')}"`;
      lines.push(`    <instance ${a}/>`);
    }
    lines.push('  </resource>');
  }
  lines.push('</list>', '');
  return lines.join('\n');
}

function required(el: Element, name: string): string {
  const v = attr(el, name);
  if (v === undefined) throw new XmlError(`<${el.localName}> without ${name}`);
  return v;
}

function nameOf(el: Element): string | undefined {
  const n = child(el, RLMI_NS, 'name');
  return n ? textOf(n) : undefined;
}

/** for the ue-client and tests; XmlError on bad input */
export function parseRlmi(xml: string): RlmiList {
  const root = parseXml(xml).documentElement!;
  if (root.namespaceURI !== RLMI_NS || root.localName !== 'list') throw new XmlError('not an RLMI document');
  const version = required(root, 'version').trim();
  if (!/^\+?\d+$/.test(version) || Number(version) > MAX_VERSION)
    throw new XmlError(`version "${version}" is not an xs:unsignedInt`);
  const fullState = required(root, 'fullState').trim();
  if (!['true', 'false', '1', '0'].includes(fullState))
    throw new XmlError(`fullState "${fullState}" is not an xs:boolean`);
  const list: RlmiList = {
    uri: required(root, 'uri').trim(),
    version: Number(version),
    fullState: fullState === 'true' || fullState === '1',
    resources: [],
  };
  const listName = nameOf(root);
  if (listName !== undefined) list.name = listName;
  for (const r of children(root, RLMI_NS, 'resource')) {
    const resource: RlmiResource = { uri: required(r, 'uri').trim(), instances: [] };
    const name = nameOf(r);
    if (name !== undefined) resource.name = name;
    for (const i of children(r, RLMI_NS, 'instance')) {
      const state = required(i, 'state');
      if (!STATES.includes(state)) throw new XmlError(`instance state "${state}"`);
      const instance: RlmiInstance = { id: required(i, 'id'), state: state as RlmiState };
      const reason = attr(i, 'reason');
      if (reason !== undefined) instance.reason = reason;
      const cid = attr(i, 'cid');
      if (cid !== undefined) instance.cid = cid;
      resource.instances.push(instance);
    }
    list.resources.push(resource);
  }
  return list;
}

// ---------------------------------------------------------------------------------------------------------
// The multipart/related body
// ---------------------------------------------------------------------------------------------------------

// RFC 5322 3.6.4 msg-id without the brackets: dot-atom-text "@" (dot-atom-text / no-fold-literal)
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const DOT_ATOM = `${ATOM}(?:\\.${ATOM})*`;
const CONTENT_ID = new RegExp(`^${DOT_ATOM}@(?:${DOT_ATOM}|\\[[^\\[\\]\\\\\\s]*\\])$`);

export function isContentId(cid: string): boolean {
  return CONTENT_ID.test(cid);
}

function token(): string {
  return randomBytes(9).toString('base64url');
}

/** The host of a SIP URI as the right side of a Content-ID, or undefined. */
function domainOf(uri: string): string | undefined {
  try {
    const u = parseUri(uri);
    const host = (u as { host?: string }).host;
    return host !== undefined && isContentId(`x@${host}`) ? host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The identifiers of one list subscription. Instance ids are stable per resource, for as long as the RLS
 * holds the same back-end subscription to it, so that a partial notification's instance is the one the
 * subscriber already has (RFC 4662 section 5.2); Content-IDs are new for every part, as RFC 2392 wants
 * them unique, and a part of a later NOTIFY is another body.
 */
export class ListIds {
  private readonly instances = new Map<string, string>();
  private readonly used = new Set<string>();
  private counter = 0;

  /** `domain`: the right side of the Content-IDs, the RLS's host name */
  constructor(readonly domain: string) {
    if (!isContentId(`x@${domain}`)) throw new Error(`"${domain}" cannot be the domain of a Content-ID`);
  }

  /** the instance id of the current back-end subscription to `resource` */
  instanceId(resource: string): string {
    return this.instances.get(resource) ?? this.renewInstance(resource);
  }

  /** a new back-end subscription to `resource` (the previous one ended): a new instance id */
  renewInstance(resource: string): string {
    let id: string;
    do id = randomBytes(6).toString('base64url');
    while (this.used.has(id));
    this.used.add(id);
    this.instances.set(resource, id);
    return id;
  }

  /** a Content-ID, without angle brackets, unique to this part */
  contentId(): string {
    return `${token()}.${++this.counter}@${this.domain}`;
  }
}

/**
 * the NOTIFY body: multipart/related; type="application/rlmi+xml"; start="<cid of the RLMI part>";
 * boundary=...; the RLMI part first, then the instances' parts in the RLMI's order. Every active instance
 * with a cid needs its part, and every part an instance naming it.
 */
export function buildListNotifyBody(
  list: RlmiList,
  parts: InstanceBody[],
  o: { rootCid?: string; boundary?: string } = {},
): { contentType: string; body: Buffer } {
  const rootCid = o.rootCid ?? `${token()}@${domainOf(list.uri) ?? 'rls.invalid'}`;
  if (!isContentId(rootCid)) throw new Error(`"${rootCid}" is not a Content-ID`);
  const byCid = new Map<string, InstanceBody>();
  for (const p of parts) {
    if (!isContentId(p.cid)) throw new Error(`"${p.cid}" is not a Content-ID`);
    if (p.cid === rootCid || byCid.has(p.cid)) throw new Error(`Content-ID ${p.cid} is used twice`);
    byCid.set(p.cid, p);
  }
  const rlmi = buildRlmi(list);
  const ordered: InstanceBody[] = [];
  const named = new Set<string>();
  for (const r of list.resources) {
    for (const i of r.instances) {
      if (i.cid === undefined) continue;
      if (named.has(i.cid)) throw new Error(`two instances name the part ${i.cid}`);
      named.add(i.cid);
      const p = byCid.get(i.cid);
      if (!p) throw new Error(`no part for instance ${i.id} of ${r.uri} (cid ${i.cid})`);
      byCid.delete(i.cid);
      ordered.push(p);
    }
  }
  if (byCid.size > 0) throw new Error(`parts no instance names: ${[...byCid.keys()].join(', ')}`);
  const part = (cid: string, type: string, body: string | Buffer) => ({
    headers: [
      { name: 'Content-Transfer-Encoding', value: 'binary' },
      { name: 'Content-ID', value: `<${cid}>` },
      { name: 'Content-Type', value: type },
    ],
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  });
  const built = buildMultipart(
    [
      part(rootCid, `${RLMI_TYPE};charset="UTF-8"`, rlmi),
      ...ordered.map((p) => part(p.cid, p.contentType, p.body)),
    ],
    o.boundary,
  );
  return {
    contentType: `multipart/related;type="${RLMI_TYPE}";start="<${rootCid}>";boundary="${built.boundary}"`,
    body: built.body,
  };
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

function header(p: { headers: { name: string; value: string }[] }, name: string): string | undefined {
  const all = p.headers.filter((h) => h.name.toLowerCase() === name);
  if (all.length > 1) throw new ListBodyError(`a part with ${all.length} ${name} headers`);
  return all[0]?.value;
}

function bracketed(v: string, what: string): string {
  const m = /^<([^<>]*)>$/.exec(v.trim());
  if (!m || !isContentId(m[1]!)) throw new ListBodyError(`${what} "${v}" is not <local@domain>`);
  return m[1]!;
}

/**
 * parses such a body (the subscriber side): the RLMI list and the parts by cid (the root excluded); throws
 * ListBodyError on a body that breaks RFC 4662/2387: not multipart/related, type not application/rlmi+xml,
 * a start that names no part, a root that is not RLMI (or not valid RLMI), a part without Content-ID or two
 * with the same one, an active instance's cid without its part, a cid on a pending or terminated instance.
 */
export function parseListNotifyBody(
  contentType: string,
  body: Buffer,
): { list: RlmiList; parts: Map<string, InstanceBody> } {
  const m = /^\s*multipart\/related(?=\s*;|\s*$)/i.exec(contentType);
  if (!m) throw new ListBodyError(`${contentType} is not multipart/related`);
  let type: string | undefined;
  let start: string | undefined;
  let raw: { headers: { name: string; value: string }[]; body: Buffer }[];
  try {
    for (const p of parseParams(contentType, m[0].length)) {
      const v = p.value === undefined ? undefined : p.value.startsWith('"') ? unquote(p.value) : p.value;
      if (p.name.toLowerCase() === 'type') type = v;
      else if (p.name.toLowerCase() === 'start') start = v;
    }
    raw = parseMultipart(contentType, body);
  } catch (e) {
    throw new ListBodyError(`the multipart body: ${(e as Error).message}`, { cause: e });
  }
  // RFC 2387 section 3.1: type is required; RFC 4662 section 5: it is the RLMI type
  if (type === undefined || type.trim().toLowerCase() !== RLMI_TYPE)
    throw new ListBodyError(`multipart/related with type ${type ?? '(none)'}, not ${RLMI_TYPE}`);
  if (raw.length === 0) throw new ListBodyError('a multipart/related body without parts');
  const parts = raw.map((p) => {
    const cid = header(p, 'content-id');
    const cte = header(p, 'content-transfer-encoding')?.trim().toLowerCase();
    if (cte !== undefined && !['binary', '8bit', '7bit'].includes(cte))
      throw new ListBodyError(`Content-Transfer-Encoding ${cte} is not supported`);
    return {
      cid: cid === undefined ? undefined : bracketed(cid, 'Content-ID'),
      // RFC 2045 section 5.2
      contentType: header(p, 'content-type')?.trim() ?? 'text/plain',
      body: p.body,
    };
  });
  // RFC 2387 section 3.2: without start, the root is the first part
  const rootCid = start === undefined ? undefined : bracketed(start, 'start');
  const root = rootCid === undefined ? parts[0]! : parts.find((p) => p.cid === rootCid);
  if (!root) throw new ListBodyError(`no part has the start Content-ID <${rootCid}>`);
  if (mediaType(root.contentType) !== RLMI_TYPE)
    throw new ListBodyError(`the root part is ${root.contentType}, not ${RLMI_TYPE}`);
  let list: RlmiList;
  try {
    list = parseRlmi(root.body.toString('utf8'));
  } catch (e) {
    throw new ListBodyError(`the RLMI document: ${(e as Error).message}`, { cause: e });
  }
  const byCid = new Map<string, InstanceBody>();
  for (const p of parts) {
    if (p === root) continue;
    if (p.cid === undefined) throw new ListBodyError('a part without Content-ID: no instance can name it');
    if (byCid.has(p.cid) || p.cid === root.cid) throw new ListBodyError(`Content-ID <${p.cid}> twice`);
    byCid.set(p.cid, { cid: p.cid, contentType: p.contentType, body: p.body });
  }
  for (const r of list.resources) {
    for (const i of r.instances) {
      if (i.cid === undefined) continue;
      if (i.state !== 'active')
        throw new ListBodyError(`instance ${i.id} of ${r.uri} is ${i.state} and names part ${i.cid}`);
      if (!byCid.has(i.cid))
        throw new ListBodyError(`no part for instance ${i.id} of ${r.uri} (cid ${i.cid})`);
    }
  }
  return { list, parts: byCid };
}
