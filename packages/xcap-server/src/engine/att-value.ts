/**
 * Attribute bodies (application/xcap-att+xml, RFC 4825 sections 8.2.5 and 15.2.2): the bare attribute value,
 * i.e. the XML AttValue production without its enclosing quotes.
 */
import { XcapError } from '../errors';
import { checkUtf8 } from './xml-scan';
import { decodeReference, escapeAttribute, isXmlChar } from './xml-names';

function notAttValue(what: string): never {
  throw XcapError.conflict('not-xml-att-value', `not an XML attribute value: ${what}`);
}

/**
 * Checks an attribute PUT body and returns the value it stands for (references decoded, whitespace normalised as
 * in a document). It is stored verbatim between quotes, so it may contain neither '<' nor a raw quote of either
 * kind (the body carries no quotes of its own, so any quote in it is a stray one), and '&' only as a reference.
 */
export function parseAttributeBody(body: Buffer): string {
  checkUtf8(body);
  const s = body.toString('utf8');
  let value = '';
  for (let i = 0; i < s.length;) {
    const cp = s.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    if (ch === '<') notAttValue("'<' must be written &lt;");
    if (ch === '"' || ch === "'") notAttValue(`a ${ch} must be written ${ch === '"' ? '&quot;' : '&apos;'}`);
    if (ch === '&') {
      const r = decodeReference(s, i);
      if (!r) notAttValue("'&' not starting an entity or character reference");
      value += r.text;
      i = r.next;
      continue;
    }
    if (!isXmlChar(cp)) notAttValue(`character U+${cp.toString(16).toUpperCase()}`);
    value += ch === '\t' || ch === '\n' || ch === '\r' ? ' ' : ch;
    if (ch === '\r' && s[i + 1] === '\n') i++;
    i += ch.length;
  }
  return value;
}

/**
 * The application/xcap-att+xml body for a GET of an attribute whose value is `value`: escaped so that it is a
 * valid AttValue that a PUT of the same body accepts and stores as the same value.
 */
export function attributeBody(value: string): string {
  return escapeAttribute(value).replace(/'/g, '&apos;');
}
