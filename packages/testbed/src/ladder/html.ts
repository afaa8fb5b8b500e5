/**
 * The ladder as one self-contained HTML page: the diagram as inline SVG, and a panel that shows a message
 * (addresses, interface, transport, text, hex dump, decoded tree) when its arrow is clicked or chosen with
 * the keyboard. Nothing is loaded from anywhere: the messages travel in a JSON script element, the style
 * and the script are inline, and a Content-Security-Policy allows exactly those two and nothing else.
 * The page is well-formed XML as well as HTML, so tests (and tools) can read it with an XML parser.
 */
import { createHash } from 'node:crypto';
import type { TraceIface } from '@ut-testbed/trace';
import { type MessageDecoder, messageViews } from './message-view';
import { type LadderInput, type LadderOptions, toModel } from './model';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets';
import { oneLine } from './printable';
import { renderSvg } from './svg';
import { escapeXml, jsonForScript } from './xml';

export interface HtmlOptions extends LadderOptions {
  /** the page's title and heading */
  title: string;
  /** renders a message for reading (a Diameter message as a tree); its output is shown as text */
  decode?: MessageDecoder;
}

export const XHTML_NS = 'http://www.w3.org/1999/xhtml';

export function renderHtml(input: LadderInput, options: HtmlOptions): string {
  const model = toModel(input, options);
  const title = escapeXml(oneLine(options.title));
  const records = model.messages.reduce((n, m) => n + m.records.length, 0);
  const first = model.messages[0];
  const ifaces = [...new Set(model.messages.map((m) => m.iface))];
  const csp =
    `default-src 'none'; style-src '${sha256(PAGE_STYLE)}'; script-src '${sha256(PAGE_SCRIPT)}'; ` +
    "base-uri 'none'; form-action 'none'";
  return [
    '<!DOCTYPE html>',
    `<html xmlns="${XHTML_NS}" lang="en" xml:lang="en">`,
    '<head>',
    '<meta charset="utf-8"/>',
    `<meta http-equiv="Content-Security-Policy" content="${csp}"/>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<title>${title}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${title}</h1>`,
    `<p>${model.messages.length} messages from ${records} trace records` +
      (first ? `, the first at ${escapeXml(new Date(Math.floor(first.ts)).toISOString())}` : '') +
      '. Click an arrow, or Tab to it and press Enter, to read the message; the arrow keys move between' +
      ' arrows.</p>',
    `<p class="legend">${ifaces.map((i) => legend(i)).join('')}</p>`,
    '</header>',
    '<main>',
    `<div class="ladder">\n${renderSvg(model)}\n</div>`,
    DETAIL_PANEL,
    '</main>',
    `<script type="application/json" id="ladder-messages">${jsonForScript(messageViews(model, options.decode))}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function legend(iface: TraceIface): string {
  const text = escapeXml(oneLine(iface));
  return `<span class="if-${text}">${text}</span>`;
}

/** A CSP source for an inline element: the base64 SHA-256 of its text. */
function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

// `hidden="hidden"`, not a bare `hidden`: an XML attribute needs a value
const DETAIL_PANEL = `<aside id="detail" aria-live="polite" aria-label="the chosen message">
<p id="d-empty">No message chosen yet.</p>
<div id="d-body" hidden="hidden">
<h2 id="d-title"></h2>
<dl>
<dt>Interface</dt><dd id="d-iface"></dd>
<dt>From</dt><dd id="d-from"></dd>
<dt>To</dt><dd id="d-to"></dd>
<dt>Time</dt><dd id="d-time"></dd>
<dt>Length</dt><dd id="d-length"></dd>
<dt>Records</dt><dd><pre id="d-records"></pre></dd>
</dl>
<p id="d-note" hidden="hidden"></p>
<pre id="d-text" aria-label="message text"></pre>
<section id="d-decoded-box" hidden="hidden"><h3>Decoded</h3><pre id="d-decoded"></pre></section>
<details id="d-hex-box"><summary>Bytes (hex)</summary><pre id="d-hex"></pre></details>
</div>
</aside>`;
