/**
 * XCAP failures as the caller reads them. A 409 with an `application/xcap-error+xml` body (RFC 4825 11,
 * namespace urn:ietf:params:xml:ns:xcap-error) names its condition in the one child of `<xcap-error>`:
 * `no-parent` (with `<ancestor>`, 11.2), `uniqueness-failure` (`<exists field>` with `<alt-value>`s),
 * `cannot-insert`, `cannot-delete`, `not-well-formed`, `not-xml-frag`, `not-xml-att-value`,
 * `schema-validation-error`, `constraint-failure`, `not-utf-8`, or an extension; each may carry a
 * `phrase` (phones show it, TS 24.623). Other failures (403 from the AP, 404, 412 for a stale ETag, 415 ...)
 * have a status and no condition; a 412 is flagged as such.
 */
import type { UtResponse } from '../http/ut-client';
import { readXml, XmlReadError, type XmlElement } from './xml-reader';

export const XCAP_ERROR_NS = 'urn:ietf:params:xml:ns:xcap-error';
export const XCAP_ERROR_TYPE = 'application/xcap-error+xml';

/** The conditions RFC 4825 11 defines; an extension element is reported by its local name. */
export type XcapErrorCondition =
  | 'not-well-formed'
  | 'not-xml-frag'
  | 'no-parent'
  | 'schema-validation-error'
  | 'not-xml-att-value'
  | 'cannot-insert'
  | 'cannot-delete'
  | 'uniqueness-failure'
  | 'constraint-failure'
  | 'not-utf-8'
  | (string & {});

export interface XcapErrorDetail {
  condition: XcapErrorCondition;
  /** the namespace of the condition element (extensions may use their own) */
  conditionNs: string;
  phrase?: string;
  /** no-parent: the closest ancestor that exists, as the server wrote it (an HTTP URI) */
  ancestor?: string;
  /** uniqueness-failure: which fields are not unique, with values the server suggests instead */
  exists?: { field: string; altValues: string[] }[];
}

/** Reads an xcap-error body; throws {@link XmlReadError} when it is not one. */
export function parseXcapErrorBody(body: string): XcapErrorDetail {
  const root = readXml(body);
  if (root.ns !== XCAP_ERROR_NS || root.local !== 'xcap-error')
    throw new XmlReadError(`the document element is {${root.ns}}${root.local}, not xcap-error`);
  const c = root.children[0];
  if (!c || root.children.length !== 1)
    throw new XmlReadError(`xcap-error holds ${root.children.length} conditions, not one`);
  const d: XcapErrorDetail = { condition: c.local, conditionNs: c.ns };
  const phrase = c.attrs.get('phrase');
  if (phrase !== undefined) d.phrase = phrase;
  const mine = (e: XmlElement, local: string) => e.ns === XCAP_ERROR_NS && e.local === local;
  if (c.ns === XCAP_ERROR_NS && c.local === 'no-parent') {
    const a = c.children.find((e) => mine(e, 'ancestor'));
    if (a) d.ancestor = a.text.trim();
  }
  if (c.ns === XCAP_ERROR_NS && c.local === 'uniqueness-failure') {
    d.exists = c.children
      .filter((e) => mine(e, 'exists'))
      .map((e) => ({
        field: e.attrs.get('field') ?? '',
        altValues: e.children.filter((v) => mine(v, 'alt-value')).map((v) => v.text),
      }));
  }
  return d;
}

export interface XcapErrorInit {
  status: number;
  method: string;
  /** the request-target */
  uri: string;
  /** the response body as text */
  body: string;
  detail?: XcapErrorDetail;
  /** a 409 whose body could not be read as xcap-error: why */
  bodyProblem?: string;
  /** the whole answer (exchanges, connection), when it came through the Ut client */
  response?: UtResponse;
}

export class XcapError extends Error {
  override name = 'XcapError';
  readonly status: number;
  readonly method: string;
  readonly uri: string;
  readonly body: string;
  /** the xcap-error condition of a 409 (undefined for other failures) */
  readonly condition: XcapErrorCondition | undefined;
  readonly phrase: string | undefined;
  /** the parsed xcap-error body, when there was one */
  readonly detail: XcapErrorDetail | undefined;
  readonly bodyProblem: string | undefined;
  readonly response: UtResponse | undefined;

  constructor(i: XcapErrorInit) {
    const d = i.detail;
    const what = d
      ? `${d.condition}${d.phrase !== undefined ? ` (${d.phrase})` : ''}`
      : i.status === 412
        ? "precondition failed: the ETag is not the document's current one"
        : (i.body.split('\n')[0] ?? '').slice(0, 200);
    super(`${i.method} ${i.uri}: ${i.status} ${what}`.trim());
    this.status = i.status;
    this.method = i.method;
    this.uri = i.uri;
    this.body = i.body;
    this.detail = d;
    this.condition = d?.condition;
    this.phrase = d?.phrase;
    this.bodyProblem = i.bodyProblem;
    this.response = i.response;
  }

  /** 412: If-Match (or If-None-Match) did not hold: the document changed since its ETag was read. */
  get preconditionFailed(): boolean {
    return this.status === 412;
  }

  get ancestor(): string | undefined {
    return this.detail?.ancestor;
  }

  get exists(): { field: string; altValues: string[] }[] | undefined {
    return this.detail?.exists;
  }
}

/** The error for a non-2xx XCAP answer, with its xcap-error body read when it has one. */
export function xcapErrorFrom(
  i: Omit<XcapErrorInit, 'detail' | 'bodyProblem'> & { contentType: string | undefined },
): XcapError {
  const { contentType, ...rest } = i;
  const isErrorBody = (contentType ?? '').split(';')[0]!.trim().toLowerCase() === XCAP_ERROR_TYPE;
  if (!isErrorBody) return new XcapError(rest);
  try {
    return new XcapError({ ...rest, detail: parseXcapErrorBody(i.body) });
  } catch (e) {
    if (e instanceof XmlReadError) return new XcapError({ ...rest, bodyProblem: e.message });
    throw e;
  }
}
