/**
 * `ue xcap get|put|delete URL`: one XCAP request over Ut (HTTPS to the AP, Digest AKA answered by the USIM
 * model), printed as one JSON object: the status, the document's ETag, the body, every HTTP exchange the
 * request took, whether rspauth was verified, and the algorithm the AP chose. A non-2xx answer (other than
 * 304) is printed too, with the xcap-error read from a 409, and exits 1.
 *
 * The URL is taken as written (no re-escaping of what is already percent-encoded); only the characters a
 * URI path cannot hold and a shell user types anyway (`[`, `]`, `"` ...) are percent-encoded, as RFC 4825
 * 6.3 asks for node selectors. The public identity of the request is the URL's XUI, as the XCAP client
 * does: the Ut client names it in X-3GPP-Intended-Identity when it is not the subscriber's default.
 */
import { commandConfig, UsageError, type Io } from '@ut-testbed/service-kit';
import { publicXcapRoot, type Config } from '@ut-testbed/config';
import { Option, type Command } from 'commander';
import { UtClient, type UtResponse } from '../http/ut-client';
import { ATTRIBUTE_TYPE, DOCUMENT_TYPES, ELEMENT_TYPE } from '../xcap/xcap-client';
import { xcapErrorFrom, type XcapError } from '../xcap/xcap-error';
import {
  addCommonOptions,
  checkImpu,
  Failure,
  formatHostPort,
  hostPort,
  json,
  listenTarget,
  oneLine,
  readCa,
  readInput,
  refuseAlgorithm,
  subscriberOf,
  verboseTracer,
  type CommonFlags,
  type HostPort,
} from './common';

interface XcapFlags extends CommonFlags {
  root?: string;
  connectTo?: string;
  ca?: string;
  quirks?: 'ims' | 'android';
  initialAuthorization?: boolean;
  ifMatch?: string;
  ifNoneMatch?: string | true;
  file?: string;
  data?: string;
  type?: string;
}

type Method = 'GET' | 'PUT' | 'DELETE';

const URL_HELP =
  'a full XCAP URI (https://xcap.home1.net:8443/services/<auid>/users/<xui>/<doc>[/~~/<node>]) or a path below the XCAP root';

function addUtOptions(c: Command): Command {
  return c
    .option(
      '--root <url>',
      'the XCAP root as the UE names it (default https://xcap.<realm>:<ap.listen.port><xcap.root>)',
    )
    .option(
      '--connect-to <host:port>',
      "where the TCP connection goes, like curl --connect-to (default the config's ap.listen)",
    )
    .option(
      '--ca <file>',
      "the AP's certificate, PEM (default ap-certificate.pem next to hss.database, as testbed up writes it)",
    )
    .addOption(
      new Option('--quirks <profile>', 'how the UE writes what the specifications leave open').choices([
        'ims',
        'android',
      ]),
    )
    .option(
      '--initial-authorization',
      'send the IMS initial Authorization (username, empty nonce) on the first request',
    )
    .option('--if-match <etag>', 'If-Match: the ETag the document must still have (or *)')
    .option('--if-none-match [etag]', 'If-None-Match (default *: a PUT only creates); put it after the URL');
}

