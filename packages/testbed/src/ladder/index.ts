/** Ladder diagrams of a message trace: the shared model, and the text, Mermaid and HTML renderings. */
export {
  type ColumnMapping,
  type ColumnRule,
  columnFor,
  DEFAULT_COLUMNS,
  type LadderColumn,
  type LadderInput,
  type LadderMessage,
  type LadderModel,
  type LadderModelOptions,
  type LadderOptions,
  ladderModel,
  toModel,
} from './model';
export { DEFAULT_MERGE_WINDOW_MS, groupRecords } from './merge';
export { DEFAULT_TEXT_WIDTH, renderText, type TextOptions } from './text';
export { formatOffset } from './printable';
export { escapeMermaid, renderMermaid } from './mermaid';
export { type HtmlOptions, renderHtml } from './html';
export { type MessageDecoder, type MessageView } from './message-view';
export { hexDump } from './hexdump';
