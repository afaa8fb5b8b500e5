import { isIP } from 'node:net';
import { z } from 'zod';
import { expecting, expectingHex, expectingMapping } from './describe';

// ---------------------------------------------------------------------------------------------------------
// Leaf values
// ---------------------------------------------------------------------------------------------------------

/** A mapping whose unknown keys are errors. */
function section<S extends z.core.$ZodLooseShape>(what: string, shape: S) {
  return z.strictObject(shape, expectingMapping(what));
}

/** `when` for cross-field checks: run them even when a field already failed, as long as there is a mapping. */
const onMapping = {
  when: (payload: z.core.ParsePayload) =>
    typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
};
const onList = { when: (payload: z.core.ParsePayload) => Array.isArray(payload.value) };

const PORT = 'an integer from 0 to 65535';
export const portSchema = z.int(expecting(PORT)).min(0, expecting(PORT)).max(65535, expecting(PORT));

const HOST = 'a host name or IP address';
const hostSchema = z.string(expecting(HOST)).regex(/^[^\s/]+$/, expecting(HOST));

const DOMAIN = 'a domain name such as home1.net';
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const domainSchema = z
  .string(expecting(DOMAIN))
  .max(253, expecting(DOMAIN))
  .regex(new RegExp(`^${LABEL}(?:\\.${LABEL})*$`), expecting(DOMAIN));

const FILE = 'a file path (absolute, or relative to the current directory)';

const DATABASE = 'a database file path (absolute, or relative to the current directory) or ":memory:"';
const databaseSchema = z.string(expecting(DATABASE)).min(1, expecting(DATABASE));

const IP = 'an IP address such as 127.0.0.1 or ::1';
const ipSchema = z.string(expecting(IP)).refine((s) => isIP(s) !== 0, expecting(IP));
const ipListSchema = z.array(ipSchema, expecting('a list of IP addresses, e.g. [127.0.0.1]'));

/** A URL with one of `protocols`, no credentials, no query, no fragment; `originOnly` also forbids a path. */
function urlSchema(what: string, protocols: readonly string[], originOnly: boolean) {
  const valid = (s: string): boolean => {
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(s)) return false;
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      return false;
    }
    if (!protocols.includes(url.protocol) || url.hostname === '') return false;
    if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return false;
    if (/[?#]/.test(s)) return false;
    return !originOnly || url.pathname === '/';
  };
  return z.string(expecting(what)).refine(valid, expecting(what));
}

/** Adds an issue for each item of a list that repeats an earlier one (by `keyOf`). */
function noDuplicates<T>(label: string, keyOf: (item: T) => unknown, field?: string) {
  return (items: T[], ctx: z.core.$RefinementCtx<T[]>): void => {
    const first = new Map<unknown, number>();
    items.forEach((item, index) => {
      const key = keyOf(item);
      if (key === undefined) return;
      const earlier = first.get(key);
      if (earlier === undefined) {
        first.set(key, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: field === undefined ? [index] : [index, field],
        message: `${label} ${JSON.stringify(key)} is already given at [${earlier}]; list each only once`,
      });
    });
  };
}

// ---------------------------------------------------------------------------------------------------------
// Shared sections
// ---------------------------------------------------------------------------------------------------------

function listenSchema(defaultPort: number) {
  return section('a mapping { host, port }', {
    host: hostSchema.default('127.0.0.1'),
    port: portSchema.default(defaultPort),
  }).prefault({});
}

/** `admin: { host, port }`: metrics, health and (HSS) provisioning. Absent: no admin listener. */
export const adminSchema = section('a mapping { host, port }', {
  host: hostSchema.default('127.0.0.1'),
  port: portSchema.default(0),
});

// ---------------------------------------------------------------------------------------------------------
// hss
// ---------------------------------------------------------------------------------------------------------

const IMPI = 'a private identity of the form user@realm';
const impiSchema = z.string(expecting(IMPI)).regex(/^[^\s@]+@[^\s@]+$/, expecting(IMPI));

