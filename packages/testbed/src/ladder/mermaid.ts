/**
 * The ladder as a Mermaid `sequenceDiagram`: the participants in column order, then one `A->>B: summary`
 * line per message. Text goes through Mermaid's entity codes (`#35;` for `#`, `#quot;` ...): in the
 * sequence grammar `;` and a newline end a statement, `#` starts a comment or an entity code, a message
 * starting `wrap:` or `nowrap:` sets wrapping, and `<br>` and other markup in labels is rendered as HTML.
 */
import { type LadderInput, type LadderOptions, toModel } from './model';
import { label, oneLine } from './printable';

/** The characters written as entity codes, and their codes. */
const ENTITIES: Record<string, string> = {
  '#': '#35;',
  ';': '#59;',
  ':': '#58;',
  '"': '#quot;',
  '%': '#37;', // %% starts a comment
  '&': '#amp;', // the renderer decodes HTML entities
  '<': '#lt;',
  '>': '#gt;',
};

/** Text made safe for a message or a participant alias: one line, the special characters as entity codes. */
export function escapeMermaid(text: string): string {
  return oneLine(text).replace(/[#;:"%&<>]/g, (c) => ENTITIES[c]!);
}

/**
 * Words that the sequence lexer takes as keywords when an id starts with them (it tries keywords first and
 * ignores case), and `style`/`classDef`, which Mermaid's entity pre-pass treats specially before a `:`.
 */
const RESERVED =
  /^(?:box|participant|actor|create|destroy|loop|rect|opt|alt|else|par|and|critical|break|end|link|properties|details|over|note|activate|deactivate|title|acc|sequencediagram|autonumber|off)|style|classdef/i;

/** The Mermaid source, ending in a newline. */
export function renderMermaid(input: LadderInput, options: LadderOptions = {}): string {
  const model = toModel(input, options);
  const ids = participantIds(model.columns.map((c) => c.label));
  const lines = ['sequenceDiagram'];
  model.columns.forEach((col, i) => {
    const id = ids[i]!;
    lines.push(
      id === col.label ? `    participant ${id}` : `    participant ${id} as ${escapeMermaid(col.label)}`,
    );
  });
  for (const m of model.messages) {
    const text = escapeMermaid(label(m.summary, m.proto));
    lines.push(`    ${ids[m.fromColumn]}->>${ids[m.toColumn]}: ${text}`);
  }
  return lines.join('\n') + '\n';
}

/** A label itself when it is a safe id; `c1`, `c2` ... (by column, skipping labels) otherwise. */
function participantIds(labels: readonly string[]): string[] {
  const safe = (l: string) => /^[A-Za-z][A-Za-z0-9_]*$/.test(l) && !RESERVED.test(l);
  const used = new Set(labels.filter(safe));
  return labels.map((l, i) => {
    if (safe(l)) return l;
    let n = i + 1;
    while (used.has(`c${n}`)) n++;
    used.add(`c${n}`);
    return `c${n}`;
  });
}
