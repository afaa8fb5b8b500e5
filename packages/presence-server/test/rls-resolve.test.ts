/**
 * Resolving a service's list into resources (RFC 4826 section 4.3): with an in-memory fetch for the cases
 * (entry, entry-ref, external, nesting, loops, duplicates, failures, bounds), and against a real XCAP server
 * over HTTP, fetching the nodes the references name.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import { start, type XcapService } from '@ut-testbed/xcap-server';
import pino from 'pino';
import { resolveService, type ResolveOptions } from '../src/rls/resolve';
import { findService, parseRlsServices, type ListNode, type Service } from '../src/rls/services';

const ROOT = 'http://xcap.home1.net/services';
const node = (user: string, list: string) =>
  `${ROOT}/resource-lists/users/${user}/index/~~/resource-lists/list%5b@name=%22${list}%22%5d`;

const inline = (list: Omit<ListNode, 'kind'>): Service => ({
  uri: 'sip:svc@home1.net',
  list: { kind: 'list', ...list },
  packages: [],
  restricted: false,
});
const byList = (uri: string): Service => ({
  uri: 'sip:svc@home1.net',
  resourceList: uri,
  packages: [],
  restricted: false,
});

/** A fetch over fixed texts, counting what is asked. */
function memory(texts: Record<string, string>, extra: Partial<ResolveOptions> = {}) {
  const asked: string[] = [];
  const o: ResolveOptions = {
    fetch: async (uri) => {
      asked.push(uri);
      return texts[uri];
    },
    ...extra,
  };
  return { o, asked };
}

