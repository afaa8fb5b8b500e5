/**
 * The Via rules of the transport layer: what a server adds to the top Via of a request it receives (RFC 3261
 * 18.2.1 `received`, RFC 3581 `rport`), where a response goes (RFC 3261 18.2.2 with RFC 3581), and whether a
 * response's top Via is this client's (18.1.2).
 */
import { headerKey } from '../headers';
import { parseParams, splitList, type Param } from '../lexer';
import type { SipMessage } from '../message';
import { parseVia, type Via } from '../validate';
import type { HostPort } from './types';

/** A host without IPv6 brackets, lower case, an IPv6 address in its canonical (compressed) form. */
export function normalHost(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h.includes(':')) {
    try {
      return new URL(`http://[${h}]/`).hostname.slice(1, -1);
    } catch {
      return h.toLowerCase();
    }
  }
  return h.toLowerCase();
}

export function sameHost(a: string, b: string): boolean {
  return normalHost(a) === normalHost(b);
}

function param(via: { params: Param[] }, name: string): Param | undefined {
  return via.params.find((p) => p.name.toLowerCase() === name);
}

/**
 * One Via value with `received` and `rport` as a server adds them: `received=<source address>` when the
 * sent-by host is not the source address, or whenever `rport` is present without a value (RFC 3581 4), and
 * `rport=<source port>` for an empty `rport`. The sent-by part stays as sent, the parameters are rewritten
 * as `;name=value`. Returns the value unchanged when nothing is to be added (or it is not a Via).
 */
export function stampViaValue(value: string, source: HostPort): string {
  let via: Via;
  try {
    via = parseVia(value);
  } catch {
    return value;
  }
  const rport = param(via, 'rport');
  const emptyRport = rport !== undefined && rport.value === undefined;
  if (!emptyRport && sameHost(via.host, source.host)) return value;
  const semi = value.indexOf(';');
  const head = (semi < 0 ? value : value.slice(0, semi)).replace(/[ \t]+$/, '');
  const params = parseParams(value, semi < 0 ? value.length : semi).map((p) => ({ ...p }));
  if (emptyRport) params.find((p) => p.name.toLowerCase() === 'rport')!.value = String(source.port);
  const received = params.find((p) => p.name.toLowerCase() === 'received');
  if (received) received.value = normalHost(source.host);
  else params.push({ name: 'received', value: normalHost(source.host) });
  return head + params.map((p) => `;${p.name}${p.value !== undefined ? `=${p.value}` : ''}`).join('');
}

/** Stamps the top Via of a received request in place (RFC 3261 18.2.1); other fields keep their bytes. */
export function stampTopVia(m: SipMessage, source: HostPort): void {
  const field = m.headers.find((h) => headerKey(h.name) === 'via');
  if (!field) return;
  const values = splitList(field.value);
  const top = values[0];
  if (top === undefined) return;
  const stamped = stampViaValue(top, source);
  if (stamped === top) return;
  field.value = [stamped, ...values.slice(1)].join(', ');
  delete field.raw;
}

/** The top Via of a message, parsed; undefined when there is none or it does not parse. */
export function topVia(m: SipMessage): Via | undefined {
  const v = m.getAll('Via')[0];
  if (v === undefined) return undefined;
  try {
    return parseVia(v);
  } catch {
    return undefined;
  }
}

/**
 * Where a response goes when there is no connection to send it on (RFC 3261 18.2.2, RFC 3581 4): to `maddr`
 * at the sent-by port if the Via has one; else to `received` (or the sent-by host), at `rport` on an
 * unreliable transport when it has a value, else at the sent-by port (default 5060).
 */
export function responseDestination(via: Via, reliable: boolean): HostPort {
  const port = via.port ?? 5060;
  const maddr = param(via, 'maddr')?.value;
  if (maddr !== undefined) return { host: normalHost(maddr), port };
  const received = param(via, 'received')?.value;
  const rport = param(via, 'rport')?.value;
  return {
    host: normalHost(received ?? via.host),
    port: !reliable && rport !== undefined && /^\d+$/.test(rport) ? Number(rport) : port,
  };
}

/** Whether a response's top Via carries this transport's sent-by (RFC 3261 18.1.2: else it is discarded). */
export function isOurVia(via: Via, sentBy: HostPort): boolean {
  return sameHost(via.host, sentBy.host) && (via.port ?? 5060) === sentBy.port;
}
