/**
 * application/watcherinfo+xml (RFC 3858): built documents against the schema of section 6 (libxml2), the
 * parser, the subscriber's view of section 4, and a winfo subscriber following a registry's notifications.
 */
import { ManualClock } from '@ut-testbed/sip-core';
import { XmlError } from '../src/pidf';
import {
  applyWatcherinfo,
  buildWatcherinfo,
  parseWatcherinfo,
  WATCHERINFO_NS,
  type WatcherEntry,
  type WatcherinfoDocument,
} from '../src/winfo/document';
import { WatcherRegistry, type WatcherKey } from '../src/winfo/watchers';
import { schemaValidator } from './support-schema';

let schemaError: (xml: string) => string | undefined;

beforeAll(async () => {
  schemaError = await schemaValidator('watcherinfo.xsd', []);
});

/** Builds, checks the result against the schema, and parses it back. */
function roundTrip(doc: WatcherinfoDocument): { xml: string; parsed: WatcherinfoDocument } {
  const xml = buildWatcherinfo(doc);
  expect(schemaError(xml)).toBeUndefined();
  return { xml, parsed: parseWatcherinfo(xml) };
}

const alice: WatcherEntry = {
  id: 'w1',
  uri: 'sip:alice@home1.net',
  displayName: 'Alice',
  status: 'active',
  event: 'approved',
  durationSubscribed: 509,
  expiration: 20,
};
const bob: WatcherEntry = { id: 'w2', uri: 'sip:bob@home1.net', status: 'pending', event: 'subscribe' };

describe('the RFC 3858 schema', () => {
  test.each([
    ['an unknown status', '<watcher id="a" status="blocked" event="subscribe">sip:a@h</watcher>', /status/],
    ['an unknown event', '<watcher id="a" status="active" event="expired">sip:a@h</watcher>', /event/],
    ['no id', '<watcher status="active" event="subscribe">sip:a@h</watcher>', /id/],
    [
      'a negative expiration',
      '<watcher id="a" status="active" event="subscribe" expiration="-1">sip:a@h</watcher>',
      /expiration/,
    ],
    [
      'an element inside a watcher',
      '<watcher id="a" status="active" event="subscribe"><b/></watcher>',
      /watcher/,
    ],
  ])('rejects a hand-written document with %s', (_what, watcher, message) => {
    const xml = `<watcherinfo xmlns="${WATCHERINFO_NS}" version="0" state="full"><watcher-list resource="sip:p@h" package="presence">${watcher}</watcher-list></watcherinfo>`;
    expect(schemaError(xml)).toMatch(message);
  });

  test('rejects a document without a version, and a watcher-list without a package', () => {
    expect(schemaError(`<watcherinfo xmlns="${WATCHERINFO_NS}" state="full"/>`)).toMatch(/version/);
    expect(
      schemaError(
        `<watcherinfo xmlns="${WATCHERINFO_NS}" version="1" state="partial"><watcher-list resource="sip:p@h"/></watcherinfo>`,
      ),
    ).toMatch(/package/);
  });

  test('accepts the example of RFC 3857 section 5, extension elements included', () => {
    const xml = `<?xml version="1.0"?>
      <watcherinfo xmlns="${WATCHERINFO_NS}" version="0" state="full">
        <watcher-list resource="sip:B@example.com" package="presence">
          <watcher id="7768a77s" event="subscribe" status="pending">sip:A@example.com</watcher>
        </watcher-list>
        <x:note xmlns:x="urn:example:ext">an extension</x:note>
      </watcherinfo>`;
    expect(schemaError(xml)).toBeUndefined();
    expect(parseWatcherinfo(xml)).toEqual({
      version: 0,
      state: 'full',
      lists: [
        {
          resource: 'sip:B@example.com',
          package: 'presence',
          watchers: [{ id: '7768a77s', uri: 'sip:A@example.com', status: 'pending', event: 'subscribe' }],
        },
      ],
    });
  });
});

