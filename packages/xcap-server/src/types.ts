/** The contracts between the XCAP engine (byte-level node operations), the application usages and HTTP. */
import type { XmlDocument } from './engine';

/** How names in a node selector are resolved (RFC 4825 6.4). */
export interface SelectorContext {
  /** the application usage's default namespace: unprefixed element names are in it */
  defaultNamespace: string;
  /** prefix -> namespace URI, from the request's `?xmlns(p=uri)` query */
  bindings: ReadonlyMap<string, string>;
  /**
   * simservs as phones use it: an unprefixed step also matches an element of any namespace with that local
   * name when nothing in the default namespace matches (AOSP sends ruleset/rule unprefixed)
   */
  lenientLocalNames?: boolean;
}

/** What a GET of a node returns. */
export type NodeResult =
  | { kind: 'element'; bytes: Buffer }
  | { kind: 'attribute'; value: string }
  | { kind: 'namespaces'; bytes: Buffer };

/** Read access to stored documents, for usages whose constraints look beyond one document. */
export interface DocumentReader {
  /** every stored document of an AUID in the users tree */
  listUserDocuments(auid: string): Promise<{ xui: string; path: string; bytes: Buffer }[]>;
}

export interface ValidationContext {
  auid: string;
  /** the user of a users-tree document */
  xui: string;
  /** document path under users/<xui>/ (e.g. "index") */
  documentPath: string;
  /** absolute XCAP root URI, e.g. https://xcap.home1.net:8443/services */
  xcapRoot: string;
  documents: DocumentReader;
}

/** One application usage (RFC 4825 section 5): everything the server needs to know about an AUID. */
export interface AppUsage {
  auid: string;
  /** default document namespace */
  namespace: string;
  /** MIME type of its documents */
  mimeType: string;
  /** the document name clients use, e.g. "index" or "simservs.xml" (others are allowed too) */
  defaultDocument: string;
  /** global tree: none (404), or a document the server generates (read-only) */
  global?: {
    generate(ctx: {
      documents: DocumentReader;
      xcapRoot: string;
      usages: readonly AppUsage[];
    }): Promise<Buffer>;
  };
  /** users may write their documents (false for xcap-caps) */
  writable: boolean;
  lenientLocalNames?: boolean;
  /** its constraints read other users' documents (so its changes are serialised across users) */
  constraintsAcrossUsers?: boolean;
  /**
   * Checks a complete document after a change: XSD validation (schema-validation-error), then the usage's
   * uniqueness (uniqueness-failure) and other constraints (constraint-failure). Throws XcapError 409.
   */
  validate(xml: XmlDocument, ctx: ValidationContext): Promise<void>;
}
