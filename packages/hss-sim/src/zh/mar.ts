/**
 * Zh Multimedia-Auth (TS 29.109 4.2, 6.1.1/6.1.2, application 16777221; TS 33.220 4.5.2): the BSF asks for
 * one authentication vector and the GBA User Security Settings of a user, named by its IMPI (User-Name) or,
 * when the UE bootstrapped with a public identity, by an IMPU (Public-Identity), which the HSS resolves to
 * the owning IMPI. Bootstrapping is HTTP Digest AKA (RFC 3310), so the one scheme served is
 * Digest-AKAv1-MD5 (asked by name, as "Unknown", or by sending no scheme at all). A request item carrying
 * SIP-Authorization = RAND || AUTS asks for re-synchronisation, handled exactly as on Cx.
 *
 * Answers: Result-Code 2001 with the SIP-Auth-Data-Item (scheme, SIP-Authenticate = RAND || AUTN,
 * SIP-Authorization = XRES, Confidentiality-Key, Integrity-Key) and GBA-UserSecSettings; Experimental-Result
 * (vendor 10415) DIAMETER_ERROR_USER_UNKNOWN 5001 for an unknown IMPI or IMPU and
 * DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED 5006 for any other scheme (the codes of TS 29.229 that Zh reuses,
 * as FHoSS answers them); Result-Code 5012 for an AUTS that does not verify (SEQ_HE untouched), for an IMPU
 * shared by several IMPIs (the BSF has to name one), or when no SQN can be allocated; 5005 with Failed-AVP
 * when the request has neither User-Name nor Public-Identity. Every answer echoes the request's User-Name
 * (or the resolved IMPI) and Public-Identity. The GUSS is sent with every successful answer: the simulator
 * keeps no GUSS change time, so a GUSS-Timestamp in the request never lets it leave the GUSS out.
 *
 * The GUSS document (TS 29.109 Annex A): root `guss` in the namespace of the Rel-9+ schema,
 * "urn:3gpp:gba:GBAGUSSSchema-R9:2010-02" (targetNamespace of Annex A as published for Rel-17 by itecspec,
 * https://itecspec.com/spec/3gpp-29-109-7-use-of-namespaces/), elementFormDefault qualified; its content
 * model as in herlesupreeth/FHoSS `xsd/ZhDataType.xsd` and `src/de/fhg/fokus/hss/zh/op/MAR.java`:
 *
 *   guss:    bsfInfo? (uiccType? "GBA" | "GBA_U", lifeTime?), ussList
 *   ussList: uss*
 *   uss:     @id (required), @type (required, GAA service type), @nafGroup?; uids (uid+), flags (flag*)
 *
 * The simulator sends uiccType GBA (GBA_ME: keys derived in the ME), no lifeTime (the BSF's own key lifetime
 * applies) and one uss, id "1", of GAA service type 2 "Authentication Proxy" (TS 29.109 Annex B; FHoSS
 * `zh/ZhConstants.java`), listing every IMPU of the user as a uid, with no authorization flags (Annex C
 * defines flags for PKI portals only).
 */
import {
  avp,
  buildZhMaa,
  readZhMar,
  protocolError,
  type DiameterMessage,
  type ProtocolError,
  type ZhMaaInput,
} from '@ut-testbed/diameter-codec';
import type { Subscriber, SubscriberStore } from '../store/types';
import { authItem, vectorsForMar, type VectorIssuer } from '../vectors';
import { xmlEscape } from '../sh/udr';
import {
  ERROR_AUTH_SCHEME_NOT_SUPPORTED,
  ERROR_USER_UNKNOWN,
  SUCCESS,
  UNABLE_TO_COMPLY,
} from '../cx/results';

export interface ZhMarContext {
  store: SubscriberStore;
  issuer: VectorIssuer;
  originHost: string;
  originRealm: string;
}

/** What the MAA said, for metrics and logs. */
export type ZhMarOutcome =
  | 'success'
  | 'resync'
  | 'protocol-error'
  | 'user-unknown'
  | 'scheme-not-supported'
  | 'resync-failed'
  | 'unable-to-comply';

export const ZH_SCHEME = 'Digest-AKAv1-MD5';

/** Namespace of the GUSS schema, TS 29.109 Annex A (Rel-9 onwards). */
export const GUSS_NAMESPACE = 'urn:3gpp:gba:GBAGUSSSchema-R9:2010-02';

/** GAA service type "Authentication Proxy" (TS 29.109 Annex B). */
export const GAA_SERVICE_TYPE_AUTHENTICATION_PROXY = 2;