describe('buildWatcherinfo and parseWatcherinfo', () => {
  test('a full document round-trips, every attribute and an empty list included', () => {
    const doc: WatcherinfoDocument = {
      version: 3,
      state: 'full',
      lists: [
        { resource: 'sip:carol@home1.net', package: 'presence', watchers: [alice, { ...bob, lang: 'en' }] },
        { resource: 'sip:dave@home1.net', package: 'presence', watchers: [] },
      ],
    };
    const { xml, parsed } = roundTrip(doc);
    expect(parsed).toEqual(doc);
    expect(xml).toContain(
      '<watcher id="w1" status="active" event="approved" display-name="Alice" duration-subscribed="509" expiration="20">sip:alice@home1.net</watcher>',
    );
    expect(xml).toContain('<watcher-list resource="sip:dave@home1.net" package="presence"/>');
    expect(xml).toContain('xml:lang="en"');
  });

  test('a partial document with no lists is valid', () => {
    expect(roundTrip({ version: 7, state: 'partial', lists: [] }).parsed).toEqual({
      version: 7,
      state: 'partial',
      lists: [],
    });
  });

  test('markup characters in URIs, ids and display names are escaped and come back unchanged', () => {
    const tricky: WatcherEntry = {
      id: 'a&b"c',
      uri: 'sip:bob&co@home1.net;x=<y>',
      displayName: `"Bob" <the 'builder'> & co\ttab\nline`,
      status: 'pending',
      event: 'subscribe',
    };
    const doc: WatcherinfoDocument = {
      version: 0,
      state: 'full',
      lists: [{ resource: 'sip:p&q@home1.net', package: 'presence', watchers: [tricky] }],
    };
    const { xml, parsed } = roundTrip(doc);
    expect(parsed).toEqual(doc);
    expect(xml).toContain('resource="sip:p&amp;q@home1.net"');
    expect(xml).toContain('id="a&amp;b&quot;c"');
    expect(xml).toContain('display-name="&quot;Bob&quot; &lt;the \'builder\'&gt; &amp; co&#9;tab&#10;line"');
    expect(xml).toContain('>sip:bob&amp;co@home1.net;x=&lt;y&gt;</watcher>');
  });

  test.each([
    ['a control character', { ...bob, displayName: 'a\u0001b' }, /cannot carry/],
    ['a lone surrogate', { ...bob, uri: 'sip:\uD800@h' }, /cannot carry/],
    ['an unknown status', { ...bob, status: 'blocked' as never }, /status/],
    ['an unknown event', { ...bob, event: 'expired' as never }, /event/],
    ['a fractional expiration', { ...bob, expiration: 1.5 }, /expiration/],
    ['an empty id', { ...bob, id: '' }, /id/],
  ])('refuses to build %s', (_what, watcher, message) => {
    const doc: WatcherinfoDocument = {
      version: 0,
      state: 'full',
      lists: [{ resource: 'sip:p@h', package: 'presence', watchers: [watcher] }],
    };
    expect(() => buildWatcherinfo(doc)).toThrow(XmlError);
    expect(() => buildWatcherinfo(doc)).toThrow(message);
  });

  test('refuses to build a negative version, repeated ids and repeated lists', () => {
    expect(() => buildWatcherinfo({ version: -1, state: 'full', lists: [] })).toThrow(/version/);
    const list = { resource: 'sip:p@h', package: 'presence', watchers: [bob] };
    expect(() =>
      buildWatcherinfo({
        version: 0,
        state: 'full',
        lists: [{ ...list, watchers: [bob, { ...alice, id: bob.id }] }],
      }),
    ).toThrow(/appears twice/);
    expect(() => buildWatcherinfo({ version: 0, state: 'full', lists: [list, list] })).toThrow(
      /two watcher lists/,
    );
  });

  test('a prefixed document and white space around values parse', () => {
    const xml = `<w:watcherinfo xmlns:w="${WATCHERINFO_NS}" version=" 4 " state="partial"><w:watcher-list resource=" sip:p@h " package="presence"><w:watcher id="x" status="terminated" event="timeout" expiration="+0">
      sip:a@h
    </w:watcher></w:watcher-list></w:watcherinfo>`;
    expect(parseWatcherinfo(xml)).toEqual({
      version: 4,
      state: 'partial',
      lists: [
        {
          resource: 'sip:p@h',
          package: 'presence',
          watchers: [{ id: 'x', uri: 'sip:a@h', status: 'terminated', event: 'timeout', expiration: 0 }],
        },
      ],
    });
  });

  const list = (watchers: string) =>
    `<watcherinfo xmlns="${WATCHERINFO_NS}" version="0" state="full"><watcher-list resource="sip:p@h" package="presence">${watchers}</watcher-list></watcherinfo>`;
  test.each([
    ['not XML', '<watcherinfo', /./],
    [
      'a DOCTYPE',
      `<!DOCTYPE watcherinfo><watcherinfo xmlns="${WATCHERINFO_NS}" version="0" state="full"/>`,
      /DOCTYPE/,
    ],
    ['another root', '<presence xmlns="urn:ietf:params:xml:ns:pidf"/>', /root element/],
    ['the root in no namespace', '<watcherinfo version="0" state="full"/>', /root element/],
    ['no version', `<watcherinfo xmlns="${WATCHERINFO_NS}" state="full"/>`, /version/],
    ['a negative version', `<watcherinfo xmlns="${WATCHERINFO_NS}" version="-1" state="full"/>`, /version/],
    [
      'a huge version',
      `<watcherinfo xmlns="${WATCHERINFO_NS}" version="99999999999999999999" state="full"/>`,
      /too large/,
    ],
    ['an unknown state', `<watcherinfo xmlns="${WATCHERINFO_NS}" version="0" state="delta"/>`, /state/],
    [
      'no resource',
      `<watcherinfo xmlns="${WATCHERINFO_NS}" version="0" state="full"><watcher-list package="presence"/></watcherinfo>`,
      /resource/,
    ],
    ['an unknown element of the namespace', list('<watchers/>'), /not allowed/],
    [
      'an element in no namespace',
      list('<watcher xmlns="" id="a" status="active" event="subscribe">sip:a@h</watcher>'),
      /not allowed/,
    ],
    [
      'a watcher after an extension',
      list('<x xmlns="urn:e"/><watcher id="a" status="active" event="subscribe">sip:a@h</watcher>'),
      /not allowed/,
    ],
    ['text in a list', list('stray'), /text inside/],
    ['a watcher without id', list('<watcher status="active" event="subscribe">sip:a@h</watcher>'), /id/],
    [
      'an unknown status',
      list('<watcher id="a" status="blocked" event="subscribe">sip:a@h</watcher>'),
      /status/,
    ],
    ['an unknown event', list('<watcher id="a" status="active" event="expired">sip:a@h</watcher>'), /event/],
    [
      'a bad expiration',
      list('<watcher id="a" status="active" event="subscribe" expiration="1e3">sip:a@h</watcher>'),
      /expiration/,
    ],
    [
      'a bad duration',
      list('<watcher id="a" status="active" event="subscribe" duration-subscribed="x">sip:a@h</watcher>'),
      /duration/,
    ],
    [
      'a watcher without URI',
      list('<watcher id="a" status="active" event="subscribe"> </watcher>'),
      /no URI/,
    ],
    [
      'an element in a watcher',
      list('<watcher id="a" status="active" event="subscribe"><u>sip:a@h</u></watcher>'),
      /contains an element/,
    ],
    [
      'a repeated id',
      list(
        '<watcher id="a" status="active" event="subscribe">sip:a@h</watcher><watcher id="a" status="pending" event="subscribe">sip:b@h</watcher>',
      ),
      /appears twice/,
    ],
  ])('refuses %s', (_what, xml, message) => {
    expect(() => parseWatcherinfo(xml)).toThrow(XmlError);
    expect(() => parseWatcherinfo(xml)).toThrow(message);
  });
});

