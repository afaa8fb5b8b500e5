// XSD validation with libxml2 (libxml2-wasm) in a worker thread that lives as long as the process: each
// usage's schema is compiled once, and each document costs a parse and a validation (about 0.1 ms for
// a small document), not a libxml2 start-up. An ES module run by Node directly, since libxml2-wasm is
// published as ES modules only.
import { TextEncoder } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { XmlBufferInputProvider, XmlDocument, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';

// every schema file, by the name imports refer to it (the main thread has rewritten the locations)
const files = {};
for (const [name, text] of Object.entries(workerData.files)) files[name] = new TextEncoder().encode(text);
xmlRegisterInputProvider(new XmlBufferInputProvider(files));

/** compiled validators by driver schema name */
const validators = new Map();

function validatorFor(name, driver) {
  let v = validators.get(name);
  if (!v) {
    const doc = XmlDocument.fromString(driver, { url: name });
    v = XsdValidator.fromDoc(doc);
    validators.set(name, v);
  }
  return v;
}

function firstMessage(e) {
  const d = Array.isArray(e?.details) ? e.details[0] : undefined;
  return String(d?.message ?? e?.message ?? e).trim();
}

parentPort.on('message', ({ id, name, driver, xml }) => {
  let doc;
  try {
    const v = validatorFor(name, driver);
    doc = XmlDocument.fromBuffer(xml);
    v.validate(doc);
    parentPort.postMessage({ id, ok: true });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, message: firstMessage(e) });
  } finally {
    doc?.dispose();
  }
});
