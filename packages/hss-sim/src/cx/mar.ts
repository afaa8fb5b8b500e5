/**
 * Cx Multimedia-Auth (TS 29.228 6.3, TS 29.229 6.1.7/6.1.8): the MAR asks for authentication vectors for
 * an IMPI/IMPU pair; the MAA carries them, or says why not. Every MAA echoes User-Name and
 * Public-Identity (Kamailio's S-CSCF reads them before the result), carries Result-Code 2001 on success
 * and an Experimental-Result (vendor 10415) instead of a Result-Code for Cx errors, and for a known IMPI
 * lists all of its IMPUs in the IMPU-List AVP.
 */
import {
  buildCxMaa,
  readCxMar,
  type CxMaaInput,
  type DiameterMessage,
  type ProtocolError,
} from '@ut-testbed/diameter-codec';
import type { AuthScheme } from '@ut-testbed/config';
import type { SubscriberStore } from '../store/types';
import { authItem, vectorsForMar, type VectorIssuer } from '../vectors';
import {
  ERROR_AUTH_SCHEME_NOT_SUPPORTED,
  ERROR_IDENTITIES_DONT_MATCH,
  ERROR_USER_UNKNOWN,
  SUCCESS,
  UNABLE_TO_COMPLY,
} from './results';

export interface MarContext {
  store: SubscriberStore;
  issuer: VectorIssuer;
  originHost: string;
  originRealm: string;
  /** the most vectors one MAA carries, whatever SIP-Number-Auth-Items asks for */
  maxAuthItems: number;
}

/** What the MAA said, for metrics and logs. */
export type MarOutcome =
  | 'success'
  | 'resync'
  | 'protocol-error'
  | 'user-unknown'
  | 'identities-dont-match'
  | 'scheme-not-supported'
  | 'resync-failed'
  | 'unable-to-comply';

const SCHEMES: Record<string, AuthScheme> = {
  'digest-akav1-md5': 'Digest-AKAv1-MD5',
  'digest-akav2-md5': 'Digest-AKAv2-MD5',
};

/** "Unknown" asks for the subscriber's default scheme (TS 29.228 6.3.1); scheme names compare case-insensitively. */
function resolveScheme(requested: string | undefined, dflt: AuthScheme): AuthScheme | undefined {
  if (requested === undefined || requested.toLowerCase() === 'unknown') return dflt;
  return SCHEMES[requested.toLowerCase()];
}

/** Session-Id, User-Name and Public-Identity of the request, for echoing. */
function echo(mar: DiameterMessage): Pick<CxMaaInput, 'sessionId' | 'userName' | 'publicIdentity'> {
  const r = readCxMar(mar);
  return {
    sessionId: r.sessionId ?? '',
    ...(r.userName !== undefined ? { userName: r.userName } : {}),
    ...(r.publicIdentity !== undefined ? { publicIdentity: r.publicIdentity } : {}),
  };
}

async function decideAnswerMar(
  mar: DiameterMessage,
  error: ProtocolError | undefined,
  ctx: MarContext,
): Promise<{ answer: DiameterMessage; outcome: MarOutcome }> {
  const r = readCxMar(mar);
  const base: CxMaaInput = { ...echo(mar), originHost: ctx.originHost, originRealm: ctx.originRealm };
  const answer = (i: Partial<CxMaaInput>) => buildCxMaa(mar, { ...base, ...i });

  if (error) {
    // a permanent failure in the MAA itself (so that the requester can read it), with the Failed-AVP
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
  const sub = await ctx.store.get(r.userName!);
  if (!sub) return { answer: answer({ experimentalResult: ERROR_USER_UNKNOWN }), outcome: 'user-unknown' };
  const withImpus = (i: Partial<CxMaaInput>) => answer({ ...i, impuList: sub.impus });
  // TS 29.228 6.3.1: an identity the HSS does not know at all is USER_UNKNOWN; a known one of someone else
  // is IDENTITIES_DONT_MATCH
  if (!sub.impus.includes(r.publicIdentity!) && (await ctx.store.impisOf(r.publicIdentity!)).length === 0) {
    return { answer: answer({ experimentalResult: ERROR_USER_UNKNOWN }), outcome: 'user-unknown' };
  }
  if (!sub.impus.includes(r.publicIdentity!)) {
    return {
      answer: withImpus({ experimentalResult: ERROR_IDENTITIES_DONT_MATCH }),
      outcome: 'identities-dont-match',
    };
  }
  const scheme = resolveScheme(r.item?.scheme, sub.scheme);
  if (!scheme) {
    return {
      answer: withImpus({ experimentalResult: ERROR_AUTH_SCHEME_NOT_SUPPORTED }),
      outcome: 'scheme-not-supported',
    };
  }
  const wanted = Math.min(Math.max(r.sipNumberAuthItems ?? 1, 1), ctx.maxAuthItems);
  const v = await vectorsForMar(ctx.issuer, sub, r.originHost!, wanted, r.item?.authorization);
  if (v.kind !== 'vectors') {
    return {
      answer: withImpus({ resultCode: UNABLE_TO_COMPLY, extra: [['Error-Message', v.reason]] }),
      outcome: v.kind,
    };
  }
  const outcome: MarOutcome = v.resynced ? 'resync' : 'success';
  const items = v.vectors.map((x, i) => authItem(x, scheme, i + 1));
  return {
    answer: withImpus({ resultCode: SUCCESS, sipNumberAuthItems: items.length, items }),
    outcome,
  };
}

/**
 * answerMar, and the command's own answer with 5012 DIAMETER_UNABLE_TO_COMPLY (identities echoed, no internals)
 * when something below fails, e.g. the database being locked by another writer.
 */
export async function answerMar(
  req: DiameterMessage,
  error: ProtocolError | undefined,
  ctx: MarContext,
): Promise<{ answer: DiameterMessage; outcome: MarOutcome }> {
  try {
    return await decideAnswerMar(req, error, ctx);
  } catch {
    return {
      answer: buildCxMaa(req, {
        ...echo(req),
        originHost: ctx.originHost,
        originRealm: ctx.originRealm,
        resultCode: UNABLE_TO_COMPLY,
        extra: [['Error-Message', 'the request could not be processed']],
      }),
      outcome: 'unable-to-comply',
    };
  }
}