describe('applyWatcherinfo (RFC 3858 section 4)', () => {
  const R = 'sip:carol@home1.net';
  const full = (version: number, watchers: WatcherEntry[]): WatcherinfoDocument => ({
    version,
    state: 'full',
    lists: [{ resource: R, package: 'presence', watchers }],
  });
  const partial = (version: number, watchers: WatcherEntry[], resource = R): WatcherinfoDocument => ({
    version,
    state: 'partial',
    lists: [{ resource, package: 'presence', watchers }],
  });

  test('a first full document becomes the view; a first partial one asks for a refresh', () => {
    expect(applyWatcherinfo(undefined, full(5, [alice, bob]))).toEqual(full(5, [alice, bob]));
    expect(applyWatcherinfo(undefined, partial(5, [bob]))).toBe('resync');
  });

  test('the next partial document updates rows by id, adds new ones and drops terminated ones', () => {
    const view = full(1, [alice, bob]);
    const carl: WatcherEntry = { id: 'w3', uri: 'sip:carl@home1.net', status: 'pending', event: 'subscribe' };
    const next = applyWatcherinfo(view, partial(2, [{ ...bob, status: 'active', event: 'approved' }, carl]));
    expect(next).toEqual(full(2, [alice, { ...bob, status: 'active', event: 'approved' }, carl]));
    const after = applyWatcherinfo(
      next as WatcherinfoDocument,
      partial(3, [{ ...alice, status: 'terminated', event: 'timeout' }]),
    );
    expect(after).toEqual(full(3, [{ ...bob, status: 'active', event: 'approved' }, carl]));
    expect(view).toEqual(full(1, [alice, bob]));
  });

  test('a partial document for a new resource adds its table and keeps the others', () => {
    const next = applyWatcherinfo(full(0, [alice]), partial(1, [bob], 'sip:dave@home1.net'));
    expect(next).toEqual({
      version: 1,
      state: 'full',
      lists: [
        { resource: R, package: 'presence', watchers: [alice] },
        { resource: 'sip:dave@home1.net', package: 'presence', watchers: [bob] },
      ],
    });
  });

  test('a version gap in partial state means resync; an old or repeated version is discarded', () => {
    const view = full(4, [alice]);
    expect(applyWatcherinfo(view, partial(6, [bob]))).toBe('resync');
    expect(applyWatcherinfo(view, partial(4, [bob]))).toBe(view);
    expect(applyWatcherinfo(view, full(3, []))).toBe(view);
  });

  test('a full document replaces the view even after a gap, and its terminated rows are dropped', () => {
    const view = applyWatcherinfo(
      full(1, [alice]),
      full(9, [{ ...bob, status: 'terminated', event: 'rejected' }]),
    );
    expect(view).toEqual(full(9, []));
  });
});

