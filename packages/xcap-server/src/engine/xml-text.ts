/**
 * The character data of a scanned element (the XPath string-value): text and CDATA sections of the element
 * and its descendants, references decoded, comments and processing instructions left out, line ends
 * normalised as XML 1.0 section 2.11 says a parser must.
 */
import { decodeReference } from './xml-names';
import type { XmlDocument, XmlElement } from './xml-scan';

/** Character data of bytes [from, to), which hold no element (the scanner has checked them). */
function characterData(b: Buffer, from: number, to: number): string {
  let out = '';
  let i = from;
  while (i < to) {
    const lt = b.indexOf(0x3c, i);
    const stop = lt < 0 || lt > to ? to : lt;
    if (stop > i) out += decodeText(b.toString('utf8', i, stop));
    if (stop >= to) break;
    if (b[stop + 1] === 0x21 && b[stop + 2] === 0x2d) {
      i = b.indexOf('-->', stop + 4) + 3; // comment
    } else if (b[stop + 1] === 0x21) {
      const end = b.indexOf(']]>', stop + 9); // CDATA: its text is literal
      out += b.toString('utf8', stop + 9, end).replace(/\r\n?/g, '\n');
      i = end + 3;
    } else {
      i = b.indexOf('?>', stop + 2) + 2; // processing instruction
    }
  }
  return out;
}

function decodeText(s: string): string {
  const lines = s.replace(/\r\n?/g, '\n');
  if (!lines.includes('&')) return lines;
  let out = '';
  let i = 0;
  for (let amp = lines.indexOf('&'); amp >= 0; amp = lines.indexOf('&', i)) {
    const r = decodeReference(lines, amp);
    if (!r) break; // not reachable for scanned text
    out += lines.slice(i, amp) + r.text;
    i = r.next;
  }
  return out + lines.slice(i);
}

export function textContent(xml: XmlDocument, el: XmlElement): string {
  if (el.selfClosing) return '';
  let out = '';
  let at = el.startTagEnd;
  for (const child of el.children) {
    out += characterData(xml.bytes, at, child.start) + textContent(xml, child);
    at = child.end;
  }
  return out + characterData(xml.bytes, at, el.contentEnd);
}
