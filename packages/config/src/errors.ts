/** One problem found in a configuration. */
export interface ConfigIssue {
  /**
   * Where: the key path, e.g. `hss.listen.port` or `hss.subscribers[0].k`; `""` for the file as a whole
   * (it cannot be read, it is not valid YAML, or its top level is not a mapping).
   */
  path: string;
  /** What is wrong and what is expected, e.g. `expected an integer from 0 to 65535, got "abc"`. */
  message: string;
  /** 1-based line in the source file, when the problem could be located in it. */
  line?: number;
  /** 1-based column in the source file, when the problem could be located in it. */
  column?: number;
}

/** Formats one issue as `<path>: <reason>`, followed by its position in the file when known. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined ? ` (line ${issue.line}, column ${issue.column ?? 1})` : '';
  return issue.path === '' ? `${issue.message}${where}` : `${issue.path}: ${issue.message}${where}`;
}

/** A configuration that cannot be read or does not match the schema; `issues` lists every problem found. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The file (or description of the object) the configuration came from. */
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      [
        `Invalid configuration in ${source} (${count}):`,
        ...issues.map((issue) => `  ${formatIssue(issue)}`),
        'config/testbed.yaml in the repository documents every key with its default and allowed values.',
      ].join('\n'),
    );
    this.source = source;
    this.issues = issues;
  }

  /** The whole error on one line, for a command that must fail with one clear line on stderr. */
  get summary(): string {
    return `Invalid configuration in ${this.source}: ${this.issues.map(formatIssue).join('; ')}`;
  }
}

/** Formats a key path: keys joined with dots, list indexes in brackets, odd keys quoted. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else {
      const key = String(segment);
      if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}
