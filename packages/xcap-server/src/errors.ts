/**
 * XCAP errors (RFC 4825 section 11): a status, and for 409 one of the xcap-error conditions, written as an
 * `application/xcap-error+xml` body (namespace urn:ietf:params:xml:ns:xcap-error).
 */

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
  | 'not-utf-8';

export interface UniquenessField {
  /** node selector of the offending node, e.g. `/resource-lists/list[1]/@name` (positions 1-based) */
  field: string;
  /** suggested values that would be unique */
  altValues?: string[];
}

export class XcapError extends Error {
  override name = 'XcapError';
  constructor(
    /** HTTP status: 400, 403, 404, 405, 409, 412, 413, 415 ... */
    readonly status: number,
    message: string,
    readonly detail: {
      /** 409 only: the xcap-error condition */
      condition?: XcapErrorCondition;
      /** the `phrase` attribute: a human-readable reason (phones show it to the user) */
      phrase?: string;
      /** no-parent: the closest existing ancestor, as an absolute HTTP URI */
      ancestor?: string;
      /**
       * no-parent, as the engine reports it: the node selector of the closest existing ancestor element ('' when
       * not even the document element matches, so the ancestor is the document); HTTP turns it into `ancestor`
       */
      ancestorSelector?: string;
      /** uniqueness-failure */
      exists?: UniquenessField[];
      /** 405: the methods allowed */
      allow?: string[];
    } = {},
  ) {
    super(message);
  }

  static conflict(
    condition: XcapErrorCondition,
    phrase: string,
    extra: Omit<XcapError['detail'], 'condition' | 'phrase'> = {},
  ) {
    return new XcapError(409, `${condition}: ${phrase}`, { condition, phrase, ...extra });
  }
}

export const XCAP_ERROR_NS = 'urn:ietf:params:xml:ns:xcap-error';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The application/xcap-error+xml body of a 409. */
export function xcapErrorBody(e: XcapError): string {
  const c = e.detail.condition ?? 'constraint-failure';
  const phrase = e.detail.phrase !== undefined ? ` phrase="${esc(e.detail.phrase)}"` : '';
  let inner = '';
  if (c === 'no-parent' && e.detail.ancestor !== undefined)
    inner = `<ancestor>${esc(e.detail.ancestor)}</ancestor>`;
  if (c === 'uniqueness-failure') {
    inner = (e.detail.exists ?? [])
      .map(
        (x) =>
          `<exists field="${esc(x.field)}">${(x.altValues ?? []).map((v) => `<alt-value>${esc(v)}</alt-value>`).join('')}</exists>`,
      )
      .join('');
  }
  const el = inner ? `<${c}${phrase}>${inner}</${c}>` : `<${c}${phrase}/>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<xcap-error xmlns="${XCAP_ERROR_NS}">${el}</xcap-error>\n`;
}
