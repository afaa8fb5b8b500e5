/**
 * Dialogs (RFC 3261 section 12) as SUBSCRIBE/NOTIFY use them (RFC 6665 section 4). A dialog is created by
 * the UAS from a request it accepts (12.1.1: route set = Record-Route in order, remote target = Contact,
 * remote sequence number = the request's CSeq, local sequence number empty) and by the UAC from a 2xx
 * (12.1.2: route set = Record-Route reversed, remote target = Contact, local sequence number = the
 * request's CSeq). A subscriber may also create it from a NOTIFY that arrives before the 2xx (RFC 6665
 * 4.1.2.4): the NOTIFY is a request it receives, so its Record-Route is taken in order, as a UAS does.
 *
 * In-dialog requests (12.2.1.1): Request-URI = remote target, Route = the route set (loose routing: the
 * first route has `lr`; a strict first route becomes the Request-URI and the remote target the last Route),
 * From/To with the tags, CSeq = ++localSeq (one number per request, in the order requests are built: a
 * caller that must keep them ordered on the wire sends them in that order, as the notifier does). Received
 * in-dialog requests (12.2.2): a CSeq lower than the remote sequence number is out of order: 500.
 */
import type { SipMessage } from '../message';
import { parseNameAddr } from '../name-addr';
import { createRequest } from '../endpoint';
import type { ExtraHeaders } from '../transaction/response';
import type { Protocol, StreamConnection, Target } from '../transport/types';
import type { SipUri } from '../uri';
import { parseCSeq } from '../validate';

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** The tag parameter of a From or To value ('' without one). */
export function tagParam(value: string | undefined): string {
  if (value === undefined) return '';
  return parseNameAddr(value).params.find((p) => p.name.toLowerCase() === 'tag')?.value ?? '';
}

/** A From/To value without its tag parameter (the rest as sent). */
function withoutTag(value: string): string {
  return value.replace(/[ \t]*;[ \t]*tag[ \t]*=[ \t]*[^;]*/i, '');
}

/** The URI of the first Contact value (undefined without one). */
function contactUri(m: SipMessage): string | undefined {
  const c = m.getAll('Contact')[0];
  return c === undefined || c === '*' ? undefined : parseNameAddr(c).uri;
}

/** The dialog id a received request belongs to (its To tag is ours). */
export function requestDialogId(req: SipMessage): DialogId {
  return {
    callId: req.get('Call-ID') ?? '',
    localTag: tagParam(req.get('To')),
    remoteTag: tagParam(req.get('From')),
  };
}

export class Dialog {
  readonly id: DialogId;
  /** the local and remote URIs as name-addr values without tags (From and To of our requests) */
  readonly localUri: string;
  readonly remoteUri: string;
  remoteTarget: string;
  readonly routeSet: readonly string[];
  /** the last CSeq number used by this end (0: none yet) */
  localSeq: number;
  /** the last CSeq number received from the other end (undefined: none yet) */
  remoteSeq: number | undefined;
  readonly secure: boolean;
  /** the transport to use when the route or target URI names none (the one the dialog was created over) */
  readonly protocol: Protocol;
  /**
   * The TCP connection the other end reached us over. While it is open and there is no route set, requests
   * go back over it rather than to the remote target: the target's port is usually a listening port the
   * other end may not have (a phone behind NAT, SIPp with -t t1), while its connection reaches it.
   */
  flow: StreamConnection | undefined;

