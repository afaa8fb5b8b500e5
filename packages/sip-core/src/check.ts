/**
 * The checks a UAS makes of a well-formed request before any method handling (RFC 3261 8.2.1-8.2.2): the
 * header fields without which a request cannot be answered (To, From, CSeq, Call-ID, Via; 400 without them;
 * Max-Forwards, mandatory for a UAC since RFC 3261 8.1.1, is not required from RFC 2543 peers: RFC 4475 3.4.1), the
 * Request-URI scheme (8.2.2.1: 416 for one it does not serve), and Require (8.2.2.3: 420 with Unsupported
 * listing the option-tags it does not support). Content types are the method handler's (415 with Accept).
 */
import type { SipMessage } from './message';
import { parseUri } from './uri';

export type CheckOutcome =
  { ok: true } | { ok: false; status: number; reason: string; phrase: string; unsupported?: string[] };

export interface CheckOptions {
  /** option-tags this UAS supports (default none) */
  supportedOptions?: readonly string[];
  /** Request-URI schemes served (default sip, sips, tel) */
  uriSchemes?: readonly string[];
}

const MANDATORY = ['To', 'From', 'CSeq', 'Call-ID', 'Via'];

export function checkRequest(m: SipMessage, o: CheckOptions = {}): CheckOutcome {
  const missing = MANDATORY.filter((h) => m.get(h) === undefined);
  if (missing.length > 0) {
    return { ok: false, status: 400, reason: 'Bad Request', phrase: `missing ${missing.join(', ')}` };
  }
  const schemes = o.uriSchemes ?? ['sip', 'sips', 'tel'];
  const scheme = parseUri(m.uri!).scheme;
  if (!schemes.includes(scheme)) {
    const asSent = m.uri!.slice(0, m.uri!.indexOf(':'));
    return {
      ok: false,
      status: 416,
      reason: 'Unsupported URI Scheme',
      phrase: `the Request-URI scheme "${asSent}" is not served here`,
    };
  }
  const supported = new Set((o.supportedOptions ?? []).map((t) => t.toLowerCase()));
  const unsupported = m.getAll('Require').filter((t) => !supported.has(t.toLowerCase()));
  // RFC 3261 8.2.2.3: Require is not checked for CANCEL, nor for an ACK of a non-2xx
  if (unsupported.length > 0 && m.method !== 'CANCEL' && m.method !== 'ACK') {
    return {
      ok: false,
      status: 420,
      reason: 'Bad Extension',
      phrase: `unsupported option-tags: ${unsupported.join(', ')}`,
      unsupported,
    };
  }
  return { ok: true };
}
