/**
 * Scans of stored documents by document and ETag, least recently used first out, bounded by the documents'
 * total size. A change's own scan goes in as it is made, so the next request on that document (an element GET,
 * or the next element PUT) selects without scanning the document again.
 */
import type { XmlDocument } from '../engine';

export class ScanCache {
  private readonly entries = new Map<string, { etag: string; xml: XmlDocument }>();
  private bytes = 0;

  constructor(private readonly maxBytes = 4 * 1024 * 1024) {}

  get(doc: string, etag: string): XmlDocument | undefined {
    const e = this.entries.get(doc);
    if (!e || e.etag !== etag) return undefined;
    // re-inserting makes it the most recently used
    this.entries.delete(doc);
    this.entries.set(doc, e);
    return e.xml;
  }

  set(doc: string, etag: string, xml: XmlDocument): void {
    this.delete(doc);
    if (xml.bytes.length > this.maxBytes) return;
    this.entries.set(doc, { etag, xml });
    this.bytes += xml.bytes.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.xml.bytes.length;
    }
  }

  delete(doc: string): void {
    const e = this.entries.get(doc);
    if (!e) return;
    this.entries.delete(doc);
    this.bytes -= e.xml.bytes.length;
  }
}
