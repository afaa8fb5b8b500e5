/**
 * resync (DESIGN.md section 3): the USIM's SQN is ahead of the HSS, so the first challenge fails the
 * freshness check; the UE answers with auts (RFC 3310 3.4, empty password); the AP sends MAR with
 * SIP-Authorization = RAND || AUTS; the HSS checks MAC-S and resets its SQN; the fresh challenge succeeds.
 */
import type { Scenario } from '../scenario/types';
import { attempt, EMPTY_LIST, exchanges, LIST } from './ut-steps';

export const resync: Scenario = {
  name: 'resync',
  summary: 'the USIM is ahead: auts, MAR with RAND||AUTS, the HSS resynchronises, a fresh challenge succeeds',
  async run(t) {
    const { xcap } = t.ue({ usim: { sqnAhead: true } });
    await t.step('PUT with a USIM whose SQN is ahead of the HSS', async () => {
      const r = await attempt(xcap.put({ ...LIST, document: t.fresh('resync') }, EMPTY_LIST));
      t.expect('status', r.status, 201);
      t.expect('exchanges (status, credentials)', exchanges(r), [
        [401, 'none'],
        [401, 'resync'],
        [201, 'answer'],
      ]);
      t.expect('rspauth', r.response?.rspauth, 'verified');
    });
  },
};