const IMPU = 'a public identity: a sip:, sips: or tel: URI';
const impuSchema = z
  .string(expecting(IMPU))
  .regex(/^(?:sips?:[^\s@]+(?:@[^\s@]+)?|tel:\+?[0-9A-Fa-f*#().-]+(?:;\S*)?)$/, expecting(IMPU));

function hexSchema(what: string, digits: number, secret: boolean) {
  const params = expectingHex(what, digits, secret);
  return z
    .string(params)
    .regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), params)
    .transform((s) => s.toLowerCase());
}

/** A subscriber as it is after validation: exactly one of `opc` and `op` is present. */
export type SubscriberConfig = {
  /** Private identity (IMPI), user@realm. */
  impi: string;
  /** Public identities (IMPUs), sip:, sips: or tel: URIs. */
  impus: string[];
  /** Subscriber key K, 32 lower-case hex digits. */
  k: string;
  /** Authentication Management Field, 4 lower-case hex digits. */
  amf: string;
  /** Initial SQN, 12 lower-case hex digits; absent: the HSS starts from its own initial value. */
  sqn?: string;
  /** The SIP-Authentication-Scheme a MAR asking for "Unknown" gets (TS 29.229 6.3.9). */
  scheme: AuthScheme;
} & ({ opc: string; op?: undefined } | { op: string; opc?: undefined });

/** The Cx SIP-Authentication-Scheme values the HSS serves (TS 29.229 6.3.9). */
export const AUTH_SCHEMES = ['Digest-AKAv1-MD5', 'Digest-AKAv2-MD5'] as const;
export type AuthScheme = (typeof AUTH_SCHEMES)[number];

const SUBSCRIBER = 'a subscriber mapping { impi, impus, k, opc or op, amf, sqn, scheme }';
export const subscriberSchema = section(SUBSCRIBER, {
  impi: impiSchema,
  impus: z
    .array(impuSchema, expecting(`a non-empty list of public identities (sip:, sips: or tel: URIs)`))
    .min(1, expecting('a non-empty list of public identities (sip:, sips: or tel: URIs)'))
    .superRefine(
      noDuplicates<string>('public identity', (s) => s),
      onList,
    ),
  k: hexSchema('K (the subscriber key)', 32, true),
  opc: hexSchema('OPc', 32, true).optional(),
  op: hexSchema('OP', 32, true).optional(),
  amf: hexSchema('AMF', 4, false).default('8000'),
  sqn: hexSchema('SQN', 12, false).optional(),
  scheme: z.enum(AUTH_SCHEMES, expecting(`one of ${AUTH_SCHEMES.join(', ')}`)).default('Digest-AKAv1-MD5'),
})
  .superRefine((s, ctx) => {
    const hasOp = s.op !== undefined;
    const hasOpc = s.opc !== undefined;
    if (hasOp && hasOpc) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'has both op and opc: give exactly one (opc is derived from op and k, so keep only one)',
      });
    } else if (!hasOp && !hasOpc) {
      ctx.addIssue({
        code: 'custom',
        path: ['opc'],
        message: 'required key is missing: give opc (OPc as 32 hex digits) or op (OP as 32 hex digits)',
      });
    }
  }, onMapping)
  .transform((s) => s as SubscriberConfig);

/** The default subscribers of the reference network: K, OPc and AMF of TS 35.208 test sets 1, 2 and 3. */
export const DEFAULT_SUBSCRIBERS: readonly Readonly<SubscriberConfig>[] = Object.freeze(
  [
    {
      impi: 'user1_private@home1.net',
      impus: ['sip:user1_public1@home1.net', 'sip:user1_public2@home1.net', 'tel:+12125551111'],
      k: '465b5ce8b199b49faa5f0a2ee238a6bc',
      opc: 'cd63cb71954a9f4e48a5994e37a02baf',
      amf: 'b9b9',
      scheme: 'Digest-AKAv1-MD5' as const,
    },
    {
      impi: 'user2_private@home1.net',
      impus: ['sip:user2_public1@home1.net'],
      k: '0396eb317b6d1c36f19c1c84cd6ffd16',
      opc: '53c15671c60a4b731c55b4a441c0bde2',
      amf: 'af17',
      scheme: 'Digest-AKAv1-MD5' as const,
    },
    {
      impi: 'user3_private@home1.net',
      impus: ['sip:user3_public1@home1.net'],
      k: 'fec86ba6eb707ed08905757b1bb44b8f',
      opc: '1006020f0a478bf6b699f15c062e42b3',
      amf: '725c',
      scheme: 'Digest-AKAv1-MD5' as const,
    },
  ].map((s) => Object.freeze({ ...s, impus: Object.freeze(s.impus) as string[] })),
);

