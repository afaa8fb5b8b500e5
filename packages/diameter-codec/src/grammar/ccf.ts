/** Command grammars in the Command Code Format of RFC 6733 section 3.2, parsed once at load time. */

export interface GrammarRule {
  name: string;
  min: number;
  max: number;
  /** `< Session-Id >`: the AVP has a fixed position at the head of the message. */
  fixedHead: boolean;
}

export interface CommandGrammar {
  /** e.g. `MAR` on Cx. */
  abbrev: string;
  commandCode: number;
  /** The application the command is defined in; undefined for base commands of any application. */
  applicationId?: number;
  request: boolean;
  rules: GrammarRule[];
  /** `*[AVP]`: AVPs the grammar does not list are allowed. */
  allowOther: boolean;
  /** Groups of which at least one AVP must be present (Result-Code or Experimental-Result in answers). */
  oneOf: string[][];
  /** The RFC / TS section the grammar comes from. */
  ref: string;
}

/** Parses `<Session-Id> {Origin-Host} 1*{Host-IP-Address} *[AVP]` into rules. */
export function parseCcf(ccf: string): { rules: GrammarRule[]; allowOther: boolean } {
  const rules: GrammarRule[] = [];
  let allowOther = false;
  for (const token of ccf.trim().split(/\s+/)) {
    const m = /^(\d*)(\*?)(\d*)([<[{])([A-Za-z0-9_-]+)[>\]}]$/.exec(token);
    if (!m) throw new Error(`bad CCF token ${token}`);
    const [, lo = '', star = '', hi = '', open = '', name = ''] = m;
    if (name === 'AVP') {
      allowOther = true;
      continue;
    }
    const required = open !== '[';
    const min = lo !== '' ? Number(lo) : required ? 1 : 0;
    const max = star === '' ? 1 : hi === '' ? Infinity : Number(hi);
    rules.push({ name, min: star === '' ? (required ? 1 : 0) : min, max, fixedHead: open === '<' });
  }
  return { rules, allowOther };
}

export function grammar(
  abbrev: string,
  commandCode: number,
  applicationId: number | undefined,
  request: boolean,
  ref: string,
  ccf: string,
  oneOf: string[][] = [],
): CommandGrammar {
  const g: CommandGrammar = { abbrev, commandCode, request, ...parseCcf(ccf), oneOf, ref };
  if (applicationId !== undefined) g.applicationId = applicationId;
  return g;
}
