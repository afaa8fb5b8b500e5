/**
 * XSD validation of application usage documents with libxml2 (libxml2-wasm), offline: every schema comes from
 * the package's schemas/ folder, absolute schemaLocations of imports (the RFCs import
 * http://www.w3.org/2001/xml.xsd) are rewritten to the local copies, and libxml2 reads them from memory.
 *
 * Validation runs in one worker thread per process (workers/xsd-worker.mjs) that keeps each usage's compiled
 * schema: a small document costs a parse and a validation (about 0.1 ms) plus a message round trip, where
 * starting libxml2 for every document (as xmllint does) cost 55-120 ms. The worker also takes the work off the
 * thread that serves HTTP.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
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

/** workers/ of the package, beside schemas/ */
const WORKER = join(__dirname, '..', '..', 'workers', 'xsd-worker.mjs');

interface Reply {
  id: number;
  ok: boolean;
  message?: string;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

/**
 * The validation worker, started on first use. It holds the process open only while validations are
 * outstanding (ref'd then, unref'd when idle), so an idle worker never keeps a process from exiting.
 */
function validationWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER, { workerData: { files: schemaFiles() } });
  w.unref();
  w.on('message', (r: Reply) => {
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (pending.size === 0) w.unref();
    p?.resolve(r);
  });
  const fail = (e: Error) => {
    if (worker !== w) return; // an earlier worker, stopped on purpose
    worker = undefined;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the XSD validation worker stopped (exit code ${code})`)));
  worker = w;
  return w;
}

/** Stops the validation worker (a later validation starts a new one). */
export async function stopValidation(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
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

  constructor(readonly imports: readonly SchemaImport[]) {
    this.driver = driverSchema(imports);
  }

  /** The first libxml2 error (cleaned), or undefined when the document is valid. */
  async check(doc: Buffer): Promise<string | undefined> {
    const w = validationWorker();
    const id = ++nextId;
    const reply = await new Promise<Reply>((resolve, reject) => {
      if (pending.size === 0) w.ref();
      pending.set(id, { resolve, reject });
      w.postMessage({ id, name: this.name, driver: this.driver, xml: doc });
    });
    if (reply.ok) return undefined;
    return cleanMessage(reply.message ?? '') || 'the document does not match the schema';
  }

  /** Throws 409 schema-validation-error with the first libxml2 message. */
  async validate(doc: Buffer): Promise<void> {
    const error = await this.check(doc);
    if (error !== undefined) throw XcapError.conflict('schema-validation-error', error);
  }
}
