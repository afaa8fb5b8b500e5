/**
 * The style sheet and the script of the HTML page, inline so that the page needs nothing else. Neither
 * contains `<`, `&` or `]]>`: their text is then the same whether the page is read as HTML or as XML,
 * which keeps the page well-formed XML and the Content-Security-Policy hashes valid in both.
 */

export const PAGE_STYLE = `
:root { color-scheme: light dark; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; background: Canvas; color: CanvasText; }
header { padding: 12px 16px 4px; }
h1 { font-size: 18px; margin: 0 0 4px; }
header p { margin: 0 0 8px; color: GrayText; }
main { display: flex; align-items: flex-start; gap: 16px; padding: 0 16px 16px; }
.ladder { flex: 0 1 auto; overflow: auto; max-height: calc(100vh - 90px); }
#detail { flex: 1 1 420px; min-width: 320px; position: sticky; top: 0; max-height: 100vh; overflow: auto; }
#detail h2 { font-size: 16px; margin: 8px 0; word-break: break-all; }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 8px; }
#detail dt { color: GrayText; }
#detail dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { margin: 0 0 8px; padding: 8px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  white-space: pre-wrap; word-break: break-all; border: 1px solid GrayText; border-radius: 4px; }
dd pre { border: 0; padding: 0; margin: 0; }
.ladder-svg { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.ladder-svg text { fill: currentColor; }
.lane { stroke: GrayText; stroke-dasharray: 4 3; }
.node rect { fill: Canvas; stroke: currentColor; }
.node text { text-anchor: middle; font-weight: bold; }
.msg { cursor: pointer; outline: none; }
.msg .hit { fill: transparent; }
.msg:hover .hit { fill: rgba(128, 128, 128, 0.12); }
.msg.selected .hit { fill: rgba(128, 128, 128, 0.25); }
.msg:focus .hit { stroke: Highlight; stroke-width: 2px; }
.msg line, .msg path { stroke: currentColor; stroke-width: 1.5px; fill: none; }
.msg polygon { fill: currentColor; }
.msg .summary { paint-order: stroke; stroke: Canvas; stroke-width: 4px; stroke-linejoin: round; }
.msg .time, .msg .iface { fill: GrayText; }
.if-Ut { color: #1c7ed6; }
.if-AS { color: #2f9e44; }
.if-Cx { color: #e8590c; }
.if-Zh { color: #ae3ec9; }
.if-Gm { color: #0c8599; }
.if-ISC { color: #c2255c; }
.legend span { margin-right: 12px; font-weight: bold; }
`;

export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ladder-messages').textContent);
  var arrows = Array.prototype.slice.call(document.querySelectorAll('.msg'));
  function byId(id) { return document.getElementById(id); }
  function put(id, text) { byId(id).textContent = text; }
  function show(i) {
    var m = data[i];
    if (!m) return;
    arrows.forEach(function (a, j) {
      a.classList.toggle('selected', j === i);
      a.setAttribute('aria-pressed', j === i ? 'true' : 'false');
    });
    var hasText = typeof m.text === 'string';
    var hasTree = typeof m.decoded === 'string';
    put('d-title', (i + 1) + '. ' + m.summary);
    put('d-iface', m.iface + ', ' + m.proto + ' over ' + m.transport);
    put('d-from', m.fromColumn + ': ' + m.from);
    put('d-to', m.toColumn + ': ' + m.to);
    put('d-time', m.time + ' (' + m.offset + ')');
    put('d-length', m.length + ' bytes');
    put('d-records', m.records.map(function (r) { return r.offset + '  ' + r.route; }).join('\\n'));
    byId('d-note').hidden = !m.textNote;
    put('d-note', m.textNote || '');
    byId('d-text').hidden = !hasText;
    put('d-text', hasText ? m.text : '');
    byId('d-decoded-box').hidden = !hasTree;
    put('d-decoded', hasTree ? m.decoded : '');
    put('d-hex', m.hex);
    byId('d-hex-box').open = !hasText;
    byId('d-empty').hidden = true;
    byId('d-body').hidden = false;
  }
  arrows.forEach(function (a, i) {
    a.addEventListener('click', function () { a.focus(); show(i); });
    a.addEventListener('keydown', function (e) {
      var next = null;
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); show(i); return; }
      if (e.key === 'ArrowDown') next = arrows[i + 1];
      if (e.key === 'ArrowUp') next = arrows[i - 1];
      if (e.key === 'Home') next = arrows[0];
      if (e.key === 'End') next = arrows[arrows.length - 1];
      if (next) { e.preventDefault(); next.focus(); }
    });
  });
  var linked = /^#msg-([0-9]+)$/.exec(location.hash);
  if (linked) show(Number(linked[1]) - 1);
})();
`;
