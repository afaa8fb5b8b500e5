import { isAbsolute, resolve } from 'node:path';
import type { Config } from './schema';

/** The SQLite name of an in-memory database: kept as it is, never resolved. */
export const IN_MEMORY_DATABASE = ':memory:';

function resolveFile(file: string, cwd: string): string {
  return isAbsolute(file) ? file : resolve(cwd, file);
}

function resolveDatabase(file: string, cwd: string): string {
  return file === IN_MEMORY_DATABASE ? file : resolveFile(file, cwd);
}

/**
 * A copy of `config` whose file paths (`hss.database`, `xcap.database`, `ap.tls.cert`, `ap.tls.key`) are
 * absolute: relative ones are resolved against `cwd`. `null` certificate paths and `:memory:` databases
 * stay as they are.
 */
export function resolveConfigPaths(config: Config, cwd: string): Config {
  const base = resolve(cwd);
  const out = structuredClone(config);
  out.hss.database = resolveDatabase(out.hss.database, base);
  out.xcap.database = resolveDatabase(out.xcap.database, base);
  if (out.ap.tls.cert !== null) out.ap.tls.cert = resolveFile(out.ap.tls.cert, base);
  if (out.ap.tls.key !== null) out.ap.tls.key = resolveFile(out.ap.tls.key, base);
  return out;
}