/** An entity-tag as HTTP writes it: a bare value is quoted, `*` and `W/"..."` are kept. */
function entityTag(v: string, flag: string): string {
  const t = v.trim();
  if (t === '*' || /^(?:W\/)?"[^"]*"$/.test(t)) return t;
  if (/["\s]/.test(t) || t === '') throw new UsageError(`${flag}: expected an ETag as printed ("...") or *`);
  return `"${t}"`;
}

function xcapRoot(flag: string | undefined, config: Config, connectTo: HostPort): URL {
  if (flag === undefined) {
    // the UE names the AP by the XCAP server's name in the realm, on the port the AP listens on
    return new URL(publicXcapRoot(config, connectTo.port));
  }
  let u: URL;
  try {
    u = new URL(flag);
  } catch {
    throw new UsageError('--root: expected a URL such as https://xcap.home1.net:8443/services');
  }
  if (u.protocol !== 'https:') throw new UsageError('--root: Ut runs over https: give an https:// URL');
  return u;
}

interface Target {
  origin: string;
  /** the request-target: path and query */
  path: string;
  auid?: string;
  /** the XUI of `<auid>/users/<xui>/...`, decoded */
  xui?: string;
  global: boolean;
  /** the last step of the node selector, when there is one */
  lastStep?: string;
}

// what a URI path cannot hold but WHATWG URL parsing leaves as it is
const ESCAPE = /[[\]|^]/g;

function target(arg: string, root: URL): Target {
  const rootPath = root.pathname.replace(/\/+$/, '');
  let u: URL;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
    try {
      u = new URL(arg);
    } catch {
      throw new UsageError(`${arg}: not a URL; give a full XCAP URI or a path below the XCAP root`);
    }
    if (u.protocol !== 'https:')
      throw new UsageError(`${arg}: Ut runs over https: give an https:// URL or a path below the XCAP root`);
  } else {
    const rel = arg.replace(/^\/+/, '');
    if (rel === '')
      throw new UsageError('the URL is empty: give a document, e.g. resource-lists/users/<xui>/index');
    const path = rootPath !== '' && `/${rel}`.startsWith(`${rootPath}/`) ? `/${rel}` : `${rootPath}/${rel}`;
    u = new URL(path, root.origin);
  }
  const pathname = u.pathname.replace(ESCAPE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const t: Target = { origin: u.origin, path: pathname + u.search, global: false };
  if (!pathname.startsWith(`${rootPath}/`)) return t;
  const [doc, ...node] = pathname.slice(rootPath.length + 1).split('/~~/');
  const segments = doc!.split('/');
  t.auid = segments[0];
  if (segments[1] === 'global') t.global = true;
  else if (segments[1] === 'users' && segments[2]) {
    try {
      t.xui = decodeURIComponent(segments[2]);
    } catch {
      throw new UsageError(`${arg}: the XUI is not valid percent-encoding`);
    }
  }
  if (node.length > 0) t.lastStep = node.join('/~~/').split('/').pop();
  return t;
}

/** Content-Type by what the URI selects (RFC 4825 7.4, 7.6) and, for a document, its AUID. */
function defaultType(t: Target): string {
  if (t.lastStep !== undefined) return t.lastStep.startsWith('@') ? ATTRIBUTE_TYPE : ELEMENT_TYPE;
  return (t.auid !== undefined ? DOCUMENT_TYPES[t.auid] : undefined) ?? 'application/xml';
}

/** How long the AP gets to answer close_notify before the connection is dropped. */
const HANG_UP_MS = 1000;

/** Ends the connection with close_notify, waiting for the AP's side at most HANG_UP_MS. */
async function hangUp(http: UtClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    http.disconnect().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, HANG_UP_MS))),
  ]);
  clearTimeout(timer);
  http.close();
}

function errorView(e: XcapError): Record<string, unknown> {
  return {
    message: e.message,
    ...(e.condition !== undefined ? { condition: e.condition } : {}),
    ...(e.phrase !== undefined ? { phrase: e.phrase } : {}),
    ...(e.ancestor !== undefined ? { ancestor: e.ancestor } : {}),
    ...(e.exists !== undefined ? { exists: e.exists } : {}),
    ...(e.preconditionFailed ? { preconditionFailed: true } : {}),
    ...(e.bodyProblem !== undefined ? { bodyProblem: e.bodyProblem } : {}),
  };
}

