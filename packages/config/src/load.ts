import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type YAMLError,
} from 'yaml';
import { ConfigError, type ConfigIssue } from './errors';
import { resolveConfigPaths } from './paths';
import type { Config } from './schema';
import { validateConfig, type Locate } from './validate';

/** The file `loadConfig` reads when no path is given, relative to the current directory. */
export const DEFAULT_CONFIG_FILE = 'config/testbed.yaml';

export interface ParseOptions {
  /** Names the source in error messages; default "the given object". */
  sourceName?: string;
  /** When given, relative file paths in the result are resolved against it (see `resolveConfigPaths`). */
  cwd?: string;
}

export interface LoadOptions {
  /** The directory relative paths are taken from; default `process.cwd()`. */
  cwd?: string;
}

/**
 * Validates a configuration object and fills in every default; `undefined`, `null` and `{}` give the
 * default configuration. File paths are left as written unless `opts.cwd` is given.
 * @throws ConfigError listing every problem.
 */
export function parseConfig(input: unknown, opts: ParseOptions = {}): Config {
  const config = validateConfig(input, opts.sourceName ?? 'the given object');
  return opts.cwd === undefined ? config : resolveConfigPaths(config, opts.cwd);
}

/** The message of a YAML error without the position and excerpt the yaml package appends. */
function yamlReason(error: YAMLError, text: string): string {
  const reason = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s:,{}[\]]+)/.exec(text.slice(error.pos[0]));
    const named =
      key === null
        ? ''
        : ` ${key[0].startsWith('"') || key[0].startsWith("'") ? key[0] : JSON.stringify(key[0])}`;
    return `duplicate key${named}: each key may appear only once in a mapping, so remove or merge one of them`;
  }
  return `YAML syntax error: ${reason}`;
}

/** Maps a key path to the line and column of its key (or list item) in the YAML document. */
function locator(doc: Document, lines: LineCounter): Locate {
  return (path) => {
    let node: unknown = doc.contents;
    let offset: number | undefined = isNode(node) ? node.range?.[0] : undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) break;
        if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (!isNode(item)) break;
        if (item.range) offset = item.range[0];
        node = item;
      } else {
        break;
      }
    }
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
}

/**
 * Parses YAML (or JSON) text and validates it. Duplicate keys are errors; syntax errors give the line and
 * column; schema errors give the key path and, where it can be found, the line. An empty text gives the
 * default configuration. File paths are left as written unless `opts.cwd` is given.
 * @throws ConfigError naming `sourceName` and listing every problem.
 */
export function parseConfigText(text: string, sourceName: string, opts: { cwd?: string } = {}): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, lineCounter: lines });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new ConfigError(
      sourceName,
      problems.map((error): ConfigIssue => {
        const position = error.linePos?.[0];
        return {
          path: '',
          message: yamlReason(error, text),
          ...(position === undefined ? {} : { line: position.line, column: position.col }),
        };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new ConfigError(sourceName, [
      { path: '', message: `cannot read the YAML: ${(error as Error).message}` },
    ]);
  }
  const config = validateConfig(value, sourceName, locator(doc, lines));
  return opts.cwd === undefined ? config : resolveConfigPaths(config, opts.cwd);
}

/**
 * The absolute path of the file `loadConfig(path, opts)` reads: `path` resolved against the cwd when given;
 * otherwise `config/testbed.yaml` under the cwd when it exists; otherwise `null` (built-in defaults).
 */
export function resolveConfigFile(path?: string, opts: LoadOptions = {}): string | null {
  const cwd = resolve(opts.cwd ?? process.cwd());
  if (path !== undefined) return resolve(cwd, path);
  const file = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(file) ? file : null;
}

/**
 * Reads and validates the configuration file (see `resolveConfigFile` for which one), or returns the
 * defaults when there is none. Relative file paths in the result are resolved against the cwd, so that
 * nothing depends on the working directory later.
 * @throws ConfigError when the file cannot be read or is not valid.
 */
export function loadConfig(path?: string, opts: LoadOptions = {}): Config {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const file = resolveConfigFile(path, { cwd });
  if (file === null) return parseConfig({}, { cwd, sourceName: 'the built-in defaults' });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'the file does not exist'
        : (error as Error).message;
    throw new ConfigError(file, [
      { path: '', message: `cannot read the configuration file: ${reason}; check the path` },
    ]);
  }
  return parseConfigText(text, file, { cwd });
}

/** The default configuration (the reference network), with file paths as written. */
export function defaultConfig(): Config {
  return parseConfig({});
}
