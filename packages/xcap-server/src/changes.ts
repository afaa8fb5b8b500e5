/**
 * Committed changes as RFC 5874 xcap-diff documents, fanned out to subscribers of the change stream
 * (`GET /_changes`, server-sent events). Document level, as RFC 5874's no-patching mode: the document
 * selector with previous and new ETag; a deleted document has no new-etag.
 */
import { EventEmitter } from 'node:events';

export const XCAP_DIFF_NS = 'urn:ietf:params:xml:ns:xcap-diff';

export interface Change {
  xcapRoot: string;
  /** the document selector below the root, e.g. resource-lists/users/sip:alice@home1.net/index */
  documentSelector: string;
  previousEtag?: string;
  newEtag?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export function xcapDiff(c: Change): string {
  const prev = c.previousEtag !== undefined ? ` previous-etag="${esc(c.previousEtag)}"` : '';
  const next = c.newEtag !== undefined ? ` new-etag="${esc(c.newEtag)}"` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<xcap-diff xmlns="${XCAP_DIFF_NS}" xcap-root="${esc(c.xcapRoot)}">` +
    `<document sel="${esc(c.documentSelector)}"${prev}${next}/>` +
    `</xcap-diff>\n`
  );
}

export class ChangeFeed extends EventEmitter<{ change: [xml: string, change: Change] }> {
  publish(c: Change): void {
    this.emit('change', xcapDiff(c), c);
  }
}

/** One server-sent event (the data field may not hold raw newlines: one `data:` line per line). */
export function sseEvent(event: string, data: string, id?: number): string {
  const lines = data.replace(/\n$/, '').split('\n');
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\n${lines.map((l) => `data: ${l}`).join('\n')}\n\n`;
}
