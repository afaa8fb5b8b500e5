/** Event and Subscription-State values (RFC 6665 8.2.1, 8.2.3) and Accept matching. */
import { parseParams, SipSyntaxError } from '../lexer';

export interface EventValue {
  type: string;
  id?: string;
}

/** `presence;id=1` → { type: 'presence', id: '1' }; undefined when absent or not a token with parameters. */
export function parseEvent(v: string | undefined): EventValue | undefined {
  if (v === undefined) return undefined;
  const m = /^([A-Za-z0-9\-.!%*_+`'~]+)(.*)$/.exec(v);
  if (!m) return undefined;
  try {
    const id = parseParams(m[2]!, 0).find((p) => p.name.toLowerCase() === 'id')?.value;
    return { type: m[1]!, ...(id !== undefined ? { id } : {}) };
  } catch (e) {
    if (e instanceof SipSyntaxError) return undefined;
    throw e;
  }
}

export function formatEvent(e: EventValue): string {
  return e.id !== undefined ? `${e.type};id=${e.id}` : e.type;
}

export type SubState = 'active' | 'pending' | 'terminated';

export interface SubscriptionStateValue {
  state: SubState | string;
  expires?: number;
  reason?: string;
  retryAfter?: number;
}

export function parseSubscriptionState(v: string): SubscriptionStateValue {
  const m = /^([A-Za-z0-9\-.!%*_+`'~]+)(.*)$/.exec(v);
  if (!m) throw new SipSyntaxError(`Subscription-State "${v}" is not a state`);
  const params = parseParams(m[2]!, 0);
  const get = (n: string) => params.find((p) => p.name.toLowerCase() === n)?.value;
  const num = (n: string) => {
    const x = get(n);
    return x !== undefined && /^\d+$/.test(x) ? Number(x) : undefined;
  };
  const expires = num('expires');
  const retryAfter = num('retry-after');
  const reason = get('reason');
  return {
    state: m[1]!.toLowerCase(),
    ...(expires !== undefined ? { expires } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  };
}

/** Whether one of the Accept values (media ranges, parameters ignored) covers one of `offered`. */
export function acceptable(accept: readonly string[], offered: readonly string[]): boolean {
  const ranges = accept.map((a) => a.split(';')[0]!.trim().toLowerCase());
  return offered.some((o) => {
    const [type] = o.toLowerCase().split('/');
    return ranges.some((r) => r === '*/*' || r === o.toLowerCase() || r === `${type}/*`);
  });
}
