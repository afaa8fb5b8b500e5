/**
 * The presentity's sphere (RFC 4480 3.2, `<rpid:sphere>` of a `<person>`), which the RFC 5025 sphere
 * condition compares with: the text of the first `<sphere>` element of the composed document, if any.
 */
import { parseXml, isElement, textOf, type Element } from '../xml/dom';

const RPID_NS = 'urn:ietf:params:xml:ns:pidf:rpid';

export function sphereOf(pidf: string | undefined): string | undefined {
  if (pidf === undefined || !pidf.includes('sphere')) return undefined;
  let root: Element;
  try {
    root = parseXml(pidf).documentElement!;
  } catch {
    return undefined;
  }
  const found = root.getElementsByTagNameNS(RPID_NS, 'sphere')[0];
  if (!isElement(found)) return undefined;
  // <sphere><work/></sphere> names the sphere by an element; <sphere>text</sphere> by its text
  for (let c = found.firstChild; c; c = c.nextSibling) if (isElement(c)) return c.localName ?? undefined;
  return textOf(found) || undefined;
}
