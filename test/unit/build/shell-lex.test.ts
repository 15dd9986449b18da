// The shell-word lexer against BuildKit's own test tables:
//  - envVarTest (frontend/dockerfile/shell/envVarTest; also moby
//    builder/dockerfile/shell/envVarTest): ProcessWord with
//    PWD=/home SHELL=bash KOREAN=한국어 NULL=
//  - wordsTest (moby builder/dockerfile/wordsTest): ProcessWords
//  - lex_test.go TestProcessWithMatches / TestShellParserMandatoryEnvVars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShellLex, ShellLexError, processWord, processWords } from '../../../src/build/dockerfile/shell-lex.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/unit/build/testdata');

test('envVarTest table (BuildKit shell/envVarTest)', () => {
  const env = ['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL='];
  const lex = new ShellLex();
  let rows = 0;
  for (const line of readFileSync(path.join(testdata, 'envVarTest'), 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [, source, expected] = line.split('|').map((s) => s.trim()) as [string, string, string];
    rows++;
    if (expected === 'error') {
      assert.throws(() => lex.processWord(source, env), ShellLexError, `input ${source}`);
    } else {
      assert.equal(lex.processWord(source, env), expected, `input ${source}`);
    }
  }
  assert.equal(rows, 134);
});

test('wordsTest table (moby builder/dockerfile/wordsTest): ProcessWords', () => {
  // "trailing" has three trailing blanks in the original file.
  const env = ['hi=hi', 'space=abc  def', 'leading=  ab c', 'trailing=ab c   '];
  const cases: Array<[string, string[], string[]?]> = [
    ['hello', ['hello']],
    ['hello${hi}bye', ['hellobye'], []],
    ['hello${hi}bye', ['hellohibye']],
    ['hello${space}bye', ['helloabc', 'defbye']],
    ['hello"${space}"bye', ['helloabc  defbye']],
    ['hello "${space}"bye', ['hello', 'abc  defbye']],
    ['hello${leading}def', ['hello', 'ab', 'cdef']],
    ['hello"${leading}" def', ['hello  ab c', 'def']],
    ['hello"${leading}"', ['hello  ab c']],
    ['hello${leading}', ['hello', 'ab', 'c']],
    ['hello${trailing}', ['helloab', 'c']],
    ['hello${trailing}d', ['helloab', 'c', 'd']],
    ['hello"${trailing}"d', ['helloab c   d']],
    ['hel"lo${trailing}"', ['helloab c   ']],
    ['hello" there  "', ['hello there  ']],
    ['hello there     ', ['hello', 'there']],
    ['hello\\ there', ['hello there']],
    ['hello\\" there', ['hello"', 'there']],
  ];
  for (const [input, expected, envOverride] of cases) {
    assert.deepEqual(processWords(input, envOverride ?? env), expected, input);
  }
  // An unterminated quote is an error in current BuildKit (older moby tables
  // listed `hello" there` as "hello there").
  assert.throws(() => processWords('hello" there', env), /unexpected end of statement while looking for matching double-quote/);
});

test('${v?msg} and ${v:?msg} (lex_test TestShellParserMandatoryEnvVars)', () => {
  const set = ['VAR=plain', 'ARG=x'];
  const empty = ['VAR=', 'ARG=x'];
  const unset = ['ARG=x'];
  assert.equal(processWord('${VAR:?message here$ARG}', set), 'plain');
  assert.throws(() => processWord('${VAR:?message here$ARG}', empty), /VAR: message herex/);
  assert.throws(() => processWord('${VAR:?message here$ARG}', unset), /VAR: message herex/);
  assert.equal(processWord('${VAR?message here$ARG}', set), 'plain');
  assert.equal(processWord('${VAR?message here$ARG}', empty), '');
  assert.throws(() => processWord('${VAR?message here$ARG}', unset), /VAR: message herex/);
  // Default messages.
  assert.throws(() => processWord('${VAR?}', unset), { message: 'failed to process "${VAR?}": VAR: is not allowed to be unset' });
  assert.throws(() => processWord('${VAR:?}', empty), { message: 'failed to process "${VAR:?}": VAR: is not allowed to be empty' });
});

test('TestProcessWithMatches table (BuildKit shell/lex_test.go)', () => {
  const lex = new ShellLex();
  const cases: Array<{ input: string; env: Record<string, string>; expected?: string; matched?: string[]; unmatched?: string[] }> = [
    { input: 'x', env: { DUMMY: 'dummy' }, expected: 'x', matched: [] },
    { input: 'x ${UNUSED}', env: { DUMMY: 'dummy' }, expected: 'x ', unmatched: ['UNUSED'] },
    { input: 'x ${FOO}', env: { FOO: 'y' }, expected: 'x y', matched: ['FOO'] },
    { input: '${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx  ccc', matched: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx bbb ccc', matched: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:-}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matched: ['FOO'] },
    { input: '${FOO:-}', env: {}, expected: '', unmatched: ['FOO'] },
    { input: '${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'aaa bbb ', matched: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'aaa  ', matched: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO?aaa}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matched: ['FOO'] },
    { input: '${BAR?bbb}', env: { FOO: 'xxx', BAR: '' }, expected: '', matched: ['BAR'] },
    { input: '${BAZ?ccc}', env: { FOO: 'xxx', BAR: '' } },
    { input: '${FOO:?aaa}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matched: ['FOO'] },
    { input: '${BAR:?bbb}', env: { FOO: 'xxx', BAR: '' } },
    { input: '${BAZ:?ccc}', env: { FOO: 'xxx', BAR: '' } },
    { input: '${BAZ:?}', env: { FOO: 'xxx', BAR: '' } },
    { input: '${FOO=aaa}', env: { FOO: 'xxx', BAR: '' } },
    { input: '${FOO=:aaa}', env: { FOO: 'xxx', BAR: '' } },
    { input: '${FOO=}', env: {} },
    { input: '${FOO#()[]{\\}^$.\\*\\?|\\\\}', env: { FOO: '()[]{}^$.*?|\\x' }, expected: 'x', matched: ['FOO'] },
    { input: '${FOO%%\\**}', env: { FOO: 'xx**' }, expected: 'xx', matched: ['FOO'] },
    { input: '${FOO#*x*y}', env: { FOO: 'xxyy' }, expected: 'y', matched: ['FOO'] },
    { input: '${FOO#*}', env: { FOO: 'xxyy' }, expected: 'xxyy', matched: ['FOO'] },
    { input: '${FOO#$BAR}', env: { FOO: 'xxyy', BAR: 'x' }, expected: 'xyy', matched: ['FOO', 'BAR'] },
    { input: '${FOO#$BAR}', env: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matched: ['FOO', 'BAR'] },
    { input: '${FOO#}', env: { FOO: 'xxyy' }, expected: 'xxyy', matched: ['FOO'] },
    { input: '${FOO##*x}', env: { FOO: 'xxyy' }, expected: 'yy', matched: ['FOO'] },
    { input: '${FOO##}', env: { FOO: 'xxyy' }, expected: 'xxyy', matched: ['FOO'] },
    { input: '${FOO#?\\?}', env: { FOO: '???y' }, expected: '?y', matched: ['FOO'] },
    { input: '${ABC:-.}${FOO%x}${ABC:-.}', env: { FOO: 'xxyy' }, expected: '.xxyy.', matched: ['FOO'], unmatched: ['ABC'] },
    { input: '${FOO%%\\**\\*}', env: { FOO: 'a***yy*' }, expected: 'a', matched: ['FOO'] },
    { input: '${FOO%}', env: { FOO: 'xxyy' }, expected: 'xxyy', matched: ['FOO'] },
    { input: '${FOO%%$BAR}', env: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matched: ['FOO', 'BAR'] },
    { input: '${FOO:#}', env: {} },
    { input: '${FOO:##}', env: {} },
    { input: '${FOO:%}', env: {} },
    { input: '${FOO:%%}', env: {} },
    { input: '${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', env: { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, expected: '/foo.*/*.txt - /foo..*.txt', matched: ['FOO', 'NEEDLE'] },
    { input: '${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', env: { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, expected: '/tmp/bar.txt - /bar.txt', matched: ['FOO', 'NEEDLE'] },
    { input: '${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', env: { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, expected: '/foo/b/c.txt - /foo/c.txt', matched: ['FOO', 'NEEDLE', 'REPLACEMENT'] },
    { input: '${FOO/$NEEDLE/$REPLACEMENT}', env: { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, expected: 'https://google.de', matched: ['FOO', 'NEEDLE', 'REPLACEMENT'] },
    { input: '${FOO//\\//\\/}', env: { FOO: '/tmp/foo.txt' }, expected: '\\/tmp\\/foo.txt', matched: ['FOO'] },
    { input: '${FOO/$BAR/ww}', env: { FOO: 'xxyy', BAR: '' }, expected: 'wwxxyy', matched: ['FOO', 'BAR'] },
    { input: '${FOO//ww}', env: { FOO: 'xxyy' } },
    { input: '${FOO//}', env: { FOO: 'xxyy' } },
    { input: '${FOO///}', env: { FOO: 'xxyy' }, expected: 'xxyy', matched: ['FOO'] },
    { input: '${FOO///}', env: {}, expected: '', unmatched: ['FOO'] },
  ];
  for (const c of cases) {
    if (c.expected === undefined) {
      assert.throws(() => lex.process(c.input, c.env), ShellLexError, c.input);
      continue;
    }
    const r = lex.process(c.input, c.env);
    assert.equal(r.result, c.expected, c.input);
    assert.deepEqual([...r.matched].sort(), [...(c.matched ?? [])].sort(), `${c.input} matched`);
    assert.deepEqual([...r.unmatched].sort(), [...(c.unmatched ?? [])].sort(), `${c.input} unmatched`);
  }
});

test('release file name pattern (lex_test TestProcessWithMatchesPlatform)', () => {
  const release = 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz';
  const base = { VERSION: 'v1.2.3', TARGETOS: 'linux' };
  assert.equal(processWord(release, { ...base, TARGETARCH: 'arm', TARGETVARIANT: 'v7' }), 'something-v1.2.3.linux-arm-v7.tar.gz');
  assert.equal(processWord(release, { ...base, TARGETARCH: 'arm64', TARGETVARIANT: '' }), 'something-v1.2.3.linux-arm64.tar.gz');
  assert.equal(processWord(release, { ...base, TARGETARCH: 'arm64' }), 'something-v1.2.3.linux-arm64.tar.gz');
});

test('error messages carry docker wording', () => {
  const cases: Array<[string, string]> = [
    ['${}', 'failed to process "${}": syntax error: bad substitution'],
    ['${a', "failed to process \"${a\": unsupported modifier (\ufffd) in substitution"],
    ['${', "failed to process \"${\": syntax error: missing '}'"],
    ['${a:-b', "failed to process \"${a:-b\": syntax error: missing '}'"],
    ['${a:=b}', 'failed to process "${a:=b}": unsupported modifier (:=) in substitution'],
    ['${a:#b}', 'failed to process "${a:#b}": unsupported modifier (:#) in substitution'],
    ["'abc", 'failed to process "\'abc": unexpected end of statement while looking for matching single-quote'],
    ['"abc', 'failed to process "\\"abc": unexpected end of statement while looking for matching double-quote'],
    ['${a/b', "failed to process \"${a/b\": syntax error: missing '/' in ${}"],
    ['${a#\\x}', "failed to process \"${a#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape '\\x'"],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => processWord(input, { a: 'abc' }), { message }, input);
  }
});

test('backtick escape token', () => {
  const lex = new ShellLex({ escapeToken: '`' });
  assert.equal(lex.processWord('a`$b', { b: 'x' }), 'a$b');
  assert.equal(lex.processWord('a\\$b', { b: 'x' }), 'a\\x');
  assert.equal(lex.processWord('"a`"b"', {}), 'a"b');
  assert.equal(lex.processWord('c:\\path\\$b', { b: 'x' }), 'c:\\path\\x');
});

test('Go regexp ReplaceAll semantics: no empty match right after a match', () => {
  assert.equal(processWord('${FOO//*/x}', { FOO: 'abc' }), 'x');
  assert.equal(processWord('${FOO//$E/-}', { FOO: 'ab', E: '' }), '-a-b-');
});

test('option flags used by heredoc detection', () => {
  const raw = new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  assert.deepEqual(raw.processWords('RUN cat <<"EOF" > $OUT ${X:-y}', []), ['RUN', 'cat', '<<"EOF"', '>', '$OUT', '${X:-y}']);
  assert.deepEqual(raw.processWords('a\\ b', []), ['a\\ b']);
  const noQuotes = new ShellLex({ skipProcessQuotes: true });
  assert.equal(noQuotes.processWord('say "$X" \'$X\' \\$X', { X: '1' }), 'say "1" \'1\' $X');
});
