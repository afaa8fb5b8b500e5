import { resolve } from 'node:path';
import { apCertificatePath, parseConfig, publicXcapRoot } from '../src';

describe('values derived from the configuration', () => {
  it('the XCAP root a UE names: xcap.<realm>, the AP port (or the one given for port 0), the root path', () => {
    expect(publicXcapRoot(parseConfig({}))).toBe('https://xcap.home1.net:8443/services');
    const free = parseConfig({ realm: 'example.net', ap: { listen: { port: 0 } }, xcap: { root: '/xcap' } });
    expect(publicXcapRoot(free, 40123)).toBe('https://xcap.example.net:40123/xcap');
  });

  it('the AP certificate: ap.tls.cert when set, else next to the HSS database', () => {
    expect(apCertificatePath(parseConfig({}))).toBe(resolve('.testbed', 'ap-certificate.pem'));
    const set = parseConfig({ ap: { tls: { cert: '/etc/ap.pem', key: '/etc/ap.key' } } });
    expect(apCertificatePath(set)).toBe('/etc/ap.pem');
  });
});