describe('a winfo subscriber following a registry', () => {
  test('full and partial documents carry the same ids, and the merged view equals the full state', () => {
    const clock = new ManualClock();
    const P = 'sip:carol@home1.net';
    const sent: string[] = [];
    let version = 0;
    const registry: WatcherRegistry = new WatcherRegistry({
      clock,
      waitingSeconds: 60,
      onChange: (presentity, pkg, changed) => {
        sent.push(
          buildWatcherinfo({
            version: ++version,
            state: 'partial',
            lists: [{ resource: presentity, package: pkg, watchers: changed }],
          }),
        );
      },
    });
    const key = (subscription: string): WatcherKey => ({ presentity: P, package: 'presence', subscription });
    const fullDoc = () =>
      buildWatcherinfo({
        version,
        state: 'full',
        lists: [{ resource: P, package: 'presence', watchers: registry.list(P, 'presence') }],
      });

    registry.subscribed(key('d1'), {
      uri: 'sip:alice@home1.net',
      displayName: 'Alice & co',
      anonymous: false,
      status: 'pending',
      expiresAt: 3_600_000,
    });
    let view = applyWatcherinfo(undefined, parseWatcherinfo(fullDoc()));
    registry.subscribed(key('d2'), {
      uri: 'sip:bob@home1.net',
      anonymous: true,
      status: 'active',
      expiresAt: 3_600_000,
    });
    registry.subscribed(key('d3'), {
      uri: 'sip:dave@home1.net',
      anonymous: false,
      status: 'pending',
      expiresAt: 3_600_000,
    });
    registry.transition(key('d1'), 'active', 'approved');
    registry.transition(key('d2'), 'terminated', 'probation');
    registry.transition(key('d3'), 'terminated', 'timeout');
    clock.advance(60_000);

    expect(sent).toHaveLength(7);
    for (const xml of [...sent, fullDoc()]) expect(schemaError(xml)).toBeUndefined();
    for (const xml of sent) {
      const next = applyWatcherinfo(view as WatcherinfoDocument, parseWatcherinfo(xml));
      expect(next).not.toBe('resync');
      view = next;
    }
    const now = parseWatcherinfo(fullDoc());
    const rows = (d: WatcherinfoDocument) =>
      d.lists[0]!.watchers.map(({ id, uri, status, event }) => ({ id, uri, status, event }));
    expect(rows(view as WatcherinfoDocument)).toEqual(rows(now));
    expect(rows(now)).toEqual([
      { id: expect.any(String), uri: 'sip:alice@home1.net', status: 'active', event: 'approved' },
    ]);
    // the id alice had in the first full document is the one she has now
    expect(rows(now)[0]!.id).toBe(parseWatcherinfo(sent[0]!).lists[0]!.watchers[0]!.id);
  });
});
