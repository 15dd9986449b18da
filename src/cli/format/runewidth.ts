// Cell widths as docker's table writer measures them (github.com/mattn/go-runewidth
// v0.0.16, used by docker/cli's fork of text/tabwriter): a string's width is
// the sum over its grapheme clusters of the width of the cluster's first
// non-zero-width code point.

import { DOUBLE_WIDTH, DOUBLE_WIDTH_EAST_ASIAN, ZERO_WIDTH } from './runewidth-table.js';

function inRanges(cp: number, ranges: readonly number[]): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  if (cp < ranges[0]!) return false;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid * 2 + 1]! < cp) lo = mid + 1;
    else if (ranges[mid * 2]! > cp) hi = mid - 1;
    else return true;
  }
  return false;
}

/** Width of one code point: 0, 1 or 2 terminal cells. */
export function runeWidth(cp: number, eastAsian = false): number {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate reaches the terminal as U+FFFD
  if (cp < 0x20) return 0;
  if (cp < 0x7f) return 1;
  if (inRanges(cp, ZERO_WIDTH)) return 0;
  return inRanges(cp, eastAsian ? DOUBLE_WIDTH_EAST_ASIAN : DOUBLE_WIDTH) ? 2 : 1;
}

// go-runewidth's grapheme segmentation (rivo/uniseg v0.2.0) predates Unicode
// 15.1's rule GB9c, which joins Indic consonants across a virama. Split there
// again: an Indic letter following a mark or ZWJ inside a cluster starts a new one.
const JOINED_CONSONANT_SOURCE =
  '(?<=[\\p{M}\\u200d])(?=\\p{L})(?=[\\p{sc=Deva}\\p{sc=Beng}\\p{sc=Gujr}\\p{sc=Orya}\\p{sc=Telu}\\p{sc=Mlym}\\p{sc=Knda}\\p{sc=Taml}\\p{sc=Guru}\\p{sc=Sinh}\\p{sc=Mymr}\\p{sc=Khmr}\\p{sc=Tibt}])';

// Both made on first use, as only non-ASCII cells need them: a Segmenter
// loads ICU's break data (~10 ms) and a \p{...} regex its property sets (a
// literal would pay that at module load, in every CLI start).
let segmenter: Intl.Segmenter | undefined;
let joinedConsonant: RegExp | undefined;

function* graphemes(s: string): Generator<string> {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  joinedConsonant ??= new RegExp(JOINED_CONSONANT_SOURCE, 'u');
  for (const { segment } of segmenter.segment(s)) {
    if (segment.length > 2 && joinedConsonant.test(segment)) yield* segment.split(joinedConsonant);
    else yield segment;
  }
}

/** Display width of a string, as docker sizes table cells. */
export function stringWidth(s: string, eastAsian = false): number {
  let width = 0;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s.length;
  for (const g of graphemes(s)) {
    for (const ch of g) {
      const w = runeWidth(ch.codePointAt(0)!, eastAsian);
      if (w > 0) {
        width += w;
        break;
      }
    }
  }
  return width;
}

/**
 * Whether go-runewidth treats the locale as East Asian (ambiguous-width
 * characters count 2): RUNEWIDTH_EASTASIAN=1, or a UTF-8 ja/ko/zh locale, or
 * a legacy CJK multibyte charset, in LC_CTYPE or else LANG.
 */
export function isEastAsianLocale(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const forced = env['RUNEWIDTH_EASTASIAN'];
  if (forced !== undefined && forced !== '') return forced === '1';
  let locale = env['LC_CTYPE'] ?? '';
  if (locale === '') locale = env['LANG'] ?? '';
  if (locale === 'POSIX' || locale === 'C') return false;
  if (locale.length > 1 && locale[0] === 'C' && (locale[1] === '.' || locale[1] === '-')) return false;
  let charset = locale.toLowerCase();
  const m = /^[a-z][a-z][a-z]?(?:_[A-Z][A-Z])?\.(.+)/.exec(locale);
  if (m) charset = m[1]!.toLowerCase();
  if (charset.endsWith('@cjk_narrow')) return false;
  const at = charset.indexOf('@');
  if (at >= 0) charset = charset.slice(0, at);
  let mbcMax = 1;
  switch (charset) {
    case 'utf-8':
    case 'utf8':
      mbcMax = 6;
      break;
    case 'jis':
      mbcMax = 8;
      break;
    case 'eucjp':
      mbcMax = 3;
      break;
    case 'euckr':
    case 'euccn':
    case 'sjis':
    case 'cp932':
    case 'cp51932':
    case 'cp936':
    case 'cp949':
    case 'cp950':
    case 'big5':
    case 'gbk':
    case 'gb2312':
      mbcMax = 2;
      break;
  }
  return mbcMax > 1 && (charset[0] !== 'u' || locale.startsWith('ja') || locale.startsWith('ko') || locale.startsWith('zh'));
}