function copyDefaultSubscribers(): SubscriberConfig[] {
  return DEFAULT_SUBSCRIBERS.map((s) => ({ ...s, impus: [...s.impus] }));
}

export const hssSchema = section('a mapping (the hss section)', {
  listen: listenSchema(3868),
  originHost: domainSchema.default('hss.home1.net'),
  database: databaseSchema.default('.testbed/hss.db'),
  subscribers: z
    .array(subscriberSchema, expecting('a list of subscribers'))
    .superRefine(
      noDuplicates<SubscriberConfig>(
        'private identity',
        (s) => (typeof s.impi === 'string' ? s.impi.toLowerCase() : undefined),
        'impi',
      ),
      onList,
    )
    .prefault(copyDefaultSubscribers),
  admin: adminSchema.optional(),
}).prefault({});

// ---------------------------------------------------------------------------------------------------------
// xcap
// ---------------------------------------------------------------------------------------------------------

const ROOT = 'an absolute path such as /services (starting with "/", not ending with "/")';
const rootSchema = z.string(expecting(ROOT)).regex(/^\/(?:[^\s?#]*[^\s?#/])?$/, expecting(ROOT));

export const xcapSchema = section('a mapping (the xcap section)', {
  listen: listenSchema(8081),
  root: rootSchema.default('/services'),
  database: databaseSchema.default('.testbed/xcap.db'),
  trustedProxies: ipListSchema.default(() => ['127.0.0.1']),
  admin: adminSchema.optional(),
}).prefault({});

// ---------------------------------------------------------------------------------------------------------
// ap
// ---------------------------------------------------------------------------------------------------------

export const DIGEST_ALGORITHMS = ['AKAv2-MD5', 'AKAv1-MD5'] as const;
export const SESSION_STORES = ['memory', 'redis'] as const;

/** Where the AP keeps TLS sessions: `redisUrl` is present when the store is Redis. */
export type SessionCacheConfig =
  { store: 'memory'; redisUrl?: string } | { store: 'redis'; redisUrl: string };

const sessionCacheSchema = section('a mapping { store, redisUrl }', {
  store: z.enum(SESSION_STORES, expecting('"memory" or "redis"')).default('memory'),
  redisUrl: urlSchema(
    'a redis:// or rediss:// URL such as redis://127.0.0.1:6379',
    ['redis:', 'rediss:'],
    false,
  ).optional(),
})
  .superRefine((v, ctx) => {
    if (v.store === 'redis' && v.redisUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redisUrl'],
        message: 'required when store is redis: give the Redis server URL, e.g. redis://127.0.0.1:6379',
      });
    }
  }, onMapping)
  .transform((v) => v as SessionCacheConfig)
  .prefault({});

const TLS_FILE = `${FILE}, or null to generate one at start`;
const GENERATED_DIR = 'a directory path, or null to keep a generated certificate nowhere';
const tlsSchema = section('a mapping { cert, key, generatedDir, sessionCache }', {
  cert: z.string(expecting(TLS_FILE)).min(1, expecting(TLS_FILE)).nullable().default(null),
  key: z.string(expecting(TLS_FILE)).min(1, expecting(TLS_FILE)).nullable().default(null),
  generatedDir: z
    .string(expecting(GENERATED_DIR))
    .min(1, expecting(GENERATED_DIR))
    .nullable()
    .default('.testbed'),
  sessionCache: sessionCacheSchema,
})
  .superRefine((v, ctx) => {
    const cert = typeof v.cert === 'string';
    const key = typeof v.key === 'string';
    if (cert && v.key === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['key'],
        message:
          'required when cert is set: give the private key file of the certificate, or set both to null',
      });
    }
    if (key && v.cert === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['cert'],
        message: 'required when key is set: give the certificate file of the key, or set both to null',
      });
    }
  }, onMapping)
  .prefault({});

