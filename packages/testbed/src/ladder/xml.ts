/**
 * Escaping for the HTML page, which is also well-formed XML (XHTML), so that it reads the same in a
 * browser and in an XML parser.
 */

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text for an XML text node or a quoted attribute. Callers pass text through `oneLine` first or know it is
 * printable: the characters XML 1.0 forbids are replaced here all the same, since one would make the whole
 * page unreadable to an XML parser.
 */
export function escapeXml(text: string): string {
  return (
    text
      .replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!)
      // eslint-disable-next-line no-control-regex -- the characters XML 1.0 forbids
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/gu, '\ufffd')
  );
}

/**
 * JSON for a `<script type="application/json">`, with everything but printable ASCII written as a `\uXXXX`
 * escape, and `/` as `\/`. No `<` can end the script element or open markup in HTML, no `&` or `]]>` can
 * break the XML, no character XML forbids appears, and no URL from a message (`https://...`) is left in
 * the page's source for a scanner to take for a reference. `JSON.parse` reads back the exact strings.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]|[<>&/]/g, (c) =>
    c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
