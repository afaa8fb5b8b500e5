/**
 * section3 (DESIGN.md section 3, the contribution's section 3): the UE PUTs a new, empty presence list with
 * no credentials; the AP learns the IMPI with Sh UDR, gets a vector with MAR, and challenges (401, AKAv2-MD5
 * by default); the UE answers from its USIM; 201 with Authentication-Info (rspauth checked by the UE). Then
 * an entry on the same TLS connection without a new challenge, the list read back, the second public
 * identity on the same connection, and an identity that is not the user's (403).
 */
import { isRequest } from '@ut-testbed/diameter-codec';
import type { TraceEvent } from '@ut-testbed/trace';
import type { Scenario, ScenarioContext } from '../scenario/types';
import {
  authItem,
  diameterOf,
  diameterRows,
  digestParams,
  headerOf,
  mark,
  methodOf,
  statusOf,
} from './trace-read';
import { attempt, EMPTY_LIST, exchanges, FRIENDS, LIST } from './ut-steps';

/** Cx (MAR/MAA, 303) and Sh (UDR/UDA, 306): what the AP asks the HSS for a UE it does not know yet. */
const CX_SH = [303, 306];

/**
 * The first PUT on the wire, message by message: the AP's challenge (its algorithm, a nonce carrying RAND‖AUTN)
 * and the 201's Authentication-Info; where the services' records are in the trace, also what the UE does not
 * see: the IMPI learnt (UDR/UDA) and the vector fetched (MAR/MAA) before the 401, the nonce made of that
 * vector, and the request forwarded without the UE's Authorization but with the asserted identity.
 */
function onTheWire(
  t: ScenarioContext,
  seen: readonly TraceEvent[],
  ue: { impi: string; impu: string },
): void {
  const ut = seen.filter((e) => e.iface === 'Ut');
  const answers = ut.filter((e) => statusOf(e) !== undefined);
  const challenge = answers[0];
  const www = digestParams(challenge && headerOf(challenge, 'WWW-Authenticate'));
  t.expect(
    "the AP's first answer: status, scheme, algorithm",
    [
      challenge && statusOf(challenge),
      challenge && headerOf(challenge, 'WWW-Authenticate')?.split(' ')[0],
      www.algorithm,
    ],
    [401, 'Digest', t.config.ap.auth.algorithm],
  );
  const nonce = Buffer.from(www.nonce ?? '', 'base64');
  t.check('its nonce, base64 of RAND‖AUTN', nonce.length >= 32, 'at least 32 bytes', nonce.length);
  const created = answers.find((e) => statusOf(e) === 201);
  const info = digestParams(created && headerOf(created, 'Authentication-Info'));
  t.check(
    'the 201 carries Authentication-Info with rspauth',
    /^[0-9a-f]{32}$/.test(info.rspauth ?? ''),
    'rspauth of 32 hex digits',
    created && headerOf(created, 'Authentication-Info'),
  );
  if (!t.servicesTraced) return; // with --target only the UE's side is in the trace

  const before401 = seen.slice(0, challenge ? seen.indexOf(challenge) : 0);
  t.expect(
    'Sh and Cx with the HSS before the 401 (command, code, request, User-Name)',
    diameterRows(before401, CX_SH),
    [
      ['UDR', 306, true, null],
      ['UDA', 306, false, null],
      ['MAR', 303, true, ue.impi],
      ['MAA', 303, false, ue.impi],
    ],
  );
  const maa = before401.map(diameterOf).find((m) => m?.commandCode === 303 && !isRequest(m));
  t.expect(
    "the nonce's RAND‖AUTN is the MAA's SIP-Authenticate",
    nonce.subarray(0, 32).toString('hex'),
    maa && authItem(maa).authenticate,
  );
  const answered = ut.find((e) => methodOf(e) === 'PUT' && headerOf(e, 'Authorization') !== undefined);
  const forwarded = seen.find((e) => e.iface === 'AS' && methodOf(e) === 'PUT');
  t.expect(
    "the UE's answer, then the request forwarded to the XCAP server: Authorization, X-3GPP-Asserted-Identity",
    [answered, forwarded].map((e) => [
      e && headerOf(e, 'Authorization') !== undefined,
      (e && headerOf(e, 'X-3GPP-Asserted-Identity')?.replace(/^"|"$/g, '')) ?? null,
    ]),
    [
      [true, null],
      [false, ue.impu],
    ],
  );
}

export const section3: Scenario = {
  name: 'section3',
  summary:
    'a new presence list over Ut: 401, MAR/MAA, AKA answer, 201; entry, read back, second IMPU, foreign IMPU 403',
  async run(t) {
    const { xcap, http, impus, impi } = t.ue();
    const list = { ...LIST, document: t.fresh('index') };
    const other = t.config.hss.subscribers[1]?.impus[0] ?? 'sip:user2_public1@home1.net';
    const first = await t.step('PUT a new, empty presence list', async () => {
      const wire = mark(t);
      const r = await attempt(xcap.put(list, EMPTY_LIST));
      t.expect('status', r.status, 201);
      t.expect('exchanges (status, credentials)', exchanges(r), [
        [401, 'none'],
        [201, 'answer'],
      ]);
      t.expect('rspauth of Authentication-Info', r.response?.rspauth, 'verified');

      onTheWire(t, wire.seen(), { impi, impu: impus[0]! });
      return r;
    });
    const connection = first.response!.connectionId;
    await t.step('add an entry with an element PUT on the same TLS connection', async () => {
      const r = await attempt(
        xcap.put(
          { ...list, node: ['resource-lists', FRIENDS, { name: 'entry', attr: ['uri', other] }] },
          `<entry uri="${other}"/>`,
        ),
      );
      t.expect('status', r.status, 201);
      t.expect('exchanges (no new challenge)', exchanges(r), [[201, 'reuse']]);
      t.expect('same TLS connection', r.response?.connectionId, connection);
    });
    await t.step('read the list back', async () => {
      const r = await attempt(xcap.get(list));
      t.expect('status', r.status, 200);
      const body = 'body' in r ? r.body : '';
      t.check(
        'the entry is in the list',
        body.includes(`<entry uri="${other}"/>`),
        `an <entry uri="${other}"/>`,
        body,
      );
    });
    await t.step('act for the second public identity (X-3GPP-Intended-Identity)', async () => {
      const r = await attempt(xcap.put({ ...list, xui: impus[1]! }, EMPTY_LIST));
      t.expect('status', r.status, 201);
      t.expect('same TLS connection', r.response?.connectionId, connection);
    });
    await t.step("an identity that is not the user's", async () => {
      const r = await attempt(xcap.get({ ...list, xui: other }));
      t.expect('status', r.status, 403);
    });
    t.expect('TLS connections opened by the UE', http.connections, 1);
  },
};
