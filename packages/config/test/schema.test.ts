import { parseConfig, type SubscriberConfig } from '../src';
import { issuesOf, messageAt } from './support';

const K = '465B5CE8B199B49FAA5F0A2EE238A6BC';
const OPC = 'CD63CB71954A9F4E48A5994E37A02BAF';

function subscriber(fields: Record<string, unknown>): unknown {
  return { hss: { subscribers: [{ impi: 'alice@home1.net', impus: ['sip:alice@home1.net'], ...fields }] } };
}

function firstSubscriber(fields: Record<string, unknown>): SubscriberConfig {
  const found = parseConfig(subscriber(fields)).hss.subscribers[0];
  if (found === undefined) throw new Error('no subscriber parsed');
  return found;
}

describe('unknown keys', () => {
  it('at the top level are errors naming the key', () => {
    const issues = issuesOf(() => parseConfig({ hsss: {} }));
    expect(issues).toEqual([{ path: 'hsss', message: 'unknown key (did you mean "hss"?)' }]);
  });

  it('in a nested mapping name the full path and suggest the closest key', () => {
    const issues = issuesOf(() => parseConfig({ hss: { listen: { prot: 3868 } } }));
    expect(messageAt(issues, 'hss.listen.prot')).toBe('unknown key (did you mean "port"?)');
  });

  it('inside a list item name the index', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: K, opc: OPC, opC: OPC })));
    expect(messageAt(issues, 'hss.subscribers[0].opC')).toBe('unknown key (did you mean "opc"?)');
  });

  it('far from every known key list the keys that are allowed', () => {
    const issues = issuesOf(() => parseConfig({ ap: { tls: { certificateChain: 'x.pem' } } }));
    expect(messageAt(issues, 'ap.tls.certificateChain')).toBe(
      'unknown key: remove it; the keys here are cert, key, generatedDir, sessionCache',
    );
  });

  it('give one issue per key', () => {
    const issues = issuesOf(() => parseConfig({ xcap: { rooot: '/x', databse: 'x.db' } }));
    expect(issues.map((i) => i.path)).toEqual(['xcap.rooot', 'xcap.databse']);
    expect(messageAt(issues, 'xcap.databse')).toBe('unknown key (did you mean "database"?)');
  });
});

describe('ports', () => {
  it.each([
    ['abc', 'got "abc"'],
    [70000, 'got 70000'],
    [-1, 'got -1'],
    [80.5, 'got 80.5'],
    [null, 'got null'],
  ])('%p is rejected with the allowed range', (port, got) => {
    const issues = issuesOf(() => parseConfig({ hss: { listen: { port } } }));
    expect(messageAt(issues, 'hss.listen.port')).toBe(`expected an integer from 0 to 65535, ${got}`);
  });

  it.each([0, 1, 65535])('%p is accepted', (port) => {
    expect(parseConfig({ ap: { hss: { port } } }).ap.hss.port).toBe(port);
  });

  it('applies to admin listeners as well', () => {
    const issues = issuesOf(() => parseConfig({ xcap: { admin: { port: 65536 } } }));
    expect(messageAt(issues, 'xcap.admin.port')).toBe('expected an integer from 0 to 65535, got 65536');
  });
});

