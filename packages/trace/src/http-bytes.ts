/**
 * HTTP/1.1 messages as trace bytes. Node parses a request before a listener sees it, so its wire form is
 * rebuilt from the raw headers (names as sent, in their order); a response is traced from the status and
 * the headers the server writes itself, in the order it writes them.
 */

/** A request rebuilt from Node's parse: request line, raw headers in order, the body. */
export function httpRequestBytes(
  req: { method?: string; url?: string; httpVersion: string; rawHeaders: readonly string[] },
  body: Uint8Array = new Uint8Array(0),
): Buffer {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    head += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]);
}

/** A response: status line, the headers in the order given, the body. */
export function httpResponseBytes(
  status: number,
  reason: string,
  headers: readonly (readonly [string, string])[],
  body: Uint8Array = new Uint8Array(0),
): Buffer {
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]);
}