async function xcap(method: Method, url: string, o: XcapFlags, io: Io): Promise<void> {
  refuseAlgorithm(o);
  const config = commandConfig(o.config);
  const connectTo =
    o.connectTo !== undefined
      ? hostPort(o.connectTo, '--connect-to')
      : listenTarget(config.ap.listen, 'ap.listen', '--connect-to');
  const t = target(url, xcapRoot(o.root, config, connectTo));
  let body: Buffer | undefined;
  if (method === 'PUT') {
    if (o.file !== undefined && o.data !== undefined) throw new UsageError('give --file or --data, not both');
    if (o.file === undefined && o.data === undefined)
      throw new UsageError('put needs a body: --file FILE or --data TEXT');
    body = o.file !== undefined ? readInput(o.file, '--file') : Buffer.from(o.data!, 'utf8');
  }
  const identity = o.identity !== undefined ? checkImpu(o.identity, '--identity') : undefined;
  const sub = subscriberOf(o, config);
  const ca = readCa(o.ca, config);
  const headers: [string, string][] = [];
  if (o.ifMatch !== undefined) headers.push(['If-Match', entityTag(o.ifMatch, '--if-match')]);
  if (o.ifNoneMatch !== undefined)
    headers.push([
      'If-None-Match',
      o.ifNoneMatch === true ? '*' : entityTag(o.ifNoneMatch, '--if-none-match'),
    ]);
  const tracer = verboseTracer(o, io);
  const http = new UtClient({
    ap: t.origin,
    connectTo: formatHostPort(connectTo),
    ca,
    impi: sub.impi,
    impus: [...sub.impus],
    usim: sub.usim(),
    ...(o.quirks !== undefined ? { quirks: o.quirks } : {}),
    ...(o.initialAuthorization ? { initialAuthorization: true } : {}),
    ...(tracer ? { tracer } : {}),
  });
  // a global document has no XUI to tell the AP whom to authenticate: the default identity is named
  const who = identity ?? (t.global ? sub.impus[0] : t.xui);
  let r: UtResponse;
  try {
    r = await http.request(method, t.path, {
      ...(body !== undefined ? { body, type: o.type ?? defaultType(t) } : {}),
      headers,
      ...(who !== undefined ? { identity: who } : {}),
      ...(t.global ? { nameIdentity: 'always' as const } : {}),
    });
  } catch (e) {
    const why = oneLine(e);
    throw new Failure(why.startsWith(`${method} `) ? why : `${method} ${t.path}: ${why}`);
  } finally {
    await hangUp(http);
    await tracer?.close();
  }
  const header = (name: string): string | null => {
    const v = r.headers[name];
    return typeof v === 'string' ? v : null;
  };
  const out = {
    status: r.status,
    etag: header('etag'),
    contentType: header('content-type'),
    body: r.text,
    exchanges: r.exchanges.map((e) => ({
      status: e.status,
      credentials: e.credentials,
      tlsResumed: e.tlsResumed,
      newConnection: e.newConnection,
      ...(e.stale ? { stale: true } : {}),
    })),
    rspauth: r.rspauth,
    algorithm: http.nonce?.algorithm ?? null,
  };
  if ((r.status >= 200 && r.status < 300) || r.status === 304) {
    json(io, out);
    return;
  }
  const e = xcapErrorFrom({
    status: r.status,
    method,
    uri: t.path,
    contentType: out.contentType ?? undefined,
    body: r.text,
    response: r,
  });
  json(io, { ...out, error: errorView(e) });
  throw new Failure(oneLine(e));
}

export function addXcapCommands(p: Command, io: Io): void {
  const x = p
    .command('xcap')
    .description('one XCAP request over Ut (HTTPS through the AP, Digest AKA); prints the answer as JSON')
    .helpCommand(false);
  const command = (name: string, description: string) =>
    addUtOptions(addCommonOptions(x.command(name).description(description).argument('<url>', URL_HELP)));
  command('get', 'GET a document, element or attribute').action((url: string, o: XcapFlags) =>
    xcap('GET', url, o, io),
  );
  command('put', 'PUT a document, element or attribute')
    .option('--file <file>', 'the body, from this file')
    .option('--data <text>', 'the body, as given')
    .option('--type <mime>', 'Content-Type (default: by the AUID, or xcap-el/xcap-att for a node)')
    .action((url: string, o: XcapFlags) => xcap('PUT', url, o, io));
  command('delete', 'DELETE a document, element or attribute').action((url: string, o: XcapFlags) =>
    xcap('DELETE', url, o, io),
  );
}