describe('subscribers', () => {
  it('normalises hex to lower case and defaults AMF to 8000 and the scheme to Digest-AKAv1-MD5', () => {
    const sub = firstSubscriber({ k: K, opc: OPC, sqn: '0000000000FF' });
    expect(sub).toEqual({
      impi: 'alice@home1.net',
      impus: ['sip:alice@home1.net'],
      k: K.toLowerCase(),
      opc: OPC.toLowerCase(),
      amf: '8000',
      sqn: '0000000000ff',
      scheme: 'Digest-AKAv1-MD5',
    });
  });

  it('takes Digest-AKAv2-MD5 as the default scheme and refuses others', () => {
    expect(firstSubscriber({ k: K, opc: OPC, scheme: 'Digest-AKAv2-MD5' }).scheme).toBe('Digest-AKAv2-MD5');
    const issues = issuesOf(() => parseConfig(subscriber({ k: K, opc: OPC, scheme: 'SIP Digest' })));
    expect(messageAt(issues, 'hss.subscribers[0].scheme')).toMatch(/Digest-AKAv1-MD5, Digest-AKAv2-MD5/);
  });

  it('accepts op instead of opc', () => {
    const sub = firstSubscriber({ k: K, op: 'CDC202D5123E20F62B6D676AC72CB318', amf: 'B9B9' });
    expect(sub.op).toBe('cdc202d5123e20f62b6d676ac72cb318');
    expect(sub.opc).toBeUndefined();
    expect(sub.amf).toBe('b9b9');
  });

  it('rejects a K of the wrong length without echoing it', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: K.slice(0, 30), opc: OPC })));
    const message = messageAt(issues, 'hss.subscribers[0].k');
    expect(message).toBe('expected K (the subscriber key) as 32 hex digits, got 30 characters');
    expect(message).not.toContain(K.slice(0, 30));
  });

  it('rejects a K with characters that are not hex', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: 'g'.repeat(32), opc: OPC })));
    expect(messageAt(issues, 'hss.subscribers[0].k')).toBe(
      'expected K (the subscriber key) as 32 hex digits, got characters other than 0-9, a-f',
    );
  });

  it('explains that an unquoted AMF is read as a number', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: K, opc: OPC, amf: 8000 })));
    expect(messageAt(issues, 'hss.subscribers[0].amf')).toBe(
      'expected AMF as 4 hex digits in a string, got the number 8000: YAML reads unquoted digits as a number, so put the value in quotes',
    );
  });

  it('rejects an SQN that is not 12 hex digits', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: K, opc: OPC, sqn: '123' })));
    expect(messageAt(issues, 'hss.subscribers[0].sqn')).toBe('expected SQN as 12 hex digits, got "123"');
  });

  it('rejects both op and opc', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: K, opc: OPC, op: OPC })));
    expect(messageAt(issues, 'hss.subscribers[0]')).toBe(
      'has both op and opc: give exactly one (opc is derived from op and k, so keep only one)',
    );
  });

  it('rejects neither op nor opc', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: K })));
    expect(issues).toEqual([
      {
        path: 'hss.subscribers[0].opc',
        message: 'required key is missing: give opc (OPc as 32 hex digits) or op (OP as 32 hex digits)',
      },
    ]);
  });

  it('reports a missing opc even when another key of the subscriber is also wrong', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ k: 'xyz' })));
    expect(issues.map((i) => i.path)).toEqual(['hss.subscribers[0].k', 'hss.subscribers[0].opc']);
  });

  it('requires impi, impus and k', () => {
    const issues = issuesOf(() => parseConfig({ hss: { subscribers: [{ opc: OPC }] } }));
    expect(messageAt(issues, 'hss.subscribers[0].impi')).toBe(
      'required key is missing: expected a private identity of the form user@realm',
    );
    expect(messageAt(issues, 'hss.subscribers[0].impus')).toMatch(
      /^required key is missing: expected a non-empty list/,
    );
    expect(messageAt(issues, 'hss.subscribers[0].k')).toBe(
      'required key is missing: expected K (the subscriber key) as 32 hex digits',
    );
  });

  it('checks the form of identities', () => {
    const issues = issuesOf(() =>
      parseConfig(
        subscriber({
          impi: 'alice',
          impus: ['sip:alice@home1.net', 'alice@home1.net', 'tel:+1212555'],
          k: K,
          opc: OPC,
        }),
      ),
    );
    expect(messageAt(issues, 'hss.subscribers[0].impi')).toBe(
      'expected a private identity of the form user@realm, got "alice"',
    );
    expect(messageAt(issues, 'hss.subscribers[0].impus[1]')).toBe(
      'expected a public identity: a sip:, sips: or tel: URI, got "alice@home1.net"',
    );
    expect(issues).toHaveLength(2);
  });

  it('rejects an empty IMPU list', () => {
    const issues = issuesOf(() => parseConfig(subscriber({ impus: [], k: K, opc: OPC })));
    expect(messageAt(issues, 'hss.subscribers[0].impus')).toBe(
      'expected a non-empty list of public identities (sip:, sips: or tel: URIs), got an empty list',
    );
  });

  it('rejects the same IMPI twice and the same IMPU twice in one subscriber', () => {
    const alice = { impi: 'alice@home1.net', impus: ['sip:a@home1.net', 'sip:a@home1.net'], k: K, opc: OPC };
    const issues = issuesOf(() =>
      parseConfig({
        hss: { subscribers: [alice, { ...alice, impi: 'ALICE@home1.net', impus: ['sip:b@home1.net'] }] },
      }),
    );
    expect(messageAt(issues, 'hss.subscribers[0].impus[1]')).toBe(
      'public identity "sip:a@home1.net" is already given at [0]; list each only once',
    );
    expect(messageAt(issues, 'hss.subscribers[1].impi')).toBe(
      'private identity "alice@home1.net" is already given at [0]; list each only once',
    );
  });

  it('allows one IMPU shared by two IMPIs', () => {
    const shared = { impus: ['sip:shared@home1.net'], k: K, opc: OPC };
    const config = parseConfig({
      hss: {
        subscribers: [
          { impi: 'a@home1.net', ...shared },
          { impi: 'b@home1.net', ...shared },
        ],
      },
    });
    expect(config.hss.subscribers.map((s) => s.impi)).toEqual(['a@home1.net', 'b@home1.net']);
  });
});

