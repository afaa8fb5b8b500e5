/**
 * Sh User-Data (TS 29.328 6.1.1, TS 29.329 6.1.1/6.1.2, application 16777217): an application server (here
 * the Authentication Proxy) reads data of a public identity. The simulator serves the two Data-Reference
 * values the AP needs:
 *
 * - IMSPublicIdentity (10): the IMPUs of the user(s) owning the identity, selected by Identity-Set;
 * - IMSPrivateUserIdentity (33): the IMPI(s) owning the identity, which is how the AP learns the IMPI
 *   when a UE names only its IMPU.
 *
 * The answer's Sh-User-Data is an Sh-Data document of ShDataType.xsd (TS 29.328 Annex D; the element
 * names and nesting below are those of the schema as shipped in RestComm/jain-slee.diameter
 * `resources/diameter-sh-client/common/ra/src/main/resources/ShDataType.xsd`, Rel-15 content, and in
 * herlesupreeth/FHoSS `xsd/ShDataType.xsd` for the Rel-6 part). The schema has no target namespace, so
 * the document has none either:
 *
 *   tSh-Data:            PublicIdentifiers?, RepositoryData*, Sh-IMS-Data?, ..., Extension? (tSh-Data-Extension)
 *   tPublicIdentity:     IMSPublicIdentity* (SIP or TEL URI), MSISDN*, Extension?
 *   tSh-Data-Extension:  RegisteredIdentities?, ImplicitIdentities?, AllIdentities?, AliasIdentities?
 *                        (each a tPublicIdentity), Extension? (tSh-Data-Extension2)
 *   tSh-Data-Extension2: DeletedIdentities?, Extension? (3)
 *   tSh-Data-Extension3: TADSinformation?, Extension? (4)
 *   tSh-Data-Extension4: EPSUserState?, EPSLocationInformation?, Extension? (5)
 *   tSh-Data-Extension5: IMSI?, TWANLocationInformation?, IMSPrivateUserIdentity*, Extension? (6)
 *
 * so the IMPIs sit five Extension levels down: Sh-Data/Extension/Extension/Extension/Extension/Extension/
 * IMSPrivateUserIdentity.
 *
 * Identity-Set (TS 29.329 6.3.10). The simulator keeps no registration state and gives each subscriber one
 * implicit registration set with one service profile:
 * - ALL_IDENTITIES (0), and no Identity-Set at all: every IMPU of every IMPI owning the identity;
 * - IMPLICIT_IDENTITIES (2) and ALIAS_IDENTITIES (3): the same list (one implicit set, one profile, so the
 *   implicit set and the alias group of an identity are all of its subscriber's IMPUs);
 * - REGISTERED_IDENTITIES (1): none, since nothing is registered with an S-CSCF here (an empty set, not an
 *   error).
 * One requested set goes into PublicIdentifiers (as FHoSS and other HSSs answer); several distinct sets go
 * each into its own element of Sh-Data/Extension (RegisteredIdentities, ImplicitIdentities, AllIdentities,
 * AliasIdentities, in schema order), which is what those elements of tSh-Data-Extension exist for.
 *
 * Errors, in the order of TS 29.328 6.1.1.1: a Data-Reference the simulator does not serve →
 * Experimental-Result DIAMETER_ERROR_USER_DATA_CANNOT_BE_READ (5102, TS 29.329 6.2.2.3; the code TS 29.328
 * gives when the AS may not read the requested data, and the one FHoSS uses); an identity no subscriber
 * owns → DIAMETER_ERROR_USER_UNKNOWN (5001). 5100 USER_DATA_NOT_RECOGNIZED is about data the AS sends (PUR),
 * not about what it asks for. Protocol problems are answered in the UDA with a Result-Code and Failed-AVP:
 * an Identity-Set outside the enumeration (5004), a User-Identity with neither Public-Identity nor MSISDN
 * (5005). A User-Identity with only an MSISDN (TBCD, TS 29.329 6.3.2) is looked up as the TEL URI
 * `tel:+<digits>`.
 */
import {
  avp,
  avpValue,
  buildUda,
  findAvp,
  findAvps,
  getBuffer,
  getGroup,
  getString,
  protocolError,
  readUdrIdentity,
  type DiameterMessage,
  type ProtocolError,
  type UdaInput,
} from '@ut-testbed/diameter-codec';
import type { SubscriberStore } from '../store/types';
import { ERROR_USER_DATA_CANNOT_BE_READ, ERROR_USER_UNKNOWN, SUCCESS, UNABLE_TO_COMPLY } from '../cx/results';

