export {
  configSchema,
  hssSchema,
  xcapSchema,
  apSchema,
  presenceSchema,
  subscriberSchema,
  adminSchema,
  routeSchema,
  portSchema,
  DEFAULT_SUBSCRIBERS,
  DIGEST_ALGORITHMS,
  SESSION_STORES,
  SIP_TRANSPORTS,
  AUTH_SCHEMES,
} from './schema';
export type {
  Config,
  ConfigInput,
  HssConfig,
  XcapConfig,
  ApConfig,
  PresenceConfig,
  SubscriberConfig,
  Listen,
  PresenceListen,
  Admin,
  ApRoute,
  TlsConfig,
  SessionCacheConfig,
  DigestAlgorithm,
  SipTransport,
  AuthScheme,
} from './schema';
export {
  parseConfig,
  parseConfigText,
  loadConfig,
  resolveConfigFile,
  defaultConfig,
  DEFAULT_CONFIG_FILE,
} from './load';
export type { ParseOptions, LoadOptions } from './load';
export { resolveConfigPaths, IN_MEMORY_DATABASE } from './paths';
export { ConfigError, formatIssue, formatPath } from './errors';
export type { ConfigIssue } from './errors';
export { publicXcapRoot, apCertificatePath } from './derived';
