/**
 * XSD validation with libxml2 (compiled to WebAssembly): the schemas under test/schemas and the XCAP
 * server's (for xml.xsd and the policy schemas), loaded from local files only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

type Libxml2 = typeof import('libxml2-wasm', { with: { 'resolution-mode': 'import' } });

const XCAP_SCHEMAS = join(dirname(require.resolve('@ut-testbed/xcap-server/package.json')), 'schemas');

/** A schema file's text: from test/schemas, else from the XCAP server's schemas. */
export function schemaText(name: string): string {
  try {
    return readFileSync(join(__dirname, 'schemas', name), 'utf8');
  } catch {
    return readFileSync(join(XCAP_SCHEMAS, name), 'utf8');
  }
}

/**
 * A validator for the schema `main` (a file name, or `{ name, text }` for a driver schema written in the
 * test), with `files` available to its imports by name; `http://www.w3.org/2001/xml.xsd` imports are
 * pointed at the local xml.xsd. The result is the first error's message, or undefined for a valid document.
 */
export async function schemaValidator(
  main: string | { name: string; text: string },
  files: string[],
): Promise<(xml: string) => string | undefined> {
  const m: Libxml2 = await import('libxml2-wasm');
  const local = (text: string) =>
    text.replace('schemaLocation="http://www.w3.org/2001/xml.xsd"', 'schemaLocation="xml.xsd"');
  const enc = new TextEncoder();
  const bytes: Record<string, Uint8Array> = {};
  for (const f of [...files, 'xml.xsd']) bytes[f] = enc.encode(local(schemaText(f)));
  const name = typeof main === 'string' ? main : main.name;
  const text = local(typeof main === 'string' ? schemaText(main) : main.text);
  bytes[name] = enc.encode(text);
  m.xmlRegisterInputProvider(new m.XmlBufferInputProvider(bytes));
  const validator = m.XsdValidator.fromDoc(m.XmlDocument.fromString(text, { url: name }));
  return (xml) => {
    const doc = m.XmlDocument.fromString(xml);
    try {
      validator.validate(doc);
      return undefined;
    } catch (e) {
      const details = (e as { details?: { message?: string }[] }).details;
      return String(details?.[0]?.message ?? (e as Error).message).trim();
    } finally {
      doc.dispose();
    }
  };
}
