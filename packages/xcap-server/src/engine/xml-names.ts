/** XML 1.0 (5th edition) names and characters, and Namespaces in XML 1.0 QNames. */

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

// XML 1.0 NameStartChar, without ':' (an NCName: the colon is what separates prefix and local part)
const NAME_START_RANGES: readonly (readonly [number, number])[] = [
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
  [0xc0, 0xd6],
  [0xd8, 0xf6],
  [0xf8, 0x2ff],
  [0x370, 0x37d],
  [0x37f, 0x1fff],
  [0x200c, 0x200d],
  [0x2070, 0x218f],
  [0x2c00, 0x2fef],
  [0x3001, 0xd7ff],
  [0xf900, 0xfdcf],
  [0xfdf0, 0xfffd],
  [0x10000, 0xeffff],
];
// NameChar adds these to NameStartChar
const NAME_MORE_RANGES: readonly (readonly [number, number])[] = [
  [0x2d, 0x2e],
  [0x30, 0x39],
  [0xb7, 0xb7],
  [0x300, 0x36f],
  [0x203f, 0x2040],
];

function inRanges(cp: number, ranges: readonly (readonly [number, number])[]): boolean {
  for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true;
  return false;
}

const ASCII_NCNAME_RE = /^[A-Za-z_][A-Za-z0-9._-]*$/;

export function isNCName(s: string): boolean {
  // most names are ASCII: one pattern test; the others go code point by code point
  if (ASCII_NCNAME_RE.test(s)) return true;
  if (s === '') return false;
  let first = true;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (!inRanges(cp, NAME_START_RANGES) && (first || !inRanges(cp, NAME_MORE_RANGES))) return false;
    first = false;
  }
  return true;
}

export interface QNameParts {
  prefix: string;
  local: string;
}

/** Splits a QName (`p:local` or `local`); null if it is not a namespace-well-formed name. */
export function splitQName(qname: string): QNameParts | null {
  const colon = qname.indexOf(':');
  if (colon < 0) return isNCName(qname) ? { prefix: '', local: qname } : null;
  const prefix = qname.slice(0, colon);
  const local = qname.slice(colon + 1);
  if (!isNCName(prefix) || !isNCName(local)) return null;
  return { prefix, local };
}

/** XML `Char`: what may appear in a document, literally or as a character reference. */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/**
 * Decodes the reference starting at `s[i] === '&'` (one of the five predefined entities or a character
 * reference); returns the text and the index after ';', or null if it is not a valid reference. No other
 * entity can be valid: DTDs are refused, so nothing can declare one.
 */
export function decodeReference(s: string, i: number): { text: string; next: number } | null {
  const semi = s.indexOf(';', i + 1);
  // the longest valid reference is `&#x10FFFF;` (plus leading zeros, which we bound generously)
  if (semi < 0 || semi - i > 32) return null;
  const body = s.slice(i + 1, semi);
  const named = PREDEFINED[body];
  if (named !== undefined) return { text: named, next: semi + 1 };
  let cp: number;
  if (/^#[0-9]+$/.test(body)) cp = parseInt(body.slice(1), 10);
  else if (/^#x[0-9a-fA-F]+$/.test(body)) cp = parseInt(body.slice(2), 16);
  else return null;
  if (!isXmlChar(cp)) return null;
  return { text: String.fromCodePoint(cp), next: semi + 1 };
}

/** Escapes text for use inside a double-quoted attribute value. */
export function escapeAttribute(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}
