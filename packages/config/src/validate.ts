import type { z } from 'zod';
import { ConfigError, formatPath, type ConfigIssue } from './errors';
import { configSchema, type Config } from './schema';
import { closestKey } from './suggest';

/** Finds the position of a key path in the source text, if there is one. */
export type Locate = (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;

interface LooseDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

/** The keys a mapping at `path` may have, found by walking the schema. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  let i = 0;
  while (node !== undefined) {
    const def = node._zod.def as unknown as LooseDef;
    if (def.innerType !== undefined) {
      node = def.innerType;
    } else if (def.type === 'pipe') {
      node = def.in;
    } else if (i === path.length) {
      return def.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : [];
    } else if (def.type === 'object' && def.shape !== undefined) {
      node = def.shape[String(path[i++])];
    } else if (def.type === 'array') {
      node = def.element;
      i++;
    } else {
      return [];
    }
  }
  return [];
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  if (suggestion !== undefined) return `unknown key (did you mean "${suggestion}"?)`;
  if (known.length === 0) return 'unknown key: remove it';
  return `unknown key: remove it; the keys here are ${known.join(', ')}`;
}

/** Turns zod issues into configuration issues: one per unknown key, each with its path and position. */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[], locate?: Locate): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const add = (path: readonly PropertyKey[], message: string): void => {
    const position = locate?.(path);
    const issue: ConfigIssue = { path: formatPath(path), message };
    if (position !== undefined) {
      issue.line = position.line;
      issue.column = position.column;
    }
    out.push(issue);
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(configSchema, issue.path);
      for (const key of issue.keys) add([...issue.path, key], unknownKeyMessage(key, known));
    } else {
      add(issue.path, issue.message);
    }
  }
  if (locate !== undefined) {
    // In file order, so that the list reads top to bottom like the file (Array.prototype.sort is stable).
    out.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  }
  return out;
}

/** Validates a configuration object (undefined and null count as empty) and fills in the defaults. */
export function validateConfig(input: unknown, source: string, locate?: Locate): Config {
  const result = configSchema.safeParse(input === undefined || input === null ? {} : input);
  if (result.success) return result.data;
  throw new ConfigError(source, toConfigIssues(result.error.issues, locate));
}
