/**
 * A response built from its request (RFC 3261 8.2.6): every Via in order, From, To (with the UAS's tag added
 * when the request had none, except on a 100), Call-ID, CSeq, the Timestamp on a 100 (8.2.6.1), then the
 * caller's headers (a Content-Length among them is ignored) and the body with its Content-Length.
 */
import { headerKey } from '../headers';
import { SipMessage, type HeaderField } from '../message';
import { toTag } from './match';

export type ExtraHeaders = ReadonlyArray<readonly [string, string]>;

export interface ResponseParts {
  /** the To tag to add when the request has none */
  tag?: string;
  headers?: ExtraHeaders;
  body?: Buffer | string;
}

export function buildResponse(
  request: SipMessage,
  status: number,
  reason: string,
  parts: ResponseParts = {},
): SipMessage {
  const fields: HeaderField[] = request.getAll('Via').map((value) => ({ name: 'Via', value }));
  const copy = (name: string, value = request.get(name)) => {
    if (value !== undefined) fields.push({ name, value });
  };
  copy('From');
  const to = request.get('To');
  copy(
    'To',
    to !== undefined && status > 100 && parts.tag && toTag(request) === '' ? `${to};tag=${parts.tag}` : to,
  );
  copy('Call-ID');
  copy('CSeq');
  if (status === 100) copy('Timestamp');
  for (const [name, value] of parts.headers ?? [])
    if (headerKey(name) !== 'content-length') fields.push({ name, value });
  const body =
    typeof parts.body === 'string' ? Buffer.from(parts.body, 'utf8') : (parts.body ?? Buffer.alloc(0));
  fields.push({ name: 'Content-Length', value: String(body.length) });
  return new SipMessage({ kind: 'response', status, reason, version: 'SIP/2.0' }, fields, body);
}
