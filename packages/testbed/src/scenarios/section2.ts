/**
 * section2 (DESIGN.md section 3, the contribution's section 2): presence over the data put over Ut. UE B
 * publishes PIDF and subscribes to its presence.winfo; UE A creates a list and an rls-services entry over
 * Ut and subscribes to the list URI with Supported: eventlist; the presence server resolves the list from
 * the XCAP server and NOTIFYs with RLMI (B pending); B's winfo NOTIFY shows A pending; B allows A with a
 * pres-rules PUT over Ut; A receives B's presence.
 */
import type { Watch, WatchUpdate } from '@ut-testbed/ue-client';
import type { Scenario } from '../scenario/types';
import { attempt, RL_NS } from './ut-steps';

const RLS_NS = 'urn:ietf:params:xml:ns:rls-services';
const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';

/** The next update of a watch that satisfies `ok` (NOTIFYs in between are passed over). */
async function until(w: Watch, ok: (u: WatchUpdate) => boolean): Promise<WatchUpdate> {
  for (;;) {
    const u = await w.next();
    if (ok(u) || u.state === 'terminated') return u;
  }
}

export const section2: Scenario = {
  name: 'section2',
  summary:
    'B publishes and watches its watchers; A subscribes to its list (RLMI, B pending); B allows A over Ut',
  async run(t) {
    const a = t.ue({ subscriber: 0 });
    const b = t.ue({ subscriber: 1 });
    const aUri = a.impus[0]!;
    const bUri = b.impus[0]!;
    const service = `sip:${aUri.slice(4).split('@')[0]}-${t.fresh('friends')}@${t.config.presence.domain}`;
    const listsDoc = t.fresh('index');
    const uaA = await t.ua(0);
    const uaB = await t.ua(1);

    await t.step('B publishes its presence (PIDF)', async () => {
      const p = await uaB.publish({ basic: 'open', note: 'at the testbed' }, { expires: 600 });
      t.check('a SIP-ETag', typeof p.etag === 'string' && p.etag.length > 0, 'an entity tag', p.etag);
    });
    const winfo = await t.step('B subscribes to its presence.winfo', async () => {
      const w = await uaB.subscribe(bUri, { event: 'presence.winfo', expires: 600 });
      const u = await until(w, (x) => x.watcherinfo !== undefined);
      t.expect('state', u.state, 'active');
      t.expect('watchers of B', u.watcherinfo?.lists[0]?.watchers.length, 0);
      return w;
    });
    await t.step('A creates a list with B and an rls-services entry for it over Ut', async () => {
      const lists =
        `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="${RL_NS}">\n` +
        `  <list name="friends"><entry uri="${bUri}"><display-name>B</display-name></entry></list>\n` +
        '</resource-lists>\n';
      const r1 = await attempt(a.xcap.put({ auid: 'resource-lists', document: listsDoc }, lists));
      t.expect('resource-lists PUT', r1.status, 201);
      const node = `${t.xcapRoot}/resource-lists/users/${aUri}/${listsDoc}/~~/resource-lists/list%5b@name=%22friends%22%5d`;
      const rls =
        `<?xml version="1.0" encoding="UTF-8"?>\n<rls-services xmlns="${RLS_NS}">\n` +
        `  <service uri="${service}"><resource-list>${node}</resource-list>` +
        '<packages><package>presence</package></packages></service>\n</rls-services>\n';
      const r2 = await attempt(a.xcap.put({ auid: 'rls-services', document: 'index' }, rls));
      t.check(
        'rls-services PUT',
        r2.status === 201 || r2.status === 200,
        '201 (or 200 when it existed)',
        r2.status,
      );
    });
    const list = await t.step(
      'A subscribes to the list URI (Supported: eventlist): RLMI with B pending',
      async () => {
        const w = await uaA.subscribe(service, { list: true, expires: 600 });
        const u = await until(w, (x) => x.list !== undefined);
        t.expect('state', u.state, 'active');
        const res = u.list?.resources.map((r) => [r.uri, r.instances[0]?.state]);
        t.expect('resources and their instances', res, [[bUri, 'pending']]);
        return w;
      },
    );
    await t.step("B's watcher information shows A pending", async () => {
      const u = await until(winfo, (x) =>
        (x.watcherinfo?.lists[0]?.watchers ?? []).some((w) => w.uri === aUri),
      );
      const w = u.watcherinfo?.lists[0]?.watchers.find((x) => x.uri === aUri);
      t.expect("A in B's watchers", w && [w.status, w.event], ['pending', 'subscribe']);
    });
    await t.step('B allows A with a pres-rules PUT over Ut', async () => {
      const rules =
        `<?xml version="1.0" encoding="UTF-8"?>\n<cr:ruleset xmlns:cr="${CP}" xmlns:pr="${PR}">\n` +
        `<cr:rule id="allow-a"><cr:conditions><cr:identity><cr:one id="${aUri}"/></cr:identity></cr:conditions>` +
        '<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations>' +
        '<pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/>' +
        '</pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/>' +
        '</cr:transformations></cr:rule>\n</cr:ruleset>\n';
      const r = await attempt(b.xcap.put({ auid: 'pres-rules', document: 'index' }, rules));
      t.check(
        'pres-rules PUT',
        r.status === 201 || r.status === 200,
        '201 (or 200 when it existed)',
        r.status,
      );
    });
    await t.step("A receives B's presence", async () => {
      const u = await until(
        list,
        (x) => x.list?.resources.find((r) => r.uri === bUri)?.instances[0]?.state === 'active',
      );
      const inst = u.list?.resources.find((r) => r.uri === bUri)?.instances[0];
      t.expect("B active in A's list", inst?.state, 'active');
      t.expect(
        "B's tuples as A sees them",
        inst?.presence?.tuples.map((x) => x.basic),
        ['open'],
      );
    });
    await t.step('A and B end their subscriptions', async () => {
      const ends = await Promise.all([list.unsubscribe(), winfo.unsubscribe()]);
      t.expect(
        'both terminated',
        ends.map((e) => e.state),
        ['terminated', 'terminated'],
      );
    });
  },
};