const PATH_PREFIX = 'a path prefix starting with "/", such as /services';
export const routeSchema = section('a route mapping { pathPrefix, upstream, host }', {
  pathPrefix: z.string(expecting(PATH_PREFIX)).regex(/^\/[^\s?#]*$/, expecting(PATH_PREFIX)),
  /** only requests to this host (Host header, without port) take the route; any host when absent */
  host: hostSchema.optional(),
  upstream: urlSchema(
    'an http:// or https:// origin such as http://127.0.0.1:8081 (no path: the request path is kept)',
    ['http:', 'https:'],
    true,
  ),
});

const ROUTES = 'a non-empty list of routes { pathPrefix, upstream }';
export const apSchema = section('a mapping (the ap section)', {
  listen: listenSchema(8443),
  originHost: domainSchema.default('ap.home1.net'),
  hss: section('a mapping { host, port }', {
    host: hostSchema.default('127.0.0.1'),
    port: portSchema.default(3868),
  }).prefault({}),
  auth: section('a mapping { algorithm }', {
    algorithm: z.enum(DIGEST_ALGORITHMS, expecting('"AKAv2-MD5" or "AKAv1-MD5"')).default('AKAv2-MD5'),
  }).prefault({}),
  tls: tlsSchema,
  routes: z
    .array(routeSchema, expecting(ROUTES))
    .min(1, expecting(ROUTES))
    .superRefine(
      noDuplicates<{ pathPrefix: unknown; host?: unknown }>(
        'path prefix',
        (r) =>
          typeof r.pathPrefix === 'string'
            ? `${typeof r.host === 'string' ? r.host.toLowerCase() + ' ' : ''}${r.pathPrefix}`
            : undefined,
        'pathPrefix',
      ),
      onList,
    )
    .prefault(() => [{ pathPrefix: '/services', upstream: 'http://127.0.0.1:8081' }]),
  admin: adminSchema.optional(),
}).prefault({});

// ---------------------------------------------------------------------------------------------------------
// presence
// ---------------------------------------------------------------------------------------------------------

export const SIP_TRANSPORTS = ['udp', 'tcp'] as const;
const TRANSPORTS = 'a non-empty list of SIP transports: udp, tcp';

export const presenceSchema = section('a mapping (the presence section)', {
  listen: section('a mapping { host, port, transports }', {
    host: hostSchema.default('127.0.0.1'),
    port: portSchema.default(5060),
    transports: z
      .array(z.enum(SIP_TRANSPORTS, expecting('"udp" or "tcp"')), expecting(TRANSPORTS))
      .min(1, expecting(TRANSPORTS))
      .superRefine(
        noDuplicates<string>('transport', (s) => s),
        onList,
      )
      .default((): SipTransport[] => ['udp', 'tcp']),
  }).prefault({}),
  domain: domainSchema.default('home1.net'),
  xcapRoot: urlSchema(
    'an http:// or https:// URL such as http://127.0.0.1:8081/services',
    ['http:', 'https:'],
    false,
  ).default('http://127.0.0.1:8081/services'),
  xcapAliases: z
    .array(
      urlSchema(
        'an http:// or https:// URL such as https://xcap.home1.net:8443/services',
        ['http:', 'https:'],
        false,
      ),
      expecting('a list of XCAP root URLs'),
    )
    .default(() => ['https://xcap.home1.net:8443/services']),
  trustedPeers: ipListSchema.default(() => ['127.0.0.1']),
  // lab switch: without a believable P-Asserted-Identity, the From URI is taken as the sender
  trustFrom: z.boolean(expecting('true or false')).default(false),
  admin: adminSchema.optional(),
}).prefault({});

// ---------------------------------------------------------------------------------------------------------
// The whole file
// ---------------------------------------------------------------------------------------------------------

/** The schema of the whole testbed configuration; parsing `{}` gives the reference network. */
export const configSchema = section('a mapping of sections (realm, hss, xcap, ap, presence)', {
  realm: domainSchema.default('home1.net'),
  hss: hssSchema,
  xcap: xcapSchema,
  ap: apSchema,
  presence: presenceSchema,
});

/** The validated configuration, with every default filled in. */
export type Config = z.output<typeof configSchema>;
/** What may be written: any key may be left out. */
export type ConfigInput = z.input<typeof configSchema>;
export type HssConfig = Config['hss'];
export type XcapConfig = Config['xcap'];
export type ApConfig = Config['ap'];
export type PresenceConfig = Config['presence'];
export type Listen = HssConfig['listen'];
export type PresenceListen = PresenceConfig['listen'];
export type Admin = z.output<typeof adminSchema>;
export type ApRoute = ApConfig['routes'][number];
export type TlsConfig = ApConfig['tls'];
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];
export type SipTransport = (typeof SIP_TRANSPORTS)[number];
