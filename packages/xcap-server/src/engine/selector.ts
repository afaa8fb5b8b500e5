/**
 * The XCAP node selector (RFC 4825 section 6.3):
 *
 *   node-selector      = element-selector ["/" terminal-selector]
 *   element-selector   = step *( "/" step )
 *   step               = by-name / by-pos / by-attr / by-pos-attr
 *   by-pos             = NameorAny "[" position "]"
 *   by-attr            = NameorAny "[" attr-test "]"
 *   by-pos-attr        = NameorAny "[" position "]" "[" attr-test "]"
 *   attr-test          = "@" att-name "=" att-value       ; att-value = XML AttValue
 *   terminal-selector  = "@" att-name / "namespace::*"
 *
 * The caller has percent-decoded the URI; `%22`, `%5B` and `%5D` left in the syntax (outside quoted values) are
 * still read as `"`, `[` and `]`, because clients double-encode them.
 */
import { XcapError } from '../errors';
import type { SelectorContext } from '../types';
import { XML_NS, decodeReference, splitQName } from './xml-names';

export interface NameTest {
  /** `*` */
  any: boolean;
  qname: string;
  prefix: string;
  local: string;
  /** resolved namespace (null: no namespace) */
  nsUri: string | null;
}

export interface AttrTest {
  qname: string;
  prefix: string;
  local: string;
  nsUri: string | null;
  /** the value after entity decoding and attribute-value normalisation */
  value: string;
}

export interface Step {
  name: NameTest;
  /** 1-based; 0 is grammatical (1*DIGIT) and selects nothing */
  position?: number;
  attr?: AttrTest;
  /** the step as written, for reporting an ancestor */
  source: string;
}

export type Terminal =
  | { kind: 'attribute'; qname: string; prefix: string; local: string; nsUri: string | null; source: string }
  | { kind: 'namespaces'; source: string };

export interface NodeSelector {
  steps: Step[];
  terminal?: Terminal;
}

function bad(what: string, selector: string): never {
  throw new XcapError(400, `bad node selector "${selector}": ${what}`);
}

/** The steps' own text joined again: a node selector for the first `n` steps. */
export function selectorText(steps: readonly Step[], n = steps.length): string {
  return steps
    .slice(0, n)
    .map((s) => s.source)
    .join('/');
}

class SelectorParser {
  i = 0;
  constructor(
    readonly s: string,
    private readonly ctx: SelectorContext,
  ) {}

  fail(what: string): never {
    bad(`${what} at character ${this.i}`, this.s);
  }

  /** '[' / ']' / '"' also in their percent-encoded form. */
  private at(ch: '[' | ']' | '"'): number {
    const s = this.s;
    if (s[this.i] === ch) return 1;
    const enc = ch === '[' ? '%5b' : ch === ']' ? '%5d' : '%22';
    return s.slice(this.i, this.i + 3).toLowerCase() === enc ? 3 : 0;
  }

  private eat(ch: '[' | ']' | '"'): boolean {
    const n = this.at(ch);
    this.i += n;
    return n > 0;
  }

