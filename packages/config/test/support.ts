import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../src';

/** Runs `fn`, expects a ConfigError and returns it. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** The issues of the ConfigError `fn` throws. */
export function issuesOf(fn: () => unknown): readonly ConfigIssue[] {
  return configError(fn).issues;
}

/** The message of the only issue at `path`. */
export function messageAt(issues: readonly ConfigIssue[], path: string): string {
  const found = issues.filter((issue) => issue.path === path);
  if (found.length !== 1) {
    throw new Error(`expected one issue at ${path}, got ${JSON.stringify(issues, null, 2)}`);
  }
  return (found[0] as ConfigIssue).message;
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ut-config-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
