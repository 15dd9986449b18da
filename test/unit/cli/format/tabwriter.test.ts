// Go's text/tabwriter as docker/cli forks it. Hand-computed expectations follow
// the algorithm in Go's package documentation (https://pkg.go.dev/text/tabwriter):
// cells are tab-terminated, a column block is a run of consecutive lines with a
// cell in that column, width = max(minwidth, widest cell + padding), the text
// after a line's last tab is not in any column. Widths of non-ASCII text are
// those docker CLI 28.2.2 measured (see runewidth.test.ts). The cases for docker's
// settings were also run through docker's own writer (each input as a
// `docker context ls --format 'table ...'` template) with the same result.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DOCKER_TABLE, TabWriter, tabwrite, type TabWriterOptions } from '../../../../src/cli/format/tabwriter.js';

describe("docker's table writer (minwidth 10, tabwidth 1, padding 3, ' ')", () => {
  // [input, output]
  const cases: readonly [string, string][] = [
    // a column is as wide as its widest cell + 3, and at least 10
    ['a\tb\nccc\td\n', 'a         b\nccc       d\n'],
    ['CONTAINER ID\tIMAGE\nabc\tbusybox\n', 'CONTAINER ID   IMAGE\nabc            busybox\n'],
    // the last cell of a line is not part of a column: no padding after it
    ['NAME\tSTATUS\nweb\tUp 2 minutes\n', 'NAME      STATUS\nweb       Up 2 minutes\n'],
    // a trailing tab makes the last text a column cell, padded (docker's empty ERROR column)
    ['a\tb\t\n', 'a         b         \n'],
    // empty cells are padded to the column width
    ['\tx\n\ty\n', '          x\n          y\n'],
    ['a\t\tc\n', 'a                   c\n'],
    // a line with a single cell ends every column block
    ['a\tb\nxxxxxxxxxxxxxxxx\nlonger-cell-here\tc\n', 'a         b\nxxxxxxxxxxxxxxxx\nlonger-cell-here   c\n'],
    // lines with fewer cells end the deeper columns only
    [
      'a\tbbbbbbbbbbbb\tc\nd\te\nf\tg\th\n',
      'a         bbbbbbbbbbbb   c\nd         e\nf         g         h\n',
    ],
    // text without a final newline is flushed as the last line
    ['a\tb\nc\td', 'a         b\nc         d'],
    ['', ''],
    ['\n\n', '\n\n'],
    // widths are display widths: wide characters count 2, combining marks 0
    ['日本\tx\né\tx\ne\u0301\tx\n', '日本      x\né         x\ne\u0301         x\n'],
    ['😀\tx\n', '😀        x\n'],
    // a vertical tab terminates a cell like a tab; a formfeed ends the line and all columns
    ['a\vb\n', 'a         b\n'],
    ['a\tb\fccccccccccccccccc\td\n', 'a         b\nccccccccccccccccc   d\n'],
  ];
  for (const [input, output] of cases) {
    it(JSON.stringify(input), () => assert.equal(tabwrite(input), output));
  }

  it('lays out a docker ps table', () => {
    // docker ps's default table, values as docker 28 shows them
    const input =
      'CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n' +
      '4c01db0b339c\tubuntu:24.04\t"bash"\t17 seconds ago\tUp 16 seconds\t3300-3310/tcp\twebapp\n' +
      'd7886598dbe2\tcrosbymichael/redis:latest\t"/redis-server --dir…"\t33 minutes ago\tUp 33 minutes\t6379/tcp\tredis,webapp/db\n';
    assert.equal(
      tabwrite(input),
      'CONTAINER ID   IMAGE                        COMMAND                  CREATED          STATUS          PORTS           NAMES\n' +
        '4c01db0b339c   ubuntu:24.04                 "bash"                   17 seconds ago   Up 16 seconds   3300-3310/tcp   webapp\n' +
        'd7886598dbe2   crosbymichael/redis:latest   "/redis-server --dir…"   33 minutes ago   Up 33 minutes   6379/tcp        redis,webapp/db\n',
    );
  });

  it('takes input in pieces, as docker writes header, newline and rows separately', () => {
    const w = new TabWriter();
    w.write('NAME\tDRI');
    w.write('VER\n');
    w.write('local-vol\tlocal\n');
    assert.equal(w.flush(), 'NAME        DRIVER\nlocal-vol   local\n');
    assert.equal(w.flush(), '');
  });

  it('counts ambiguous-width characters as 2 in a CJK locale', () => {
    assert.equal(tabwrite('é\tx\n', { ...DOCKER_TABLE, eastAsian: true }), 'é        x\n');
  });
});

describe('other tabwriter settings', () => {
  const opts = (o: Partial<TabWriterOptions>): TabWriterOptions => ({ minwidth: 0, tabwidth: 8, padding: 1, padchar: ' ', ...o });
  // [options, input, output]
  const cases: readonly [TabWriterOptions, string, string][] = [
    // the example in Go's package documentation: b and c are in distinct columns
    [opts({ padchar: '.' }), 'aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n', 'aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n'],
    [opts({ alignRight: true }), 'a\tbbb\tc\naa\tb\tc\n', '  a bbbc\n aa   bc\n'],
    [opts({ debug: true }), 'a\tb\tc\naa\tbb\n', 'a  |b |c\naa |bb\n'],
    // padding with tabs rounds cell widths up to a multiple of tabwidth
    [opts({ padchar: '\t' }), 'a\tb\nccccccccc\td\n', 'a\t\tb\nccccccccc\td\n'],
    // columns of empty cells terminated by \v are dropped with DiscardEmptyColumns
    [opts({ discardEmptyColumns: true }), 'a\v\vb\nc\v\vd\n', 'a b\nc d\n'],
    [opts({}), 'a\v\vb\nc\v\vd\n', 'a  b\nc  d\n'],
    // but not when terminated by \t
    [opts({ discardEmptyColumns: true }), 'a\t\tb\n', 'a  b\n'],
    // TabIndent pads leading empty cells with tabs
    [opts({ tabIndent: true }), '\t\tx\n\ty\n', '\t\tx\n\ty\n'],
    [opts({ minwidth: 5 }), 'a\tb\n', 'a    b\n'],
  ];
  for (const [o, input, output] of cases) {
    it(`${JSON.stringify(o)} ${JSON.stringify(input)}`, () => assert.equal(tabwrite(input, o), output));
  }
  it('rejects negative sizes', () => assert.throws(() => new TabWriter(opts({ padding: -1 })), RangeError));
});