/** The GBA User Security Settings of a subscriber: one uss listing all of its IMPUs. */
export function gussDocument(s: Pick<Subscriber, 'impus'>): string {
  const uids = s.impus.map((u) => `<uid>${xmlEscape(u)}</uid>`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<guss xmlns="${GUSS_NAMESPACE}">` +
    '<bsfInfo><uiccType>GBA</uiccType></bsfInfo>' +
    '<ussList>' +
    `<uss id="1" type="${GAA_SERVICE_TYPE_AUTHENTICATION_PROXY}"><uids>${uids}</uids><flags/></uss>` +
    '</ussList>' +
    '</guss>'
  );
}

function schemeServed(requested: string | undefined): boolean {
  if (requested === undefined) return true;
  const s = requested.toLowerCase();
  return s === 'digest-akav1-md5' || s === 'unknown';
}

async function decideAnswerZhMar(
  mar: DiameterMessage,
  error: ProtocolError | undefined,
  ctx: ZhMarContext,
): Promise<{ answer: DiameterMessage; outcome: ZhMarOutcome }> {
  const r = readZhMar(mar);
  const base: ZhMaaInput = {
    sessionId: r.sessionId ?? '',
    originHost: ctx.originHost,
    originRealm: ctx.originRealm,
    ...(r.userName !== undefined ? { userName: r.userName } : {}),
    ...(r.publicIdentity !== undefined ? { publicIdentity: r.publicIdentity } : {}),
  };
  const answer = (i: Partial<ZhMaaInput>) => buildZhMaa(mar, { ...base, ...i });
  const failure = (reason: string) =>
    answer({ resultCode: UNABLE_TO_COMPLY, extra: [['Error-Message', reason]] });

  if (!error && r.userName === undefined && r.publicIdentity === undefined) {
    error = protocolError(
      'DIAMETER_MISSING_AVP',
      'Zh MAR: neither User-Name nor Public-Identity',
      avp('User-Name', ''),
    );
  }
  if (error) {
    // a permanent failure in the MAA itself (so that the BSF can read it), with the Failed-AVP
    return {
      answer: answer({
        resultCode: error.resultCode,
        extra: [
          ['Error-Message', error.reason],
          ...(error.failedAvp ? ([['Failed-AVP', [error.failedAvp]]] as const) : []),
        ],
      }),
      outcome: 'protocol-error',
    };
  }

  let impi = r.userName;
  if (impi === undefined) {
    const owners = await ctx.store.impisOf(r.publicIdentity!);
    if (owners.length > 1) {
      return {
        answer: failure(`Public-Identity is shared by ${owners.length} IMPIs: name one in User-Name`),
        outcome: 'unable-to-comply',
      };
    }
    impi = owners[0];
  }
  const sub = impi === undefined ? undefined : await ctx.store.get(impi);
  if (!sub) return { answer: answer({ experimentalResult: ERROR_USER_UNKNOWN }), outcome: 'user-unknown' };
  const withImpi = (i: Partial<ZhMaaInput>) => answer({ userName: sub.impi, ...i });

  if (!schemeServed(r.item?.scheme)) {
    return {
      answer: withImpi({ experimentalResult: ERROR_AUTH_SCHEME_NOT_SUPPORTED }),
      outcome: 'scheme-not-supported',
    };
  }

  // the BSF bootstraps with one vector (TS 33.220 4.5.2)
  const v = await vectorsForMar(ctx.issuer, sub, r.originHost!, 1, r.item?.authorization);
  if (v.kind !== 'vectors') {
    return {
      answer: withImpi({ resultCode: UNABLE_TO_COMPLY, extra: [['Error-Message', v.reason]] }),
      outcome: v.kind,
    };
  }
  const outcome: ZhMarOutcome = v.resynced ? 'resync' : 'success';
  const item = authItem(v.vectors[0]!, ZH_SCHEME);
  return {
    answer: withImpi({ resultCode: SUCCESS, item, gbaUserSecSettings: gussDocument(sub) }),
    outcome,
  };
}

/**
 * answerZhMar, and the command's own answer with 5012 DIAMETER_UNABLE_TO_COMPLY (identities echoed, no internals)
 * when something below fails, e.g. the database being locked by another writer.
 */
export async function answerZhMar(
  req: DiameterMessage,
  error: ProtocolError | undefined,
  ctx: ZhMarContext,
): Promise<{ answer: DiameterMessage; outcome: ZhMarOutcome | 'unable-to-comply' }> {
  try {
    return await decideAnswerZhMar(req, error, ctx);
  } catch {
    return {
      answer: buildZhMaa(req, {
        sessionId: readZhMar(req).sessionId ?? '',
        originHost: ctx.originHost,
        originRealm: ctx.originRealm,
        resultCode: UNABLE_TO_COMPLY,
        extra: [['Error-Message', 'the request could not be processed']],
      }),
      outcome: 'unable-to-comply',
    };
  }
}
