/**
 * section3 (DESIGN.md section 3, the contribution's section 3): the UE PUTs a new, empty presence list with
 * no credentials; the AP learns the IMPI with Sh UDR, gets a vector with MAR, and challenges (401, AKAv2-MD5
 * by default); the UE answers from its USIM; 201 with Authentication-Info (rspauth checked by the UE). Then
 * an entry on the same TLS connection without a new challenge, the list read back, the second public
 * identity on the same connection, and an identity that is not the user's (403).
 */
import type { Scenario } from '../scenario/types';
import { attempt, EMPTY_LIST, exchanges, FRIENDS, LIST } from './ut-steps';

export const section3: Scenario = {
  name: 'section3',
  summary:
    'a new presence list over Ut: 401, MAR/MAA, AKA answer, 201; entry, read back, second IMPU, foreign IMPU 403',
  async run(t) {
    const { xcap, http, impus } = t.ue();
    const list = { ...LIST, document: t.fresh('index') };
    const other = t.config.hss.subscribers[1]?.impus[0] ?? 'sip:user2_public1@home1.net';
    const first = await t.step('PUT a new, empty presence list', async () => {
      const r = await attempt(xcap.put(list, EMPTY_LIST));
      t.expect('status', r.status, 201);
      t.expect('exchanges (status, credentials)', exchanges(r), [
        [401, 'none'],
        [201, 'answer'],
      ]);
      t.expect('rspauth of Authentication-Info', r.response?.rspauth, 'verified');
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
