import { isIpv6Reference, parseUri, SipSyntaxError } from '../src';

describe('URIs', () => {
  test('SIP URI parts: user with escapes and user-unreserved characters, password, host, port, params, headers', () => {
    expect(parseUri('sip:user;par=u%40example.net@example.com')).toMatchObject({
      scheme: 'sip',
      user: 'user;par=u%40example.net',
      host: 'example.com',
    });
    expect(
      parseUri('sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?Subject=hi&Priority=urgent'),
    ).toEqual({
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: '[2001:db8::10]',
      port: 5061,
      params: [{ name: 'transport', value: 'tcp' }, { name: 'lr' }],
      headers: [
        { name: 'Subject', value: 'hi' },
        { name: 'Priority', value: 'urgent' },
      ],
    });
    expect(parseUri('tel:+1-212-555-1111;phone-context=example.com')).toMatchObject({
      scheme: 'tel',
      number: '+1-212-555-1111',
    });
    expect(parseUri('isbn:2983792873')).toEqual({ scheme: 'isbn', opaque: '2983792873' });
  });

  test.each([
    ['sip:user@example.com:99999', /port/],
    ['sip:us er@example.com', /not a URI/],
    ['sip:user@exa%mple.com', /%/],
    ['sip:user@[2001:db8::10', /IPv6/],
    ['sip:user@2001:db8::10', /port|host/],
    ['<sip:user@example.com>', /not a URI/],
    ['sip:', /host/],
  ])('%s is refused', (uri, why) => {
    expect(() => parseUri(uri)).toThrow(SipSyntaxError);
    expect(() => parseUri(uri)).toThrow(why);
  });

  test('IPv6 references (RFC 5118): full, compressed, with an IPv4 tail', () => {
    for (const ok of ['[2001:db8::9:1]', '[::1]', '[2001:db8:0:0:0:0:0:1]', '[::ffff:192.0.2.128]'])
      expect(isIpv6Reference(ok)).toBe(true);
    for (const bad of [
      '[2001:db8:::1]',
      '[1:2:3:4:5:6:7:8:9]',
      '[::ffff:192.0.2.256]',
      '2001:db8::1',
      '[g::1]',
    ])
      expect(isIpv6Reference(bad)).toBe(false);
  });
});