export const DATA_REFERENCE_IMS_PUBLIC_IDENTITY = 10;
export const DATA_REFERENCE_IMS_PRIVATE_USER_IDENTITY = 33;

export const IDENTITY_SET = {
  ALL_IDENTITIES: 0,
  REGISTERED_IDENTITIES: 1,
  IMPLICIT_IDENTITIES: 2,
  ALIAS_IDENTITIES: 3,
} as const;

export interface UdrContext {
  store: SubscriberStore;
  originHost: string;
  originRealm: string;
}

/** What the UDA said, for metrics and logs. */
export type UdrOutcome = 'success' | 'protocol-error' | 'user-unknown' | 'data-cannot-be-read';

const SERVED = new Set([DATA_REFERENCE_IMS_PUBLIC_IDENTITY, DATA_REFERENCE_IMS_PRIVATE_USER_IDENTITY]);

/** tSh-Data-Extension elements for each Identity-Set, in the schema's order. */
const SET_ELEMENTS: readonly [number, string][] = [
  [IDENTITY_SET.REGISTERED_IDENTITIES, 'RegisteredIdentities'],
  [IDENTITY_SET.IMPLICIT_IDENTITIES, 'ImplicitIdentities'],
  [IDENTITY_SET.ALL_IDENTITIES, 'AllIdentities'],
  [IDENTITY_SET.ALIAS_IDENTITIES, 'AliasIdentities'],
];

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

function element(name: string, children: readonly string[]): string {
  return children.length ? `<${name}>${children.join('')}</${name}>` : `<${name}/>`;
}

function publicIdentityList(name: string, impus: readonly string[]): string {
  return element(
    name,
    impus.map((u) => `<IMSPublicIdentity>${xmlEscape(u)}</IMSPublicIdentity>`),
  );
}

/** E.164 digits of a TBCD-coded MSISDN (low nibble first, 0xF filler), undefined if not digits. */
function msisdnDigits(b: Buffer): string | undefined {
  let digits = '';
  for (let i = 0; i < b.length; i++) {
    for (const nibble of [b[i]! & 0x0f, b[i]! >> 4]) {
      if (nibble === 0x0f && i === b.length - 1) continue;
      if (nibble > 9) return undefined;
      digits += String(nibble);
    }
  }
  return digits.length ? digits : undefined;
}

/**
 * The Sh-Data document for the requested references (ordered by the schema, not by the request).
 * `identitySets` maps each requested Identity-Set to its identities; `impis` lists the owning IMPIs.
 */
export function shDataDocument(p: {
  identitySets?: ReadonlyMap<number, readonly string[]>;
  impis?: readonly string[];
}): string {
  const top: string[] = [];
  const extension: string[] = [];
  const sets = p.identitySets;
  if (sets && sets.size === 1) {
    top.push(publicIdentityList('PublicIdentifiers', [...sets.values()][0]!));
  } else if (sets && sets.size > 1) {
    for (const [set, name] of SET_ELEMENTS) {
      const list = sets.get(set);
      if (list) extension.push(publicIdentityList(name, list));
    }
  }
  if (p.impis) {
    const ext5 = p.impis.map((i) => `<IMSPrivateUserIdentity>${xmlEscape(i)}</IMSPrivateUserIdentity>`);
    // Extension (2) > Extension (3) > Extension (4) > Extension (5) > IMSPrivateUserIdentity
    extension.push(
      element('Extension', [element('Extension', [element('Extension', [element('Extension', ext5)])])]),
    );
  }
  if (extension.length) top.push(element('Extension', extension));
  return XML_DECLARATION + element('Sh-Data', top);
}

