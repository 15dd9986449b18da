// Cell widths. Expectations were measured with docker CLI 28.2.2: each string
// was put in a table cell (`docker context ls --format 'table <s>\tX'`) and its
// width read back from the padding docker's tabwriter added; the CJK column
// with LANG=ja_JP.UTF-8.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isEastAsianLocale, runeWidth, stringWidth } from '../../../../src/cli/format/runewidth.js';

describe('widths as docker measures table cells', () => {
  // [string, width, width in a CJK locale]
  const cases: readonly [string, number, number][] = [
    ['a', 1, 1],
    ['hello', 5, 5],
    ['', 0, 0],
    ['\x01', 0, 0],
    ['\x7f', 0, 0],
    ['é', 1, 2], // East Asian Width "A": ambiguous
    ['日本語', 6, 6],
    ['가', 2, 2],
    ['\u3000', 2, 2], // ideographic space
    ['｡', 1, 1], // halfwidth
    ['Ａ', 2, 2], // fullwidth
    ['\u0300', 0, 0], // COMBINING GRAVE ACCENT
    ['\u20dd', 0, 0], // COMBINING ENCLOSING CIRCLE
    ['\u0901', 1, 1], // a nonspacing mark not named COMBINING: go-runewidth v0.0.16 counts it
    ['\u0e31', 1, 1],
    ['\u200b', 0, 0],
    ['\u00ad', 0, 0],
    ['\u2028', 0, 0],
    ['\ufe0f', 1, 2], // a lone variation selector: ambiguous width
    ['👍', 2, 2],
    ['❤', 1, 1],
    ['🇯', 1, 1],
    ['\u2ffc', 2, 2], // Unicode 15.1 ideographic description character
    // grapheme clusters count the width of their first non-zero code point
    ['e\u0301', 1, 1],
    ['👍🏽', 2, 2],
    ['👨‍👩‍👧', 2, 2],
    ['🇯🇵', 1, 1],
    ['❤️', 1, 1],
    ['#\ufe0f\u20e3', 1, 1],
    ['\u1100\u1161\u11a8', 2, 2],
    ['\u0301日', 2, 2],
    ['a\u200db', 2, 2],
    ['กำ', 1, 1],
    ['ก\u0e48\u0e33', 1, 1],
    // docker's grapheme rules predate Unicode 15.1's Indic conjunct rule (GB9c)
    ['क्ष', 2, 2],
    ['क्', 1, 1],
    ['ক্ষ', 2, 2],
  ];
  for (const [s, width, eastAsian] of cases) {
    it(JSON.stringify(s), () => {
      assert.equal(stringWidth(s), width);
      assert.equal(stringWidth(s, true), eastAsian);
    });
  }
  it('treats a lone surrogate as U+FFFD', () => {
    assert.equal(runeWidth(0xd800), 1);
    assert.equal(stringWidth('\ud800'), 1);
  });
});

describe('isEastAsianLocale (go-runewidth runewidth_posix.go)', () => {
  // [environment, East Asian]
  const cases: readonly [Record<string, string>, boolean][] = [
    [{}, false],
    [{ LANG: 'en_US.UTF-8' }, false],
    [{ LANG: 'ja_JP.UTF-8' }, true],
    [{ LANG: 'zh_CN.utf8' }, true],
    [{ LANG: 'ko_KR.UTF-8' }, true],
    [{ LANG: 'zh_CN.GB2312' }, true],
    [{ LANG: 'ja_JP.eucJP' }, true],
    [{ LANG: 'ja_JP.UTF-8@cjk_narrow' }, false],
    [{ LANG: 'C' }, false],
    [{ LANG: 'C.UTF-8' }, false],
    [{ LANG: 'POSIX' }, false],
    [{ LC_CTYPE: 'en_US.UTF-8', LANG: 'ja_JP.UTF-8' }, false],
    [{ LC_CTYPE: 'ja_JP.UTF-8', LANG: 'en_US.UTF-8' }, true],
    // LC_ALL is not consulted
    [{ LC_ALL: 'ja_JP.UTF-8' }, false],
    [{ RUNEWIDTH_EASTASIAN: '1' }, true],
    [{ RUNEWIDTH_EASTASIAN: '0', LANG: 'ja_JP.UTF-8' }, false],
  ];
  for (const [env, want] of cases) {
    it(JSON.stringify(env), () => assert.equal(isEastAsianLocale(env), want));
  }
});
