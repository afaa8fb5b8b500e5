/**
 * The failures of DESIGN.md section 3, each a scenario of its own: wrong RES (403 once the AP's budget of
 * wrong answers is spent), unknown IMPI, foreign IMPU, HSS down (503 with Retry-After), application server
 * down (502), stale nonce (401 stale=true, then a fresh AKA run), replayed nonce count (a fresh challenge).
 */
import type { Scenario, ScenarioContext } from '../scenario/types';
import { headerOf } from './trace-read';
import { attempt, EMPTY_LIST, exchanges, LIST } from './ut-steps';

async function authenticated(t: ScenarioContext, document: string) {
  const ue = t.ue();
  await t.step('authenticate with a first PUT', async () => {
    const r = await attempt(ue.xcap.put({ ...LIST, document: t.fresh(document) }, EMPTY_LIST));
    t.expect('status', r.status, 201);
  });
  return ue;
}

export const wrongRes: Scenario = {
  name: 'failure-wrong-res',
  summary: 'the UE answers with a wrong RES: 401 again, then 403 once the retry budget is spent',
  async run(t) {
    const { xcap } = t.ue({ usim: { wrongRes: true } });
    await t.step('PUT answered with a wrong RES', async () => {
      const r = await attempt(xcap.put({ ...LIST, document: t.fresh('wrong-res') }, EMPTY_LIST));
      t.expect('final status', r.status, 403);
      const ex = exchanges(r);
      t.expect('first exchange', ex[0], [401, 'none']);
      t.check(
        'every answer after it was refused',
        ex.slice(1, -1).every(([s]) => s === 401),
        'only 401s before the 403',
        ex,
      );
    });
  },
};

export const unknownImpi: Scenario = {
  name: 'failure-unknown-impi',
  summary: 'an initial Authorization names an IMPI the HSS does not know: 403, no challenge',
  async run(t) {
    const { xcap } = t.ue({ impi: `nobody_private@${t.config.realm}`, initialAuthorization: true });
    await t.step('PUT with an unknown IMPI', async () => {
      const r = await attempt(xcap.put({ ...LIST, document: t.fresh('unknown') }, EMPTY_LIST));
      t.expect('status', r.status, 403);
      t.expect('exchanges', exchanges(r), [[403, 'initial']]);
    });
  },
};

export const foreignImpu: Scenario = {
  name: 'failure-foreign-impu',
  summary: "an authenticated UE acts for another user's public identity: 403",
  async run(t) {
    const { xcap } = await authenticated(t, 'foreign');
    const other = t.config.hss.subscribers[1]?.impus[0] ?? `sip:user2_public1@${t.config.realm}`;
    await t.step(`GET ${other}'s list`, async () => {
      const r = await attempt(xcap.get({ ...LIST, xui: other }));
      t.expect('status', r.status, 403);
    });
  },
};

export const hssDown: Scenario = {
  name: 'failure-hss-down',
  summary: 'the HSS is down: 503 with Retry-After, within seconds',
  ownTestbed: true,
  async run(t) {
    await t.step('stop the HSS', () => t.stop('hss'));
    const { xcap } = t.ue();
    await t.step('PUT with no credentials', async () => {
      const r = await attempt(xcap.put({ ...LIST, document: t.fresh('hss-down') }, EMPTY_LIST));
      t.expect('status', r.status, 503);
      const retry = r.response?.headers['retry-after'];
      t.check('Retry-After', typeof retry === 'string' && /^\d+$/.test(retry), 'a number of seconds', retry);
    });
  },
};

export const asDown: Scenario = {
  name: 'failure-as-down',
  summary: 'the application server (XCAP server) is down: 502',
  ownTestbed: true,
  async run(t) {
    await t.step('stop the XCAP server', () => t.stop('xcap'));
    const { xcap } = t.ue();
    await t.step('PUT, authenticated', async () => {
      const r = await attempt(xcap.put({ ...LIST, document: t.fresh('as-down') }, EMPTY_LIST));
      t.expect('status', r.status, 502);
      t.expect('exchanges', exchanges(r), [
        [401, 'none'],
        [502, 'answer'],
      ]);
    });
  },
};

export const staleNonce: Scenario = {
  name: 'failure-stale-nonce',
  summary: 'a nonce past its lifetime on a new connection: 401 stale=true, a fresh AKA run, 200',
  ownTestbed: true,
  async run(t) {
    const { xcap, http } = await authenticated(t, 'stale');
    await t.step(
      'the nonce expires (the AP clock moves 6 min: nonces live 5), the UE comes back on a new connection',
      async () => {
        await http.disconnect();
        t.advanceApClock(360_000);
        const r = await attempt(xcap.get({ ...LIST, document: t.fresh('stale') }));
        t.expect('status', r.status, 200);
        t.expect('exchanges', exchanges(r), [
          [401, 'reuse'],
          [200, 'answer'],
        ]);
        t.expect('the 401 said stale=true', r.response?.exchanges[0]?.stale, true);
      },
    );
  },
};

export const replayedNc: Scenario = {
  name: 'failure-replayed-nc',
  summary: 'the same Authorization (same nonce count) again on a new connection: a fresh challenge',
  async run(t) {
    const { impus } = await authenticated(t, 'replay');
    const sent = [...t.trace()]
      .reverse()
      .find((e) => e.iface === 'Ut' && headerOf(e, 'Authorization')?.includes(' nc='));
    const authorization = sent && headerOf(sent, 'Authorization');
    t.check(
      'the first Authorization is in the trace',
      authorization !== undefined,
      'an Authorization',
      sent?.summary,
    );
    await t.step('resend it unchanged on a new connection', async () => {
      const path = `${t.config.xcap.root}/resource-lists/users/${impus[0]}/${t.fresh('replay')}`;
      const r = await t.raw('GET', path, { Authorization: authorization! });
      t.expect('the replayed nonce count gets a challenge, not the document', r.status, 401);
      const www = String(r.headers['www-authenticate'] ?? '');
      const nonce = /nonce="([^"]*)"/.exec(www)?.[1];
      t.check(
        'with a nonce of its own',
        nonce !== undefined && !authorization!.includes(nonce),
        'a fresh nonce',
        www,
      );
    });
  },
};

export const failures: Scenario[] = [
  wrongRes,
  unknownImpi,
  foreignImpu,
  hssDown,
  asDown,
  staleNonce,
  replayedNc,
];
