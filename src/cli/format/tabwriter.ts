// Go's text/tabwriter (elastic tabstops, https://pkg.go.dev/text/tabwriter) as
// docker/cli forks it (cli/command/formatter/tabwriter): identical algorithm,
// but cell widths are display widths (go-runewidth) instead of rune counts.
//
// Cells are tab-terminated; the text after a line's last tab is not part of a
// column. A column block is a run of consecutive lines that all have a cell in
// that column; each block is as wide as its widest cell plus padding (at least
// minwidth), and the columns to its right are laid out block by block inside it.

import { stringWidth } from './runewidth.js';

export interface TabWriterOptions {
  /** Minimal cell width including padding. */
  minwidth: number;
  /** Width of a tab character, when padding with tabs. */
  tabwidth: number;
  /** Padding added to a cell's width. */
  padding: number;
  /** Padding character; '\t' pads with tabs (and forces left alignment). */
  padchar: string;
  alignRight?: boolean;
  /** Drop columns whose cells are all empty and terminated by '\v'. */
  discardEmptyColumns?: boolean;
  /** Pad leading empty cells with tabs whatever padchar is. */
  tabIndent?: boolean;
  /** Print '|' between columns. */
  debug?: boolean;
  /** Measure ambiguous-width characters as 2 cells (CJK locales, see isEastAsianLocale). */
  eastAsian?: boolean;
}

/** docker's tables: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
export const DOCKER_TABLE: TabWriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ' };

interface Cell {
  text: string;
  width: number;
  /** Terminated by '\t' (a hard tab) rather than '\v'. */
  htab: boolean;
}

export class TabWriter {
  private out = '';
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private readonly opts: Required<TabWriterOptions>;

  constructor(options: TabWriterOptions = DOCKER_TABLE) {
    if (options.minwidth < 0 || options.tabwidth < 0 || options.padding < 0) throw new RangeError('negative minwidth, tabwidth, or padding');
    this.opts = {
      alignRight: false,
      discardEmptyColumns: false,
      tabIndent: false,
      debug: false,
      eastAsian: false,
      ...options,
    };
    if (this.opts.padchar === '\t') this.opts.alignRight = false;
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A line with one cell cannot affect the columns of later lines, and
        // '\f' ends all columns: either way, lay out what is buffered.
        if (ch === '\f' || ncells === 1) {
          this.flushBuffered();
          if (ch === '\f' && this.opts.debug) this.out += '---\n';
        }
      }
    }
    this.cell += text.slice(start);
  }

  /** Lays out everything written so far and returns the output not yet returned. */
  flush(): string {
    this.flushBuffered();
    const out = this.out;
    this.out = '';
    return out;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: stringWidth(this.cell, this.opts.eastAsian), htab });
    this.cell = '';
    return line.length;
  }

  private flushBuffered(): void {
    if (this.cell.length > 0) this.terminateCell(false);
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    let row = line0;
    while (row < line1) {
      if (column >= this.lines[row]!.length - 1) {
        row++;
        continue;
      }
      // This line has a cell in this column: a column block starts here.
      this.writeLines(line0, row);
      line0 = row;
      let width = this.opts.minwidth;
      let discardable = true;
      for (; row < line1; row++) {
        const line = this.lines[row]!;
        if (column >= line.length - 1) break;
        const c = line[column]!;
        width = Math.max(width, c.width + this.opts.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.opts.discardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(line0, row);
      this.widths.pop();
      line0 = row;
    }
    this.writeLines(line0, line1);
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      let useTabs = this.opts.tabIndent;
      line.forEach((c, j) => {
        if (j > 0 && this.opts.debug) this.out += '|';
        if (c.text.length === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, useTabs);
        } else {
          useTabs = false;
          if (!this.opts.alignRight) {
            this.out += c.text;
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, false);
          } else {
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!, false);
            this.out += c.text;
          }
        }
      });
      // The last buffered line has no newline yet (its text is in the pending cell).
      if (i + 1 < this.lines.length) this.out += '\n';
    }
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.opts.padchar === '\t' || useTabs) {
      const tw = this.opts.tabwidth;
      if (tw === 0) return;
      cellw = Math.ceil(cellw / tw) * tw;
      const n = cellw - textw;
      this.out += '\t'.repeat(Math.ceil(n / tw));
      return;
    }
    this.out += this.opts.padchar.repeat(cellw - textw);
  }
}

/** Aligns tab-separated text the way docker prints its tables. */
export function tabwrite(text: string, options: TabWriterOptions = DOCKER_TABLE): string {
  const w = new TabWriter(options);
  w.write(text);
  return w.flush();
}
