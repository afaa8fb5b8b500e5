import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_SUBSCRIBERS,
  configSchema,
  defaultConfig,
  loadConfig,
  parseConfig,
  parseConfigText,
} from '../src';
import { knownKeysAt } from '../src/validate';

const TESTBED_YAML = join(__dirname, '../../../config/testbed.yaml');

describe('defaults', () => {
  it('an empty object gives the reference network of DESIGN.md sections 2 and 6', () => {
    const config = parseConfig({});
    expect(config.realm).toBe('home1.net');
    expect(config.hss).toEqual({
      listen: { host: '127.0.0.1', port: 3868 },
      originHost: 'hss.home1.net',
      database: '.testbed/hss.db',
      subscribers: DEFAULT_SUBSCRIBERS,
    });
    expect(config.xcap).toEqual({
      listen: { host: '127.0.0.1', port: 8081 },
      root: '/services',
      database: '.testbed/xcap.db',
      trustedProxies: ['127.0.0.1'],
    });
    expect(config.ap).toEqual({
      listen: { host: '127.0.0.1', port: 8443 },
      originHost: 'ap.home1.net',
      hss: { host: '127.0.0.1', port: 3868 },
      auth: { algorithm: 'AKAv2-MD5' },
      tls: { cert: null, key: null, generatedDir: '.testbed', sessionCache: { store: 'memory' } },
      routes: [{ pathPrefix: '/services', upstream: 'http://127.0.0.1:8081' }],
    });
    expect(config.presence).toEqual({
      listen: { host: '127.0.0.1', port: 5060, transports: ['udp', 'tcp'] },
      domain: 'home1.net',
      xcapRoot: 'http://127.0.0.1:8081/services',
      xcapAliases: ['https://xcap.home1.net:8443/services'],
      trustedPeers: ['127.0.0.1'],
      trustFrom: false,
    });
  });

  it('has no admin listener unless one is configured', () => {
    const config = parseConfig({});
    for (const section of [config.hss, config.xcap, config.ap, config.presence]) {
      expect(section).not.toHaveProperty('admin');
    }
  });

  it('undefined and null count as an empty configuration', () => {
    expect(parseConfig(undefined)).toEqual(parseConfig({}));
    expect(parseConfig(null)).toEqual(parseConfig({}));
  });

  it('the default subscribers carry the TS 35.208 test set 1-3 keys', () => {
    expect(DEFAULT_SUBSCRIBERS).toEqual([
      {
        impi: 'user1_private@home1.net',
        impus: ['sip:user1_public1@home1.net', 'sip:user1_public2@home1.net', 'tel:+12125551111'],
        k: '465b5ce8b199b49faa5f0a2ee238a6bc',
        opc: 'cd63cb71954a9f4e48a5994e37a02baf',
        amf: 'b9b9',
        scheme: 'Digest-AKAv1-MD5',
      },
      {
        impi: 'user2_private@home1.net',
        impus: ['sip:user2_public1@home1.net'],
        k: '0396eb317b6d1c36f19c1c84cd6ffd16',
        opc: '53c15671c60a4b731c55b4a441c0bde2',
        amf: 'af17',
        scheme: 'Digest-AKAv1-MD5',
      },
      {
        impi: 'user3_private@home1.net',
        impus: ['sip:user3_public1@home1.net'],
        k: 'fec86ba6eb707ed08905757b1bb44b8f',
        opc: '1006020f0a478bf6b699f15c062e42b3',
        amf: '725c',
        scheme: 'Digest-AKAv1-MD5',
      },
    ]);
  });

  it('DEFAULT_SUBSCRIBERS is frozen and every parse returns fresh copies', () => {
    expect(Object.isFrozen(DEFAULT_SUBSCRIBERS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SUBSCRIBERS[0])).toBe(true);
    const first = defaultConfig();
    const sub = first.hss.subscribers[0];
    if (sub === undefined) throw new Error('no default subscriber');
    sub.impus.push('sip:changed@home1.net');
    first.presence.listen.transports.pop();
    first.xcap.trustedProxies.push('10.0.0.1');
    const second = defaultConfig();
    expect(second.hss.subscribers[0]?.impus).toHaveLength(3);
    expect(second.presence.listen.transports).toEqual(['udp', 'tcp']);
    expect(second.xcap.trustedProxies).toEqual(['127.0.0.1']);
  });

  it('a section given in part keeps the defaults of its other keys', () => {
    const config = parseConfig({ hss: { listen: { port: 0 } }, ap: { tls: { sessionCache: {} } } });
    expect(config.hss.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.hss.subscribers).toHaveLength(3);
    expect(config.ap.tls).toEqual({
      cert: null,
      key: null,
      generatedDir: '.testbed',
      sessionCache: { store: 'memory' },
    });
  });

  it('an empty subscriber list provisions no subscribers', () => {
    expect(parseConfig({ hss: { subscribers: [] } }).hss.subscribers).toEqual([]);
  });

  it('an admin mapping gets host 127.0.0.1 and port 0 by default', () => {
    const config = parseConfig({ hss: { admin: {} }, presence: { admin: { port: 9090 } } });
    expect(config.hss.admin).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.presence.admin).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.xcap.admin).toBeUndefined();
  });
});

describe('config/testbed.yaml', () => {
  it('is valid and, apart from resolved paths, equals the built-in defaults', () => {
    const text = readFileSync(TESTBED_YAML, 'utf8');
    expect(parseConfigText(text, TESTBED_YAML)).toEqual(parseConfig({}));
  });

  it('loads with paths resolved against the cwd, like the resolved defaults', () => {
    const cwd = resolve('/srv/testbed');
    const loaded = loadConfig(TESTBED_YAML, { cwd });
    expect(loaded).toEqual(parseConfig({}, { cwd }));
    expect(loaded.hss.database).toBe(join(cwd, '.testbed/hss.db'));
    expect(loaded.xcap.database).toBe(join(cwd, '.testbed/xcap.db'));
  });

  it('writes the three default subscribers out in full', () => {
    const text = readFileSync(TESTBED_YAML, 'utf8');
    for (const subscriber of DEFAULT_SUBSCRIBERS) {
      expect(text).toContain(`impi: ${subscriber.impi}`);
      expect(text).toContain(`k: "${subscriber.k}"`);
      expect(text).toContain(`opc: "${subscriber.opc}"`);
      expect(text).toContain(`amf: "${subscriber.amf}"`);
    }
  });

  it('mentions every key of the schema, including the optional ones', () => {
    const text = readFileSync(TESTBED_YAML, 'utf8');
    const keys = new Set<string>();
    const walk = (path: PropertyKey[]): void => {
      for (const key of knownKeysAt(configSchema, path)) {
        keys.add(key);
        walk([...path, key]);
        walk([...path, key, 0]);
      }
    };
    walk([]);
    expect([...keys]).toEqual(
      expect.arrayContaining(['realm', 'sqn', 'op', 'redisUrl', 'admin', 'transports']),
    );
    for (const key of keys) expect(text).toMatch(new RegExp(`(^|[\\s{,])${key}:`, 'm'));
  });
});