describe('ap', () => {
  it('requires redisUrl when the session store is redis', () => {
    const issues = issuesOf(() => parseConfig({ ap: { tls: { sessionCache: { store: 'redis' } } } }));
    expect(issues).toEqual([
      {
        path: 'ap.tls.sessionCache.redisUrl',
        message: 'required when store is redis: give the Redis server URL, e.g. redis://127.0.0.1:6379',
      },
    ]);
  });

  it('accepts a redis store with its URL', () => {
    const config = parseConfig({
      ap: { tls: { sessionCache: { store: 'redis', redisUrl: 'redis://cache:6379/0' } } },
    });
    expect(config.ap.tls.sessionCache).toEqual({ store: 'redis', redisUrl: 'redis://cache:6379/0' });
  });

  it('rejects a redisUrl that is not a Redis URL, and an unknown store', () => {
    const issues = issuesOf(() =>
      parseConfig({ ap: { tls: { sessionCache: { store: 'memcached', redisUrl: 'http://x' } } } }),
    );
    expect(messageAt(issues, 'ap.tls.sessionCache.store')).toBe(
      'expected "memory" or "redis", got "memcached"',
    );
    expect(messageAt(issues, 'ap.tls.sessionCache.redisUrl')).toMatch(
      /^expected a redis:\/\/ or rediss:\/\/ URL/,
    );
  });

  it('accepts AKAv1-MD5 and rejects other algorithms', () => {
    expect(parseConfig({ ap: { auth: { algorithm: 'AKAv1-MD5' } } }).ap.auth.algorithm).toBe('AKAv1-MD5');
    const issues = issuesOf(() => parseConfig({ ap: { auth: { algorithm: 'MD5' } } }));
    expect(messageAt(issues, 'ap.auth.algorithm')).toBe('expected "AKAv2-MD5" or "AKAv1-MD5", got "MD5"');
  });

  it('needs both cert and key, or neither', () => {
    const issues = issuesOf(() => parseConfig({ ap: { tls: { cert: 'ap.pem' } } }));
    expect(issues).toEqual([
      {
        path: 'ap.tls.key',
        message:
          'required when cert is set: give the private key file of the certificate, or set both to null',
      },
    ]);
    const tls = parseConfig({ ap: { tls: { cert: 'ap.pem', key: 'ap.key' } } }).ap.tls;
    expect([tls.cert, tls.key]).toEqual(['ap.pem', 'ap.key']);
  });

  it('checks routes: non-empty, prefixes with "/", unique, upstream an http(s) origin', () => {
    expect(
      messageAt(
        issuesOf(() => parseConfig({ ap: { routes: [] } })),
        'ap.routes',
      ),
    ).toBe('expected a non-empty list of routes { pathPrefix, upstream }, got an empty list');
    const issues = issuesOf(() =>
      parseConfig({
        ap: {
          routes: [
            { pathPrefix: '/services', upstream: 'http://127.0.0.1:8081' },
            { pathPrefix: 'services', upstream: 'ftp://127.0.0.1' },
            { pathPrefix: '/services', upstream: 'http://127.0.0.1:8082/xcap' },
          ],
        },
      }),
    );
    expect(messageAt(issues, 'ap.routes[1].pathPrefix')).toBe(
      'expected a path prefix starting with "/", such as /services, got "services"',
    );
    expect(messageAt(issues, 'ap.routes[1].upstream')).toMatch(/^expected an http:\/\/ or https:\/\/ origin/);
    expect(messageAt(issues, 'ap.routes[2].upstream')).toMatch(/got "http:\/\/127.0.0.1:8082\/xcap"$/);
    expect(messageAt(issues, 'ap.routes[2].pathPrefix')).toBe(
      'path prefix "/services" is already given at [0]; list each only once',
    );
  });
});