  /** A name token: up to the next syntax character. */
  private nameToken(): string {
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '/' || c === '=' || c === ']' || c === '@' || this.at('[') || this.at(']')) break;
      this.i++;
    }
    return this.s.slice(start, this.i);
  }

  private qname(what: string): { qname: string; prefix: string; local: string } {
    const qname = this.nameToken();
    if (qname === '') this.fail(`${what} expected`);
    const parts = splitQName(qname);
    if (!parts) this.fail(`invalid ${what} "${qname}"`);
    return { qname, ...parts };
  }

  private resolve(prefix: string, element: boolean): string | null {
    if (prefix === '') return element ? this.ctx.defaultNamespace || null : null;
    if (prefix === 'xml') return XML_NS;
    const uri = this.ctx.bindings.get(prefix);
    // RFC 4825 6.4: prefixes are bound only by the xmlns() query; an unbound one is a bad request
    if (uri === undefined)
      bad(`prefix "${prefix}" is not bound (add ?xmlns(${prefix}=...) to the URI)`, this.s);
    return uri;
  }

  private attValue(): string {
    const s = this.s;
    let close: string;
    if (s[this.i] === "'") {
      close = "'";
      this.i++;
    } else if (this.eat('"')) {
      // a value opened by %22 closes with %22; inside a value opened by '"', a %22 is just text
      close = s[this.i - 1] === '"' ? '"' : '%22';
    } else this.fail('quoted attribute value expected');
    let value = '';
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated attribute value');
      if (s.startsWith(close, this.i)) {
        this.i += close.length;
        return value;
      }
      const c = s[this.i] as string;
      if (c === '<') this.fail("'<' in an attribute value");
      if (c === '&') {
        const r = decodeReference(s, this.i);
        if (!r) this.fail("'&' not starting an entity or character reference");
        value += r.text;
        this.i = r.next;
      } else {
        // the same normalisation as the document's attribute values get
        value += c === '\t' || c === '\n' || c === '\r' ? ' ' : c;
        this.i++;
      }
    }
  }

  private predicates(step: Step): void {
    while (this.at('[')) {
      this.eat('[');
      const c = this.s[this.i];
      if (c !== undefined && c >= '0' && c <= '9') {
        if (step.position !== undefined || step.attr) this.fail('a position must be the first predicate');
        const start = this.i;
        while (/[0-9]/.test(this.s[this.i] ?? '')) this.i++;
        const digits = this.s.slice(start, this.i);
        // beyond any real document: keep the number finite and let it select nothing
        step.position = digits.length > 9 ? Number.MAX_SAFE_INTEGER : Number(digits);
      } else if (c === '@') {
        if (step.attr) this.fail('only one attribute test per step');
        this.i++;
        const n = this.qname('attribute name');
        if (this.s[this.i] !== '=') this.fail("'=' expected");
        this.i++;
        const value = this.attValue();
        step.attr = { ...n, nsUri: this.resolve(n.prefix, false), value };
      } else {
        this.fail(
          c === undefined || this.at(']') ? 'empty predicate' : 'position or @attribute test expected',
        );
      }
      if (!this.eat(']')) this.fail("']' expected");
    }
  }

  parse(): NodeSelector {
    const s = this.s;
    if (s.startsWith('/')) this.i = 1;
    if (this.i >= s.length) this.fail('empty node selector');
    const steps: Step[] = [];
    let terminal: Terminal | undefined;
    for (;;) {
      const start = this.i;
      if (s.startsWith('namespace::*', this.i)) {
        this.i += 'namespace::*'.length;
        if (this.i < s.length) this.fail('namespace::* must be the last step');
        terminal = { kind: 'namespaces', source: s.slice(start) };
        break;
      }
      if (s[this.i] === '@') {
        this.i++;
        const n = this.qname('attribute name');
        if (this.i < s.length) this.fail('an attribute selector must be the last step');
        terminal = { kind: 'attribute', ...n, nsUri: this.resolve(n.prefix, false), source: s.slice(start) };
        break;
      }
      let name: NameTest;
      if (s[this.i] === '*') {
        this.i++;
        name = { any: true, qname: '*', prefix: '', local: '*', nsUri: null };
      } else {
        const n = this.qname('element name');
        name = { any: false, ...n, nsUri: this.resolve(n.prefix, true) };
      }
      const step: Step = { name, source: '' };
      this.predicates(step);
      step.source = s.slice(start, this.i);
      steps.push(step);
      if (this.i >= s.length) break;
      if (s[this.i] !== '/') this.fail("'/' expected");
      this.i++;
      if (this.i >= s.length) this.fail('empty step');
    }
    if (steps.length === 0) this.fail('an element step must come first');
    return terminal ? { steps, terminal } : { steps };
  }
}

/** Parses and resolves a node selector; XcapError 400 for any grammar error or unbound prefix. */
export function parseSelector(selector: string, ctx: SelectorContext): NodeSelector {
  return new SelectorParser(selector, ctx).parse();
}