describe('resolveService with an in-memory fetch', () => {
  it('an inline list: entries and nested lists flattened in order, display names kept', async () => {
    const { o, asked } = memory({});
    const r = await resolveService(
      inline({
        displayName: 'Team',
        items: [
          { kind: 'entry', uri: 'sip:a@home1.net', displayName: 'A' },
          {
            kind: 'list',
            name: 'sub',
            items: [
              { kind: 'entry', uri: 'sip:b@home1.net' },
              { kind: 'list', items: [{ kind: 'entry', uri: 'tel:+15550100', displayName: 'Desk' }] },
            ],
          },
          { kind: 'entry', uri: 'sip:c@home1.net' },
        ],
      }),
      o,
    );
    expect(r).toEqual({
      name: 'Team',
      resources: [
        { uri: 'sip:a@home1.net', name: 'A' },
        { uri: 'sip:b@home1.net' },
        { uri: 'tel:+15550100', name: 'Desk' },
        { uri: 'sip:c@home1.net' },
      ],
      unresolved: [],
      truncated: false,
    });
    expect(asked).toEqual([]);
  });

  it('a <resource-list> service: the list is fetched, its display-name is the name', async () => {
    const friends = node('sip:alice@home1.net', 'friends');
    const { o, asked } = memory({
      [friends]:
        '<list name="friends"><display-name>Friends</display-name><entry uri="sip:bob@home1.net"/></list>',
    });
    const r = await resolveService(byList(friends), o);
    expect(r.name).toBe('Friends');
    expect(r.resources).toEqual([{ uri: 'sip:bob@home1.net' }]);
    expect(asked).toEqual([friends]);
  });

  it('entry-ref: relative to the XCAP root; its own display-name before the entry’s', async () => {
    const ref = 'resource-lists/users/sip:bob@home1.net/index/~~/resource-lists/list/entry%5b1%5d';
    const ref2 = 'resource-lists/users/sip:bob@home1.net/index/~~/resource-lists/list/entry%5b2%5d';
    const service = inline({
      items: [
        { kind: 'entryRef', ref, displayName: 'My Carol' },
        { kind: 'entryRef', ref: ref2 },
      ],
    });
    const texts = {
      [`${ROOT}/${ref}`]: '<entry uri="sip:carol@home1.net"><display-name>Carol</display-name></entry>',
      [`${ROOT}/${ref2}`]: '<entry uri="sip:dave@home1.net"><display-name>Dave</display-name></entry>',
    };
    const withRoot = memory(texts, { xcapRoot: ROOT });
    const r = await resolveService(service, withRoot.o);
    expect(r.resources).toEqual([
      { uri: 'sip:carol@home1.net', name: 'My Carol' },
      { uri: 'sip:dave@home1.net', name: 'Dave' },
    ]);
    expect(withRoot.asked).toEqual([`${ROOT}/${ref}`, `${ROOT}/${ref2}`]);
    // without the root, the caller's fetch gets the relative reference as written
    const bare = memory({ [ref]: texts[`${ROOT}/${ref}`]! });
    const r2 = await resolveService(service, bare.o);
    expect(bare.asked).toEqual([ref, ref2]);
    expect(r2.resources).toEqual([{ uri: 'sip:carol@home1.net', name: 'My Carol' }]);
    expect(r2.unresolved).toEqual([ref2]);
  });

  it('external: the list it names is flattened in place', async () => {
    const work = node('sip:alice@home1.net', 'work');
    const { o } = memory({
      [work]: '<list><entry uri="sip:w1@home1.net"/><entry uri="sip:w2@home1.net"/></list>',
    });
    const r = await resolveService(
      inline({
        items: [
          { kind: 'entry', uri: 'sip:first@home1.net' },
          { kind: 'external', anchor: work, displayName: 'Work' },
          { kind: 'entry', uri: 'sip:last@home1.net' },
        ],
      }),
      o,
    );
    expect(r.resources.map((x) => x.uri)).toEqual([
      'sip:first@home1.net',
      'sip:w1@home1.net',
      'sip:w2@home1.net',
      'sip:last@home1.net',
    ]);
  });

  it('a loop (a → b → a, and a → a) ends: each list fetched once, each resource once', async () => {
    const a = node('sip:alice@home1.net', 'a');
    const b = node('sip:alice@home1.net', 'b');
    const { o, asked } = memory({
      [a]: `<list><entry uri="sip:1@h"/><external anchor="${b}"/><external anchor="${a}"/></list>`,
      [b]: `<list><entry uri="sip:2@h"/><external anchor="${a}"/><entry uri="sip:1@h"/></list>`,
    });
    const r = await resolveService(byList(a), o);
    expect(r.resources).toEqual([{ uri: 'sip:1@h' }, { uri: 'sip:2@h' }]);
    expect(asked.sort()).toEqual([a, b].sort());
    expect(r.unresolved).toEqual([]);
    expect(r.truncated).toBe(false);
  });

  it('duplicates by URI equality: the first occurrence and its name are kept', async () => {
    const r = await resolveService(
      inline({
        items: [
          { kind: 'entry', uri: 'sip:bob@home1.net' },
          { kind: 'entry', uri: 'sip:bob@HOME1.NET', displayName: 'Bob' },
          { kind: 'list', items: [{ kind: 'entry', uri: 'SIP:bob@home1.net;foo=bar', displayName: 'B' }] },
          { kind: 'entry', uri: 'sip:Bob@home1.net', displayName: 'Another Bob' },
        ],
      }),
      memory({}).o,
    );
    expect(r.resources).toEqual([
      { uri: 'sip:bob@home1.net' },
      { uri: 'sip:Bob@home1.net', name: 'Another Bob' },
    ]);
  });

  it('failures go to unresolved and the rest is still resolved', async () => {
    const missing = node('sip:alice@home1.net', 'missing');
    const broken = node('sip:alice@home1.net', 'broken');
    const wrong = node('sip:alice@home1.net', 'wrong');
    const throws = node('sip:alice@home1.net', 'throws');
    const o: ResolveOptions = {
      fetch: async (uri) => {
        if (uri === throws) throw new Error('connection refused');
        return { [broken]: '<list><entry uri="sip:x@h"></list>', [wrong]: '<pres-rules/>' }[uri];
      },
    };
    const r = await resolveService(
      inline({
        items: [
          { kind: 'external', anchor: missing },
          { kind: 'entry', uri: 'sip:ok1@h' },
          { kind: 'external', anchor: broken },
          { kind: 'external', anchor: throws },
          { kind: 'external', anchor: wrong },
          { kind: 'entry', uri: 'sip:ok2@h' },
        ],
      }),
      o,
    );
    expect(r.resources).toEqual([{ uri: 'sip:ok1@h' }, { uri: 'sip:ok2@h' }]);
    expect(r.unresolved).toEqual([missing, broken, throws, wrong]);
    expect(r.truncated).toBe(false);
  });

  it('a <resource-list> that cannot be fetched: no resources, the URI unresolved', async () => {
    const gone = node('sip:alice@home1.net', 'gone');
    const r = await resolveService(byList(gone), memory({}).o);
    expect(r).toEqual({ resources: [], unresolved: [gone], truncated: false });
  });

  it('maxResources: the first n distinct resources, truncated; duplicates do not count', async () => {
    const items = ['a', 'b', 'a', 'c', 'd', 'e'].map((u) => ({ kind: 'entry' as const, uri: `sip:${u}@h` }));
    const r = await resolveService(inline({ items }), { ...memory({}).o, maxResources: 3 });
    expect(r.resources.map((x) => x.uri)).toEqual(['sip:a@h', 'sip:b@h', 'sip:c@h']);
    expect(r.truncated).toBe(true);
    const exact = await resolveService(inline({ items: items.slice(0, 4) }), {
      ...memory({}).o,
      maxResources: 3,
    });
    expect(exact.resources).toHaveLength(3);
    expect(exact.truncated).toBe(false);
  });

  it('maxResources stops the walk: no fetch for references after the bound is reached', async () => {
    const later = node('sip:alice@home1.net', 'later');
    const { o, asked } = memory({ [later]: '<list><entry uri="sip:z@h"/></list>' }, { maxResources: 1 });
    const r = await resolveService(
      inline({
        items: [
          { kind: 'entry', uri: 'sip:a@h' },
          { kind: 'list', items: [{ kind: 'entry', uri: 'sip:b@h' }] },
          { kind: 'list', items: [{ kind: 'external', anchor: later }] },
        ],
      }),
      o,
    );
    expect(r.resources).toEqual([{ uri: 'sip:a@h' }]);
    expect(r.truncated).toBe(true);
    expect(asked).toEqual([]);
  });

  it('maxDepth: a chain of references deeper than the bound is cut, the cut reference unresolved', async () => {
    const texts: Record<string, string> = {};
    const uri = (i: number) => node('sip:alice@home1.net', `l${i}`);
    for (let i = 1; i <= 5; i++)
      texts[uri(i)] = `<list><entry uri="sip:u${i}@h"/><external anchor="${uri(i + 1)}"/></list>`;
    const r = await resolveService(
      inline({ items: [{ kind: 'external', anchor: uri(1) }] }),
      memory(texts, { maxDepth: 3 }).o,
    );
    expect(r.resources.map((x) => x.uri)).toEqual(['sip:u1@h', 'sip:u2@h', 'sip:u3@h']);
    expect(r.unresolved).toEqual([uri(4)]);
    expect(r.truncated).toBe(true);
  });

  it('maxDepth also bounds inline nesting', async () => {
    let list: ListNode = { kind: 'list', items: [{ kind: 'entry', uri: 'sip:deep@h' }] };
    for (let i = 0; i < 3; i++) list = { kind: 'list', items: [{ kind: 'entry', uri: `sip:d${i}@h` }, list] };
    const r = await resolveService(inline({ items: list.items }), { ...memory({}).o, maxDepth: 2 });
    expect(r.resources.map((x) => x.uri)).toEqual(['sip:d2@h', 'sip:d1@h', 'sip:d0@h']);
    expect(r.truncated).toBe(true);
  });

  it('sibling references are fetched together, within the concurrency bound, used in document order', async () => {
    const uris = [1, 2, 3].map((i) => node('sip:alice@home1.net', `p${i}`));
    const pending = new Map<string, (text: string) => void>();
    let inFlight = 0;
    let most = 0;
    const o: ResolveOptions = {
      concurrency: 2,
      fetch: (uri) =>
        new Promise((resolve) => {
          most = Math.max(most, ++inFlight);
          pending.set(uri, (t) => {
            inFlight--;
            resolve(t);
          });
        }),
    };
    const done = resolveService(
      inline({ items: uris.map((anchor) => ({ kind: 'external' as const, anchor })) }),
      o,
    );
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    expect([...pending.keys()]).toEqual(uris.slice(0, 2));
    // the second answers first
    pending.get(uris[1]!)!('<list><entry uri="sip:two@h"/></list>');
    await tick();
    expect([...pending.keys()]).toEqual(uris);
    pending.get(uris[2]!)!('<list><entry uri="sip:three@h"/></list>');
    pending.get(uris[0]!)!('<list><entry uri="sip:one@h"/></list>');
    const r = await done;
    expect(r.resources.map((x) => x.uri)).toEqual(['sip:one@h', 'sip:two@h', 'sip:three@h']);
    expect(most).toBe(2);
  });
});

