import type { z } from 'zod';

/** Parameters that give a zod schema or check our own error message. */
export type ErrorParams = { error: z.core.$ZodErrorMap };

/** A short, human description of a value found in the configuration. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** The message for a value that does not match: `expected <what>, got <value>`. */
export function mismatch(what: string, input: unknown): string {
  if (input === undefined) return `required key is missing: expected ${what}`;
  return `expected ${what}, got ${describeValue(input)}`;
}

/** Error parameters that report any issue of a schema as `expected <what>, got <value>`. */
export function expecting(what: string): ErrorParams {
  return { error: (issue) => mismatch(what, issue.input) };
}

/** Error parameters for a mapping (section): null gets a hint, unknown keys are left to the formatter. */
export function expectingMapping(what: string): ErrorParams {
  return {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return undefined;
      if (issue.input === null) {
        return `expected ${what}, got null (an empty YAML section is null: remove the key to get the defaults, or write {})`;
      }
      return mismatch(what, issue.input);
    },
  };
}

/**
 * Error parameters for a fixed-length hex string. Secret values (K, OP, OPc) are never echoed: the
 * message describes their length only.
 */
export function expectingHex(what: string, digits: number, secret: boolean): ErrorParams {
  const want = `${what} as ${digits} hex digits`;
  return {
    error: (issue) => {
      const input = issue.input;
      if (input === undefined) return `required key is missing: expected ${want}`;
      if (typeof input === 'number') {
        const shown = secret ? 'a number' : `the number ${input}`;
        return `expected ${want} in a string, got ${shown}: YAML reads unquoted digits as a number, so put the value in quotes`;
      }
      if (typeof input !== 'string') return mismatch(want, input);
      if (input.length !== digits) {
        return `expected ${want}, got ${secret ? `${input.length} characters` : describeValue(input)}`;
      }
      return `expected ${want}, got ${secret ? 'characters other than 0-9, a-f' : describeValue(input)}`;
    },
  };
}