describe('xcap and presence', () => {
  it('checks the XCAP root', () => {
    for (const root of ['services', '/services/', '/ser vices']) {
      const issues = issuesOf(() => parseConfig({ xcap: { root } }));
      expect(messageAt(issues, 'xcap.root')).toBe(
        `expected an absolute path such as /services (starting with "/", not ending with "/"), got ${JSON.stringify(root)}`,
      );
    }
    expect(parseConfig({ xcap: { root: '/a/b' } }).xcap.root).toBe('/a/b');
  });

  it('trusted addresses must be IP addresses', () => {
    const config = parseConfig({ xcap: { trustedProxies: ['10.0.0.1', '::1'] } });
    expect(config.xcap.trustedProxies).toEqual(['10.0.0.1', '::1']);
    const issues = issuesOf(() =>
      parseConfig({ presence: { trustedPeers: ['localhost'] }, xcap: { trustedProxies: '127.0.0.1' } }),
    );
    expect(messageAt(issues, 'presence.trustedPeers[0]')).toBe(
      'expected an IP address such as 127.0.0.1 or ::1, got "localhost"',
    );
    expect(messageAt(issues, 'xcap.trustedProxies')).toBe(
      'expected a list of IP addresses, e.g. [127.0.0.1], got "127.0.0.1"',
    );
  });

  it('transports: a non-empty list of udp and tcp, each once', () => {
    expect(parseConfig({ presence: { listen: { transports: ['tcp'] } } }).presence.listen.transports).toEqual(
      ['tcp'],
    );
    expect(
      messageAt(
        issuesOf(() => parseConfig({ presence: { listen: { transports: [] } } })),
        'presence.listen.transports',
      ),
    ).toBe('expected a non-empty list of SIP transports: udp, tcp, got an empty list');
    const issues = issuesOf(() =>
      parseConfig({ presence: { listen: { transports: ['udp', 'tls', 'udp'] } } }),
    );
    expect(messageAt(issues, 'presence.listen.transports[1]')).toBe('expected "udp" or "tcp", got "tls"');
    expect(messageAt(issues, 'presence.listen.transports[2]')).toBe(
      'transport "udp" is already given at [0]; list each only once',
    );
  });

  it('xcapRoot must be an http(s) URL', () => {
    expect(
      parseConfig({ presence: { xcapRoot: 'https://xcap.home1.net:8443/services' } }).presence.xcapRoot,
    ).toBe('https://xcap.home1.net:8443/services');
    const issues = issuesOf(() => parseConfig({ presence: { xcapRoot: '/services' } }));
    expect(messageAt(issues, 'presence.xcapRoot')).toBe(
      'expected an http:// or https:// URL such as http://127.0.0.1:8081/services, got "/services"',
    );
  });

  it('xcapAliases is a list of http(s) URLs, each checked', () => {
    expect(parseConfig({ presence: { xcapAliases: [] } }).presence.xcapAliases).toEqual([]);
    const issues = issuesOf(() =>
      parseConfig({ presence: { xcapAliases: ['https://xcap.example.net/services', 'ftp://x/services'] } }),
    );
    expect(messageAt(issues, 'presence.xcapAliases[1]')).toBe(
      'expected an http:// or https:// URL such as https://xcap.home1.net:8443/services, got "ftp://x/services"',
    );
  });

  it('domain names are checked', () => {
    const issues = issuesOf(() => parseConfig({ realm: 'home 1.net', presence: { domain: '-bad.net' } }));
    expect(messageAt(issues, 'realm')).toBe('expected a domain name such as home1.net, got "home 1.net"');
    expect(messageAt(issues, 'presence.domain')).toBe(
      'expected a domain name such as home1.net, got "-bad.net"',
    );
  });
});

describe('wrong types', () => {
  it('every leaf key reports what it expects and what it got', () => {
    const t = true;
    const input = {
      realm: t,
      hss: {
        listen: { host: t, port: t },
        originHost: t,
        database: t,
        subscribers: [{ impi: t, impus: t, k: t, opc: t, amf: t, sqn: t }],
        admin: { host: t, port: t },
      },
      xcap: { listen: { host: t, port: t }, root: t, database: t, trustedProxies: [t] },
      ap: {
        listen: { host: t, port: t },
        originHost: t,
        hss: { host: t, port: t },
        auth: { algorithm: t },
        tls: { cert: t, key: t, sessionCache: { store: t, redisUrl: t } },
        routes: [{ pathPrefix: t, upstream: t }],
      },
      presence: { listen: { host: t, port: t, transports: [t] }, domain: t, xcapRoot: t, trustedPeers: t },
    };
    const issues = issuesOf(() => parseConfig(input));
    expect(issues).toHaveLength(36);
    for (const issue of issues) expect(issue.message).toMatch(/^expected .+, got true$/);
  });

  it('a section that is not a mapping says so, with a hint for null', () => {
    const issues = issuesOf(() => parseConfig({ hss: null, xcap: [], ap: 'x' }));
    expect(messageAt(issues, 'hss')).toBe(
      'expected a mapping (the hss section), got null (an empty YAML section is null: remove the key to get the defaults, or write {})',
    );
    expect(messageAt(issues, 'xcap')).toBe('expected a mapping (the xcap section), got an empty list');
    expect(messageAt(issues, 'ap')).toBe('expected a mapping (the ap section), got "x"');
  });

  it('the top level must be a mapping', () => {
    expect(issuesOf(() => parseConfig([1]))).toEqual([
      { path: '', message: 'expected a mapping of sections (realm, hss, xcap, ap, presence), got a list' },
    ]);
  });
});