describe('resolveService against a real XCAP server', () => {
  const ALICE = 'sip:alice@home1.net';
  let svc: XcapService;
  let dir: string;
  let root: string;

  function http(method: string, path: string, body?: string, type?: string) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = { 'X-3GPP-Asserted-Identity': `"${ALICE}"` };
      if (type) headers['Content-Type'] = type;
      const req = request(path, { method, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rls-resolve-'));
    const c = parseConfig({
      xcap: {
        listen: { host: '127.0.0.1', port: 0 },
        database: join(dir, 'xcap.db'),
        trustedProxies: ['127.0.0.1'],
      },
    });
    svc = await start({ xcap: c.xcap, logger: pino({ level: 'silent' }) });
    root = `http://${svc.endpoints.http}/services`;
  });
  afterAll(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('PUT over Ut, then resolved from node GETs: entry-ref, external, nesting, a loop, a duplicate, a 404', async () => {
    const listUri = (name: string) =>
      `${root}/resource-lists/users/${ALICE}/index/~~/resource-lists/list%5b@name=%22${name}%22%5d`;
    const daveRef = `resource-lists/users/${ALICE}/index/~~/resource-lists/list%5b@name=%22colleagues%22%5d/entry%5b@uri=%22sip:dave@home1.net%22%5d`;
    const lists = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
  <list name="friends">
    <display-name>Friends</display-name>
    <entry uri="sip:bob@home1.net"><display-name>Bob</display-name></entry>
    <entry-ref ref="${daveRef}"/>
    <external anchor="${listUri('family')}"/>
    <list name="close">
      <entry uri="sip:erin@home1.net"/>
      <entry uri="sip:bob@HOME1.NET"><display-name>Bobby</display-name></entry>
    </list>
    <external anchor="${listUri('nosuch')}"/>
  </list>
  <list name="colleagues">
    <entry uri="sip:dave@home1.net"><display-name>Dave</display-name></entry>
  </list>
  <list name="family">
    <entry uri="sip:carol@home1.net"/>
    <external anchor="${listUri('friends')}"/>
  </list>
</resource-lists>
`;
    const put = await http(
      'PUT',
      `${root}/resource-lists/users/${ALICE}/index`,
      lists,
      'application/resource-lists+xml',
    );
    expect(put.status).toBe(201);
    const services = `<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">
  <service uri="sip:alice-friends@home1.net">
    <resource-list>${listUri('friends')}</resource-list>
    <packages><package>presence</package></packages>
  </service>
</rls-services>
`;
    const put2 = await http(
      'PUT',
      `${root}/rls-services/users/${ALICE}/index`,
      services,
      'application/rls-services+xml',
    );
    expect(put2.status).toBe(201);

    const got = await http('GET', `${root}/rls-services/users/${ALICE}/index`);
    const service = findService(parseRlsServices(got.body), 'sip:alice-friends@HOME1.NET');
    expect(service?.resourceList).toBe(listUri('friends'));

    // an element GET gives the element's own bytes: the namespace is declared on the stored ancestor only
    const colleagues = await http('GET', listUri('colleagues'));
    expect(colleagues.body).toMatch(/^<list name="colleagues">\s*<entry uri="sip:dave@home1.net">/);

    const fetched: string[] = [];
    const r = await resolveService(service!, {
      xcapRoot: root,
      fetch: async (uri) => {
        // the RLS fetches from its own XCAP server only
        if (!uri.startsWith(root + '/')) return undefined;
        fetched.push(uri);
        const res = await http('GET', uri);
        return res.status === 200 ? res.body : undefined;
      },
    });
    expect(r).toEqual({
      name: 'Friends',
      resources: [
        { uri: 'sip:bob@home1.net', name: 'Bob' },
        { uri: 'sip:dave@home1.net', name: 'Dave' },
        { uri: 'sip:carol@home1.net' },
        { uri: 'sip:erin@home1.net' },
      ],
      unresolved: [listUri('nosuch')],
      truncated: false,
    });
    expect(fetched.sort()).toEqual(
      [listUri('friends'), `${root}/${daveRef}`, listUri('family'), listUri('nosuch')].sort(),
    );
  });
});
