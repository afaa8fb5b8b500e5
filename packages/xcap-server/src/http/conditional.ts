/**
 * Preconditions (RFC 9110 13.1, RFC 4825 7.11): If-Match with strong comparison, If-None-Match with weak
 * comparison, `*`, lists. Entity-tags are read leniently: quoted, bare (as some XCAP clients send them)
 * or weak (`W/"..."`, which never matches If-Match).
 */

interface Tag {
  weak: boolean;
  value: string;
}

function parseList(header: string): Tag[] | '*' {
  const h = header.trim();
  if (h === '*') return '*';
  const out: Tag[] = [];
  const re = /\s*(W\/)?(?:"([^"]*)"|([^",\s]+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < h.length && (m = re.exec(h)) !== null) {
    out.push({ weak: m[1] !== undefined, value: m[2] ?? m[3] ?? '' });
    if (m[0] === '') break;
  }
  return out;
}

export type Precondition = { ok: true } | { ok: false; status: 304 | 412 };

/**
 * `current` is the document's ETag value (unquoted), undefined when it does not exist. `safe` is true for
 * GET/HEAD (a matching If-None-Match gives 304 there, 412 elsewhere).
 */
export function checkPreconditions(
  headers: { 'if-match'?: string | undefined; 'if-none-match'?: string | undefined },
  current: string | undefined,
  safe: boolean,
): Precondition {
  const im = headers['if-match'];
  if (im !== undefined) {
    const l = parseList(im);
    const ok =
      l === '*'
        ? current !== undefined
        : current !== undefined && l.some((t) => !t.weak && t.value === current);
    if (!ok) return { ok: false, status: 412 };
  }
  const inm = headers['if-none-match'];
  if (inm !== undefined) {
    const l = parseList(inm);
    const matches =
      l === '*' ? current !== undefined : current !== undefined && l.some((t) => t.value === current);
    if (matches) return { ok: false, status: safe ? 304 : 412 };
  }
  return { ok: true };
}

export const quoteEtag = (v: string): string => `"${v}"`;