  constructor(o: {
    id: DialogId;
    localUri: string;
    remoteUri: string;
    remoteTarget: string;
    routeSet: readonly string[];
    localSeq: number;
    remoteSeq: number | undefined;
    secure: boolean;
    protocol: Protocol;
  }) {
    this.id = o.id;
    this.localUri = o.localUri;
    this.remoteUri = o.remoteUri;
    this.remoteTarget = o.remoteTarget;
    this.routeSet = o.routeSet;
    this.localSeq = o.localSeq;
    this.remoteSeq = o.remoteSeq;
    this.secure = o.secure;
    this.protocol = o.protocol;
    this.flow = undefined;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /** UAS side (12.1.1): from the request accepted and the To tag of our response. */
  static fromRequest(req: SipMessage, localTag: string, protocol: Protocol): Dialog {
    const target = contactUri(req);
    if (target === undefined) throw new TypeError('a dialog-creating request needs a Contact');
    return new Dialog({
      id: { callId: req.get('Call-ID')!, localTag, remoteTag: tagParam(req.get('From')) },
      localUri: withoutTag(req.get('To')!),
      remoteUri: withoutTag(req.get('From')!),
      remoteTarget: target,
      routeSet: req.getAll('Record-Route'),
      localSeq: 0,
      remoteSeq: parseCSeq(req.get('CSeq')!).seq,
      secure: req.uri!.toLowerCase().startsWith('sips:'),
      protocol,
    });
  }

  /** UAC side (12.1.2): from the request sent and its 2xx. */
  static fromResponse(req: SipMessage, res: SipMessage, protocol: Protocol): Dialog {
    const target = contactUri(res);
    if (target === undefined) throw new TypeError('a dialog-creating 2xx needs a Contact');
    return new Dialog({
      id: {
        callId: req.get('Call-ID')!,
        localTag: tagParam(req.get('From')),
        remoteTag: tagParam(res.get('To')),
      },
      localUri: withoutTag(req.get('From')!),
      remoteUri: withoutTag(req.get('To')!),
      remoteTarget: target,
      routeSet: [...res.getAll('Record-Route')].reverse(),
      localSeq: parseCSeq(req.get('CSeq')!).seq,
      remoteSeq: undefined,
      secure: req.uri!.toLowerCase().startsWith('sips:'),
      protocol,
    });
  }

  /**
   * Subscriber side, from a NOTIFY that came before the 2xx to the SUBSCRIBE (RFC 6665 4.1.2.4): remote
   * tag = the NOTIFY's From tag, remote target = its Contact, route set = its Record-Route in order.
   */
  static fromNotify(subscribe: SipMessage, notify: SipMessage, protocol: Protocol): Dialog {
    const target = contactUri(notify);
    if (target === undefined) throw new TypeError('a NOTIFY needs a Contact');
    return new Dialog({
      id: {
        callId: subscribe.get('Call-ID')!,
        localTag: tagParam(subscribe.get('From')),
        remoteTag: tagParam(notify.get('From')),
      },
      localUri: withoutTag(subscribe.get('From')!),
      remoteUri: withoutTag(subscribe.get('To')!),
      remoteTarget: target,
      routeSet: notify.getAll('Record-Route'),
      localSeq: parseCSeq(subscribe.get('CSeq')!).seq,
      remoteSeq: parseCSeq(notify.get('CSeq')!).seq,
      secure: subscribe.uri!.toLowerCase().startsWith('sips:'),
      protocol,
    });
  }

  /** A request in this dialog (12.2.1.1), with the next local CSeq number. */
  createRequest(method: string, headers: ExtraHeaders = [], body?: Buffer | string): SipMessage {
    this.localSeq += 1;
    let uri = this.remoteTarget;
    let routes = [...this.routeSet];
    const first = routes[0];
    if (first !== undefined && !isLooseRoute(first)) {
      uri = parseNameAddr(first).uri.replace(/;[ \t]*lr(?=[;>]|$)/i, '');
      routes = [...routes.slice(1), `<${this.remoteTarget}>`];
    }
    return createRequest({
      method,
      uri,
      from: `${this.localUri};tag=${this.id.localTag}`,
      to: `${this.remoteUri};tag=${this.id.remoteTag}`,
      callId: this.id.callId,
      cseq: this.localSeq,
      headers: [...routes.map((r) => ['Route', r] as const), ...headers],
      ...(body !== undefined ? { body } : {}),
    });
  }

  /**
   * Checks the CSeq of a request received in this dialog (12.2.2): lower than the remote sequence number:
   * 500 (returned, the caller answers it); otherwise it becomes the remote sequence number.
   */
  checkRemoteSeq(req: SipMessage): { ok: true } | { ok: false; status: 500; reason: string } {
    const seq = parseCSeq(req.get('CSeq')!).seq;
    if (this.remoteSeq !== undefined && seq < this.remoteSeq)
      return { ok: false, status: 500, reason: 'Server Internal Error' };
    this.remoteSeq = seq;
    return { ok: true };
  }

  /** A target refresh (SUBSCRIBE and NOTIFY are: RFC 6665 4): the Contact of the message becomes the remote target. */
  refreshTarget(m: SipMessage): void {
    const target = contactUri(m);
    if (target !== undefined) this.remoteTarget = target;
  }

  /**
   * Where the next in-dialog request goes: the first route (its host, port, transport), else the open flow,
   * else the remote target.
   */
  destination(): Target {
    const first = this.routeSet[0];
    if (first === undefined && this.flow?.open) return { protocol: 'tcp', ...this.flow.remote };
    return uriTarget(first !== undefined ? parseNameAddr(first).uri : this.remoteTarget, this.protocol);
  }
}

function isLooseRoute(route: string): boolean {
  const n = parseNameAddr(route);
  const p = n.parsed as Partial<SipUri>;
  return (p.params ?? []).some((x) => x.name.toLowerCase() === 'lr');
}

/**
 * The transport address of a SIP URI: its host, port (5060 when absent) and `transport` parameter (else
 * `fallback`). No RFC 3263 lookups: a host name is resolved by the OS when sending.
 */
export function uriTarget(uri: string, fallback: Protocol): Target {
  const u = parseNameAddr(`<${uri}>`).parsed;
  if (u.scheme !== 'sip' && u.scheme !== 'sips') throw new TypeError(`cannot send to ${uri}: not a SIP URI`);
  const sip = u as SipUri;
  const t = sip.params.find((p) => p.name.toLowerCase() === 'transport')?.value?.toLowerCase();
  const protocol: Protocol = t === 'tcp' ? 'tcp' : t === 'udp' ? 'udp' : fallback;
  const host = sip.host.startsWith('[') ? sip.host.slice(1, -1) : sip.host;
  return { protocol, host, port: sip.port ?? 5060 };
}

/** Dialogs by id. */
export class DialogTable {
  private readonly map = new Map<string, Dialog>();

  add(d: Dialog): void {
    this.map.set(d.key, d);
  }
  get(id: DialogId): Dialog | undefined {
    return this.map.get(dialogKey(id));
  }
  /** the dialog a received request belongs to */
  forRequest(req: SipMessage): Dialog | undefined {
    return this.get(requestDialogId(req));
  }
  delete(id: DialogId): boolean {
    return this.map.delete(dialogKey(id));
  }
  get size(): number {
    return this.map.size;
  }
  values(): IterableIterator<Dialog> {
    return this.map.values();
  }
}
