/**
 * XSD validation of application usage documents with libxml2 (libxml2-wasm), offline: every schema comes from
 * the package's schemas/ folder, absolute schemaLocations of imports (the RFCs import
 * http://www.w3.org/2001/xml.xsd) are rewritten to the local copies, and libxml2 reads them from memory.
 *
 * One libxml2 instance per process keeps each usage's compiled schema: a 4 KB document costs a parse and a
 * validation (about 75 µs), where starting libxml2 for every document (as xmllint does) cost 55-120 ms.
 * Validation runs on the thread that serves HTTP: handing it to a worker thread cost more than it saved (on
 * one core, the wait for the scheduler to run the worker took milliseconds per document). libxml2-wasm is an
 * ES module with top-level await, loaded once with import().
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XcapError } from '../errors';

/** schemas/ of the package: two levels above both src/usages and dist/usages */
export const SCHEMA_DIR = join(__dirname, '..', '..', 'schemas');

/** A namespace and the schema file (in schemas/) that defines it. */
export interface SchemaImport {
  namespace: string;
  file: string;
}

let files: Record<string, string> | undefined;

/** Every schema file, read once; schemaLocation="http(s)://.../name.xsd" becomes "name.xsd" when we have it. */
function schemaFiles(): Record<string, string> {
  if (files) return files;
  const names = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.xsd'));
  const local = new Set(names);
  files = {};
  for (const name of names) {
    files[name] = readFileSync(join(SCHEMA_DIR, name), 'utf8').replace(
      /schemaLocation="https?:\/\/[^"]*\/([^"/]+\.xsd)"/g,
      (whole: string, base: string) => (local.has(base) ? `schemaLocation="${base}"` : whole),
    );
  }
  return files;
}

type Libxml2 = typeof import('libxml2-wasm', { with: { 'resolution-mode': 'import' } });
type XsdValidator = InstanceType<Libxml2['XsdValidator']>;

let libxml2: Promise<Libxml2> | undefined;

/** libxml2, loaded on first use, reading schema files from memory only (nothing from the network). */
function loadLibxml2(): Promise<Libxml2> {
  libxml2 ??= import('libxml2-wasm').then((m) => {
    const encoder = new TextEncoder();
    const bytes: Record<string, Uint8Array> = {};
    for (const [name, text] of Object.entries(schemaFiles())) bytes[name] = encoder.encode(text);
    m.xmlRegisterInputProvider(new m.XmlBufferInputProvider(bytes));
    return m;
  });
  return libxml2;
}

/** The first libxml2 message of an error, without libxml2's labels. */
function firstMessage(e: unknown): string {
  const details = (e as { details?: { message?: string }[] } | undefined)?.details;
  const d = Array.isArray(details) ? details[0] : undefined;
  return String(d?.message ?? (e instanceof Error ? e.message : e)).trim();
}

let driverCount = 0;

/** A schema without a target namespace that imports every namespace a usage's documents may use. */
function driverSchema(imports: readonly SchemaImport[]): string {
  const lines = imports.map((i) => `  <xs:import namespace="${i.namespace}" schemaLocation="${i.file}"/>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n${lines.join('\n')}\n</xs:schema>\n`;
}

/** A libxml2 message without file names, line numbers and the "Schemas validity error :" label. */
export function cleanMessage(message: string): string {
  return message
    .replace(/(?:^|\s)[\w.-]+\.(?:xml|xsd):\d+:\s*/g, ' ')
    .replace(/\b(?:document\.xml|usage-driver-\d+\.xsd)\b/g, 'document')
    .replace(/^\s*Schemas validity error\s*:\s*/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Validates documents against the given namespaces' schemas. */
export class SchemaValidator {
  private readonly name = `usage-driver-${++driverCount}.xsd`;
  private readonly driver: string;
  private compiled: XsdValidator | undefined;

  constructor(readonly imports: readonly SchemaImport[]) {
    this.driver = driverSchema(imports);
  }

  /** The first libxml2 error (cleaned), or undefined when the document is valid. */
  async check(doc: Buffer): Promise<string | undefined> {
    const m = await loadLibxml2();
    if (!this.compiled) {
      // the compiled schema keeps the driver document: both live as long as the process
      this.compiled = m.XsdValidator.fromDoc(m.XmlDocument.fromString(this.driver, { url: this.name }));
    }
    let parsed: InstanceType<Libxml2['XmlDocument']> | undefined;
    try {
      parsed = m.XmlDocument.fromBuffer(doc);
      this.compiled.validate(parsed);
      return undefined;
    } catch (e) {
      return cleanMessage(firstMessage(e)) || 'the document does not match the schema';
    } finally {
      parsed?.dispose();
    }
  }

  /** Throws 409 schema-validation-error with the first libxml2 message. */
  async validate(doc: Buffer): Promise<void> {
    const error = await this.check(doc);
    if (error !== undefined) throw XcapError.conflict('schema-validation-error', error);
  }
}
