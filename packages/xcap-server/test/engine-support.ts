/** What the engine tests share: selector contexts, byte helpers, and the OpenXCAP test_element.py document. */
import { scanDocument, type XmlDocument } from '../src/engine';
import { XcapError } from '../src/errors';
import type { SelectorContext } from '../src/types';

export const RL = 'urn:ietf:params:xml:ns:resource-lists';

export const ctx = (
  defaultNamespace: string,
  bindings: Record<string, string> = {},
  lenient = false,
): SelectorContext => ({
  defaultNamespace,
  bindings: new Map(Object.entries(bindings)),
  lenientLocalNames: lenient,
});

export const rl = ctx(RL);

export const B = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A document scanned, as the operations take it. */
export const X = (s: string | Buffer): XmlDocument => scanDocument(typeof s === 'string' ? B(s) : s);

/** The XcapError `f` throws (any other outcome fails the test). */
export function xcapError(f: () => unknown): XcapError {
  try {
    f();
  } catch (e) {
    if (e instanceof XcapError) return e;
    throw e;
  }
  throw new Error('no XcapError thrown');
}

/** the OpenXCAP test_element.py document */
export const OX = `<?xml version="1.0" encoding="UTF-8"?>
   <resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
     <list name="friends">
      <entry uri="sip:joe@example.com">
        <display-name>Joe Smith</display-name>
      </entry>
      <entry uri="sip:nancy@example.com">
        <display-name>Nancy Gross</display-name>
      </entry>
      <entry uri="sip:petri@example.com">
        <display-name>Petri Aukia</display-name>
      </entry>
      <external anchor="http://xcap.example.org/resource-lists/users/sip:a@example.org/index/~~/resource-lists/list%5b@name=%22mkting%22%5d"/>
     </list>
   </resource-lists>`;
