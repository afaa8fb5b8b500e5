export { getNode, putNode, putDocument, deleteNode, type PutResult } from './operations';
export { parseAttributeBody, attributeBody } from './att-value';
export {
  parseSelector,
  selectorText,
  type NodeSelector,
  type Step,
  type NameTest,
  type AttrTest,
  type Terminal,
} from './selector';
export { selectElement, applyStep, nameMatches, findAttribute, matchingDepth } from './select';
export {
  scanDocument,
  scanFragment,
  checkUtf8,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ATTRIBUTES,
  type XmlDocument,
  type XmlElement,
  type XmlAttribute,
  type XmlFragment,
  type ScanOptions,
} from './xml-scan';
export { XML_NS, XMLNS_NS, isNCName, splitQName, escapeAttribute } from './xml-names';
export { textContent } from './xml-text';
