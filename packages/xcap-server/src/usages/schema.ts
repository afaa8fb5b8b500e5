/**
 * XSD validation of application usage documents with libxml2 (xmllint-wasm), offline: every schema comes from
 * the package's schemas/ folder, absolute schemaLocations of imports (the RFCs import
 * http://www.w3.org/2001/xml.xsd) are rewritten to the local copies, and all files are preloaded into
 * xmllint's in-memory file system.
 *
 * Cost (Node 20, measured on this package's test documents): one validation takes 55-120 ms of wall time
 * (resource-lists 55-90 ms, simservs 70-120 ms, serially on one core); 30 concurrent ones average 40-50 ms each
 * on one core. Per call xmllint-wasm starts a worker thread, instantiates the WebAssembly module and compiles
 * the schemas; it exposes no compiled-schema handle, so what is cached here is what can be: the schema files
 * (read and rewritten once) and each usage's driver schema. Validations run at most `availableParallelism()` at
 * a time. So XSD validation, not the XCAP engine, bounds PUTs to roughly 20-25 per second per core.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';
import { XcapError } from '../errors';

/** schemas/ of the package: two levels above both src/usages and dist/usages */
export const SCHEMA_DIR = join(__dirname, '..', '..', 'schemas');

/** A namespace and the schema file (in schemas/) that defines it. */
export interface SchemaImport {
  namespace: string;
  file: string;
}

const DOCUMENT_NAME = 'document.xml';
const DRIVER_NAME = 'usage-driver.xsd';

let files: readonly XMLFileInfo[] | undefined;

/** Every schema file, read once; schemaLocation="http(s)://.../name.xsd" becomes "name.xsd" when we have it. */
function schemaFiles(): readonly XMLFileInfo[] {
  if (files) return files;
  const names = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.xsd'));
  const local = new Set(names);
  files = names.map((fileName) => ({
    fileName,
    contents: readFileSync(join(SCHEMA_DIR, fileName), 'utf8').replace(
      /schemaLocation="https?:\/\/[^"]*\/([^"/]+\.xsd)"/g,
      (whole: string, base: string) => (local.has(base) ? `schemaLocation="${base}"` : whole),
    ),
  }));
  return files;
}

/** A schema without a target namespace that imports every namespace a usage's documents may use. */
function driverSchema(imports: readonly SchemaImport[]): string {
  const lines = imports.map((i) => `  <xs:import namespace="${i.namespace}" schemaLocation="${i.file}"/>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n${lines.join('\n')}\n</xs:schema>\n`;
}

/** A libxml2 message without file names, line numbers and the "Schemas validity error :" label. */
export function cleanMessage(message: string): string {
  return message
    .replace(/(?:^|\s)[\w.-]+\.(?:xml|xsd):\d+:\s*/g, ' ')
    .replace(/\b(?:document\.xml|usage-driver\.xsd)\b/g, 'document')
    .replace(/^\s*Schemas validity error\s*:\s*/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

let running = 0;
const waiting: (() => void)[] = [];
const limit = Math.max(1, availableParallelism());

async function throttled<T>(task: () => Promise<T>): Promise<T> {
  if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Validates documents against the given namespaces' schemas. */
export class SchemaValidator {
  private readonly driver: XMLFileInfo;

  constructor(readonly imports: readonly SchemaImport[]) {
    this.driver = { fileName: DRIVER_NAME, contents: driverSchema(imports) };
  }

  /** The first libxml2 error (cleaned), or undefined when the document is valid. */
  async check(doc: Buffer): Promise<string | undefined> {
    const result = await throttled(() =>
      validateXML({
        xml: {
          fileName: DOCUMENT_NAME,
          contents: new Uint8Array(doc.buffer, doc.byteOffset, doc.byteLength),
        },
        schema: this.driver,
        preload: schemaFiles(),
      }),
    );
    if (result.valid) return undefined;
    const first = result.errors[0];
    return cleanMessage(first ? first.message : result.rawOutput) || 'the document does not match the schema';
  }

  /** Throws 409 schema-validation-error with the first libxml2 message. */
  async validate(doc: Buffer): Promise<void> {
    const error = await this.check(doc);
    if (error !== undefined) throw XcapError.conflict('schema-validation-error', error);
  }
}
