import { httpRequestBytes, httpResponseBytes } from '../src';

describe('HTTP messages as trace bytes', () => {
  test('a request: request line, raw headers as sent and in order, body', () => {
    const bytes = httpRequestBytes(
      { method: 'PUT', url: '/a?b', httpVersion: '1.1', rawHeaders: ['Host', 'x', 'content-TYPE', 't/u'] },
      Buffer.from('body'),
    );
    expect(bytes.toString('latin1')).toBe('PUT /a?b HTTP/1.1\r\nHost: x\r\ncontent-TYPE: t/u\r\n\r\nbody');
  });

  test('a response without a body', () => {
    expect(
      httpResponseBytes(401, 'Unauthorized', [
        ['WWW-Authenticate', 'Digest x'],
        ['Content-Length', '0'],
      ]).toString('latin1'),
    ).toBe('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest x\r\nContent-Length: 0\r\n\r\n');
  });
});
