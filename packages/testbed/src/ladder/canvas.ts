/**
 * A row of terminal cells, each a character and an optional ANSI style, written to a string with the
 * escape sequences only where the style changes. Rows end where their last visible character is, so the
 * ladder has no trailing blanks to wrap on a narrow terminal.
 */

export class Row {
  private readonly chars: string[] = [];
  private readonly styles: (string | undefined)[] = [];

  /** Writes `text` from column `x` on, one code point per cell, over what was there. */
  put(x: number, text: string, style?: string): void {
    let i = x;
    for (const c of text) {
      while (this.chars.length < i) {
        this.chars.push(' ');
        this.styles.push(undefined);
      }
      this.chars[i] = c;
      this.styles[i] = style;
      i++;
    }
  }

  /** The row as text, with SGR sequences when `color`. */
  render(color: boolean): string {
    let end = this.chars.length;
    while (end > 0 && this.chars[end - 1] === ' ') end--;
    let out = '';
    let open: string | undefined;
    for (let i = 0; i < end; i++) {
      const style = color ? this.styles[i] : undefined;
      if (style !== open) {
        if (open !== undefined) out += RESET;
        if (style !== undefined) out += style;
        open = style;
      }
      out += this.chars[i];
    }
    if (open !== undefined) out += RESET;
    return out;
  }
}

export const RESET = '\x1b[0m';
