import { intendedIdentity, IdentityError, sameIdentity, selectRoute, xuiOf } from '../src';

describe('X-3GPP-Intended-Identity', () => {
  test.each([
    ['"sip:user1_public2@home1.net"', 'sip:user1_public2@home1.net'],
    ['sip:user1_public2@home1.net', 'sip:user1_public2@home1.net'],
    ['<sip:a@b>', 'sip:a@b'],
    ['"<tel:+12125551111>"', 'tel:+12125551111'],
  ])('%s names %s', (value, uri) => {
    expect(intendedIdentity(value)).toBe(uri);
  });

  test('absent: none; malformed or repeated: an error', () => {
    expect(intendedIdentity(undefined)).toBeUndefined();
    expect(() => intendedIdentity('user@host')).toThrow(IdentityError);
    expect(() => intendedIdentity('"sip:a@b", "sip:c@d"')).toThrow(IdentityError);
    expect(() => intendedIdentity(['sip:a@b', 'sip:c@d'])).toThrow(IdentityError);
  });
});

describe('the XUI of an XCAP URI', () => {
  test('below the root, percent-decoded; global and other paths have none', () => {
    expect(xuiOf('/services/resource-lists/users/sip:a@home1.net/index', '/services')).toBe(
      'sip:a@home1.net',
    );
    expect(xuiOf('/services/simservs.ngn.etsi.org/users/sip%3A%2B1555%40h/simservs.xml', '/services')).toBe(
      'sip:+1555@h',
    );
    expect(xuiOf('/services/xcap-caps/global/index', '/services')).toBeUndefined();
    expect(xuiOf('/other/resource-lists/users/sip:a@h/index', '/services')).toBeUndefined();
  });
});

describe('identity equivalence', () => {
  test('SIP: scheme and host case-insensitive, user exact; tel: without visual separators', () => {
    expect(sameIdentity('sip:user1_public1@HOME1.net', 'SIP:user1_public1@home1.net')).toBe(true);
    expect(sameIdentity('sip:User1_public1@home1.net', 'sip:user1_public1@home1.net')).toBe(false);
    expect(sameIdentity('sip:a%40b@h', 'sip:a@b@h')).toBe(true);
    expect(sameIdentity('tel:+1-212-555-1111', 'tel:+12125551111')).toBe(true);
    expect(sameIdentity('tel:+12125551111', 'tel:+12125551112')).toBe(false);
  });
});

describe('routes', () => {
  const routes = [
    { pathPrefix: '/services', upstream: 'http://a' },
    { pathPrefix: '/services/simservs.ngn.etsi.org', upstream: 'http://tas' },
    { pathPrefix: '/services', upstream: 'http://b', host: 'xcap.other.net' },
  ];
  test('the longest prefix at a segment boundary; routes for the host first', () => {
    expect(selectRoute(routes, 'xcap.home1.net:8443', '/services/resource-lists/x')?.upstream).toBe(
      'http://a',
    );
    expect(selectRoute(routes, 'xcap.home1.net', '/services/simservs.ngn.etsi.org/users/x')?.upstream).toBe(
      'http://tas',
    );
    expect(selectRoute(routes, 'XCAP.other.net:8443', '/services/resource-lists/x')?.upstream).toBe(
      'http://b',
    );
    expect(selectRoute(routes, 'xcap.home1.net', '/servicesx')).toBeUndefined();
    expect(selectRoute(routes, undefined, '/other')).toBeUndefined();
  });
});
