import { parseConfig, type Admin, type Listen, type SessionCacheConfig, type SubscriberConfig } from '../src';

// These tests also hold at compile time (tsc -p tsconfig.test.json): the exported types narrow as documented.

function opcOrOp(subscriber: SubscriberConfig): string {
  if (subscriber.opc !== undefined) return `opc:${subscriber.opc}`;
  const op: string = subscriber.op;
  return `op:${op}`;
}

function redisUrlOf(cache: SessionCacheConfig): string | undefined {
  if (cache.store === 'redis') {
    const url: string = cache.redisUrl;
    return url;
  }
  return undefined;
}

describe('exported types', () => {
  it('a subscriber has exactly one of opc and op', () => {
    const config = parseConfig({
      hss: {
        subscribers: [
          { impi: 'a@x.net', impus: ['sip:a@x.net'], k: '00'.repeat(16), opc: '11'.repeat(16) },
          { impi: 'b@x.net', impus: ['sip:b@x.net'], k: '00'.repeat(16), op: '22'.repeat(16) },
        ],
      },
    });
    expect(config.hss.subscribers.map(opcOrOp)).toEqual([`opc:${'11'.repeat(16)}`, `op:${'22'.repeat(16)}`]);
  });

  it('a redis session cache always has its URL', () => {
    const redis = parseConfig({
      ap: { tls: { sessionCache: { store: 'redis', redisUrl: 'rediss://r:6380' } } },
    });
    expect(redisUrlOf(redis.ap.tls.sessionCache)).toBe('rediss://r:6380');
    expect(redisUrlOf(parseConfig({}).ap.tls.sessionCache)).toBeUndefined();
  });

  it('listen and admin are { host, port }', () => {
    const config = parseConfig({ ap: { admin: { host: '0.0.0.0', port: 9100 } } });
    const listen: Listen = config.ap.listen;
    const admin: Admin | undefined = config.ap.admin;
    expect([listen.host, listen.port]).toEqual(['127.0.0.1', 8443]);
    expect(admin).toEqual({ host: '0.0.0.0', port: 9100 });
  });
});
