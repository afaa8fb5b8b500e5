import { ConfigError, formatIssue, formatPath, parseConfig } from '../src';
import { closestKey, editDistance } from '../src/suggest';
import { configError } from './support';

describe('ConfigError', () => {
  const bad = {
    hss: { listen: { port: 'abc' }, subscribers: [{ impi: 'a@b.net', impus: ['sip:a@b.net'], k: '00' }] },
    ap: { tlss: {}, tls: { sessionCache: { store: 'redis' } } },
  };

  it('reports every problem together', () => {
    const error = configError(() => parseConfig(bad, { sourceName: 'my.yaml' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.issues.map((i) => i.path)).toEqual([
      'hss.listen.port',
      'hss.subscribers[0].k',
      'hss.subscribers[0].opc',
      'ap.tls.sessionCache.redisUrl',
      'ap.tlss',
    ]);
  });

  it('lists each issue as "<path>: <reason>" under a line naming the source', () => {
    const error = configError(() => parseConfig(bad, { sourceName: 'my.yaml' }));
    expect(error.message).toBe(
      [
        'Invalid configuration in my.yaml (5 problems):',
        '  hss.listen.port: expected an integer from 0 to 65535, got "abc"',
        '  hss.subscribers[0].k: expected K (the subscriber key) as 32 hex digits, got 2 characters',
        '  hss.subscribers[0].opc: required key is missing: give opc (OPc as 32 hex digits) or op (OP as 32 hex digits)',
        '  ap.tls.sessionCache.redisUrl: required when store is redis: give the Redis server URL, e.g. redis://127.0.0.1:6379',
        '  ap.tlss: unknown key (did you mean "tls"?)',
        'config/testbed.yaml in the repository documents every key with its default and allowed values.',
      ].join('\n'),
    );
    expect(error.source).toBe('my.yaml');
  });

  it('has a one-line summary', () => {
    const error = configError(() => parseConfig({ realm: 5, hss: { listn: {} } }, { sourceName: 'x.json' }));
    expect(error.summary).toBe(
      'Invalid configuration in x.json: realm: expected a domain name such as home1.net, got 5; hss.listn: unknown key (did you mean "listen"?)',
    );
    expect(error.summary).not.toContain('\n');
  });

  it('names a programmatic source when none is given', () => {
    const error = configError(() => parseConfig({ realm: 5 }));
    expect(error.message.split('\n')[0]).toBe('Invalid configuration in the given object (1 problem):');
  });

  it('formats file positions and issues without a path', () => {
    expect(formatIssue({ path: 'a.b', message: 'bad', line: 3, column: 7 })).toBe(
      'a.b: bad (line 3, column 7)',
    );
    expect(formatIssue({ path: '', message: 'YAML syntax error: x', line: 2, column: 1 })).toBe(
      'YAML syntax error: x (line 2, column 1)',
    );
    expect(formatIssue({ path: '', message: 'no file' })).toBe('no file');
  });
});

describe('formatPath', () => {
  it('joins keys with dots and puts indexes and odd keys in brackets', () => {
    expect(formatPath(['hss', 'subscribers', 0, 'k'])).toBe('hss.subscribers[0].k');
    expect(formatPath(['ap', 'routes', 2])).toBe('ap.routes[2]');
    expect(formatPath(['hss', 'a.b', 'c d'])).toBe('hss["a.b"]["c d"]');
    expect(formatPath([])).toBe('');
  });
});

describe('suggestions', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('tlss', 'tls')).toBe(1);
    expect(editDistance('originhost', 'originHost')).toBe(0);
    expect(editDistance('abc', 'xyz')).toBe(3);
  });

  it('suggests only keys that are close', () => {
    expect(closestKey('databse', ['listen', 'database', 'root'])).toBe('database');
    expect(closestKey('trustedProxy', ['trustedProxies', 'root'])).toBe('trustedProxies');
    expect(closestKey('zzz', ['listen', 'root'])).toBeUndefined();
  });
});