async function decideAnswerUdr(
  udr: DiameterMessage,
  error: ProtocolError | undefined,
  ctx: UdrContext,
): Promise<{ answer: DiameterMessage; outcome: UdrOutcome }> {
  const base: UdaInput = {
    sessionId: getString(udr.avps, 'Session-Id') ?? '',
    originHost: ctx.originHost,
    originRealm: ctx.originRealm,
  };
  const answer = (i: Partial<UdaInput>) => buildUda(udr, { ...base, ...i });
  const protocolAnswer = (e: ProtocolError) => ({
    // a permanent failure in the UDA itself (so that the AS can read it), with the Failed-AVP
    answer: answer({
      resultCode: e.resultCode,
      extra: [
        ['Error-Message', e.reason],
        ...(e.failedAvp ? ([['Failed-AVP', [e.failedAvp]]] as const) : []),
      ],
    }),
    outcome: 'protocol-error' as const,
  });

  if (error) return protocolAnswer(error);

  const identitySetAvps = findAvps(udr.avps, 'Identity-Set');
  const identitySets: number[] = [];
  for (const a of identitySetAvps) {
    const v = avpValue(a);
    if (typeof v !== 'number' || !Object.values<number>(IDENTITY_SET).includes(v)) {
      return protocolAnswer(
        protocolError(
          'DIAMETER_INVALID_AVP_VALUE',
          `Identity-Set ${String(v)} is not in TS 29.329 6.3.10`,
          a,
        ),
      );
    }
    if (!identitySets.includes(v)) identitySets.push(v);
  }

  const references = findAvps(udr.avps, 'Data-Reference').map((a) => avpValue(a));
  const unserved = references.find((r) => typeof r !== 'number' || !SERVED.has(r));
  if (unserved !== undefined) {
    return {
      answer: answer({
        experimentalResult: ERROR_USER_DATA_CANNOT_BE_READ,
        extra: [['Error-Message', `Data-Reference ${String(unserved)} is not served by this HSS`]],
      }),
      outcome: 'data-cannot-be-read',
    };
  }

  let identity = readUdrIdentity(udr);
  if (identity === undefined) {
    const userIdentity = findAvp(udr.avps, 'User-Identity');
    const msisdn = getBuffer(getGroup(udr.avps, 'User-Identity'), 'MSISDN');
    if (msisdn === undefined) {
      return protocolAnswer(
        protocolError(
          'DIAMETER_MISSING_AVP',
          'User-Identity holds neither Public-Identity nor MSISDN',
          avp('User-Identity', [['Public-Identity', '']]),
        ),
      );
    }
    const digits = msisdnDigits(msisdn);
    if (digits === undefined) {
      return protocolAnswer(
        protocolError('DIAMETER_INVALID_AVP_VALUE', 'MSISDN is not TBCD-coded digits', userIdentity),
      );
    }
    identity = `tel:+${digits}`;
  }

  const impis = await ctx.store.impisOf(identity);
  if (impis.length === 0) {
    return { answer: answer({ experimentalResult: ERROR_USER_UNKNOWN }), outcome: 'user-unknown' };
  }

  const doc: Parameters<typeof shDataDocument>[0] = {};
  if (references.includes(DATA_REFERENCE_IMS_PUBLIC_IDENTITY)) {
    const all: string[] = [];
    for (const impi of impis) {
      for (const u of (await ctx.store.get(impi))?.impus ?? []) if (!all.includes(u)) all.push(u);
    }
    const sets = new Map<number, readonly string[]>();
    for (const set of identitySets.length ? identitySets : [IDENTITY_SET.ALL_IDENTITIES]) {
      sets.set(set, set === IDENTITY_SET.REGISTERED_IDENTITIES ? [] : all);
    }
    doc.identitySets = sets;
  }
  if (references.includes(DATA_REFERENCE_IMS_PRIVATE_USER_IDENTITY)) doc.impis = impis;

  return { answer: answer({ resultCode: SUCCESS, userData: shDataDocument(doc) }), outcome: 'success' };
}

/**
 * answerUdr, and the command's own answer with 5012 DIAMETER_UNABLE_TO_COMPLY (identities echoed, no internals)
 * when something below fails, e.g. the database being locked by another writer.
 */
export async function answerUdr(
  req: DiameterMessage,
  error: ProtocolError | undefined,
  ctx: UdrContext,
): Promise<{ answer: DiameterMessage; outcome: UdrOutcome | 'unable-to-comply' }> {
  try {
    return await decideAnswerUdr(req, error, ctx);
  } catch {
    return {
      answer: buildUda(req, {
        sessionId: getString(req.avps, 'Session-Id') ?? '',
        originHost: ctx.originHost,
        originRealm: ctx.originRealm,
        resultCode: UNABLE_TO_COMPLY,
      }),
      outcome: 'unable-to-comply',
    };
  }
}
