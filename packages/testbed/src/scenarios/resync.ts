/**
 * resync (DESIGN.md section 3): the USIM's SQN is ahead of the HSS, so the first challenge fails the
 * freshness check; the UE answers with auts (RFC 3310 3.4, empty password); the AP sends MAR with
 * SIP-Authorization = RAND || AUTS; the HSS checks MAC-S and resets its SQN; the fresh challenge succeeds.
 */
import { decodeAkaNonce } from '@ut-testbed/aka-crypto';
import { isRequest } from '@ut-testbed/diameter-codec';
import type { Scenario } from '../scenario/types';
import { authItem, diameterOf, digestParams, headerOf, mark, methodOf, statusOf } from './trace-read';
import { attempt, EMPTY_LIST, exchanges, LIST } from './ut-steps';

export const resync: Scenario = {
  name: 'resync',
  summary: 'the USIM is ahead: auts, MAR with RAND||AUTS, the HSS resynchronises, a fresh challenge succeeds',
  async run(t) {
    const { xcap } = t.ue({ usim: { sqnAhead: true } });
    await t.step('PUT with a USIM whose SQN is ahead of the HSS', async () => {
      const wire = mark(t);
      const r = await attempt(xcap.put({ ...LIST, document: t.fresh('resync') }, EMPTY_LIST));
      t.expect('status', r.status, 201);
      t.expect('exchanges (status, credentials)', exchanges(r), [
        [401, 'none'],
        [401, 'resync'],
        [201, 'answer'],
      ]);
      t.expect('rspauth', r.response?.rspauth, 'verified');

      // on the wire: the RAND of the first challenge and the AUTS the UE answered it with
      const seen = wire.seen();
      const ut = seen.filter((e) => e.iface === 'Ut');
      const challenge = ut.find((e) => statusOf(e) === 401);
      const rand = decodeAkaNonce(
        digestParams(challenge && headerOf(challenge, 'WWW-Authenticate')).nonce ?? '',
      ).rand;
      const resync = ut.find(
        (e) => methodOf(e) === 'PUT' && /\bauts=/.test(headerOf(e, 'Authorization') ?? ''),
      );
      const auts = Buffer.from(
        digestParams(resync && headerOf(resync, 'Authorization')).auts ?? '',
        'base64',
      );
      t.expect('the AUTS the UE sent (bytes)', auts.length, 14);
      if (!t.servicesTraced) return; // with --target only the UE's side is in the trace
      const mars = seen.map(diameterOf).filter((m) => m?.commandCode === 303 && isRequest(m));
      t.expect(
        'the MARs: SIP-Authorization of each (none, then RAND‖AUTS)',
        mars.map((m) => authItem(m!).authorization ?? null),
        [null, Buffer.concat([rand, auts]).toString('hex')],
      );
    });
  },
};
