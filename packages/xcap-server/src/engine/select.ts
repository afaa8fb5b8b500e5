/**
 * Evaluates node-selector steps over a scanned document (RFC 4825 section 6.3): the first step matches the
 * document element, each further step chooses among the element children of the previous one, and every step
 * must select exactly one element.
 */
import type { SelectorContext } from '../types';
import type { AttrTest, Step } from './selector';
import type { XmlAttribute, XmlDocument, XmlElement } from './xml-scan';

/**
 * The candidates whose name passes the step's name test. With `lenientLocalNames`, an unprefixed name that
 * matches nothing in the default namespace matches by local name in any namespace (phones send common-policy
 * `ruleset/rule` unprefixed inside simservs).
 */
export function nameMatches(
  candidates: readonly XmlElement[],
  step: Step,
  ctx: SelectorContext,
): XmlElement[] {
  const n = step.name;
  if (n.any) return candidates.slice();
  const exact = candidates.filter((e) => e.local === n.local && e.nsUri === n.nsUri);
  if (exact.length > 0 || !ctx.lenientLocalNames || n.prefix !== '') return exact;
  return candidates.filter((e) => e.local === n.local);
}

export function findAttribute(
  el: XmlElement,
  name: { local: string; nsUri: string | null },
): XmlAttribute | undefined {
  return el.attributes.find((a) => a.local === name.local && a.nsUri === name.nsUri);
}

function attrHolds(el: XmlElement, test: AttrTest): boolean {
  return findAttribute(el, test)?.value === test.value;
}

/** Applies one step to a candidate list: name test, then position, then the attribute test. */
export function applyStep(
  candidates: readonly XmlElement[],
  step: Step,
  ctx: SelectorContext,
): XmlElement | null {
  let chosen = nameMatches(candidates, step, ctx);
  if (step.position !== undefined) {
    const e = chosen[step.position - 1];
    chosen = e ? [e] : [];
  }
  if (step.attr) {
    const test = step.attr;
    chosen = chosen.filter((e) => attrHolds(e, test));
  }
  return chosen.length === 1 ? (chosen[0] as XmlElement) : null;
}

/** The element selected by the first `n` steps (all by default), or null. */
export function selectElement(
  doc: XmlDocument,
  steps: readonly Step[],
  ctx: SelectorContext,
  n = steps.length,
): XmlElement | null {
  let current: XmlElement | null = null;
  for (let k = 0; k < n; k++) {
    const step = steps[k] as Step;
    current = applyStep(current ? current.children : [doc.root], step, ctx);
    if (!current) return null;
  }
  return current;
}

/** How many leading steps select an element: the depth of the deepest existing ancestor (0: not even the root). */
export function matchingDepth(
  doc: XmlDocument,
  steps: readonly Step[],
  ctx: SelectorContext,
  n: number,
): number {
  let current: XmlElement | null = null;
  for (let k = 0; k < n; k++) {
    current = applyStep(current ? current.children : [doc.root], steps[k] as Step, ctx);
    if (!current) return k;
  }
  return n;
}
