// Go text/template semantics. Expectations come from three places:
// - DOCKER_TEMPLATE_CASES: captured from docker CLI 28.2.2 (see docker-cases.ts);
// - ORACLE_CASES: compared live with Go's own text/template compiled to WASM
//   (@evertdespiegeleer/go-template; it parses with missingkey=error, names the
//   template "tpl", and reports only the tail of execution errors);
// - the tables below, for berth's mapping of JS values onto Go values, each
//   citing the Go behaviour it reproduces.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as goTemplate } from '@evertdespiegeleer/go-template';

import {
  Float64,
  NilPointer,
  Template,
  TemplateError,
  markMap,
  markStruct,
  markStructsDeep,
  renderTemplate,
  type TemplateFunction,
} from '../../../../src/cli/format/template.js';
import { DEFAULT_CONTEXT, DOCKER_TEMPLATE_CASES } from './docker-cases.js';

function run(text: string, data: unknown = null, options: Parameters<Template['execute']>[1] = {}): string {
  return Template.parse(text).execute(data, options);
}

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  assert.fail('expected a TemplateError');
}

describe('templates as docker CLI 28.2.2 renders them', () => {
  for (const [text, stdout, error] of DOCKER_TEMPLATE_CASES) {
    it(text, () => {
      const ctx = markStruct({ ...DEFAULT_CONTEXT }, '*formatter.clientContextContext');
      if (error === null) assert.equal(run(text, ctx), stdout);
      else assert.equal(errorOf(() => run(text, ctx)).message, error);
    });
  }
});

// [template, data as JSON] — outputs and error texts must equal Go's.
const ORACLE_CASES: readonly [string, unknown][] = [
  ['hello {{.a}} {{.b.c}}', { a: 'x', b: { c: 'y' } }],
  ['{{range .l}}[{{.}}]{{end}}', { l: ['a', 'b'] }],
  ['{{range $i, $v := .l}}{{$i}}={{$v}} {{end}}', { l: ['a', 'b'] }],
  ['{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}', { m: { b: '2', a: '1', C: '3', é: '4', '😀': '5', '\uffff': '6' } }],
  ['{{range .l}}x{{else}}empty{{end}}', { l: [] }],
  ['{{range .l}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', { l: ['a', 'b', 'c'] }],
  ['{{range .l}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', { l: ['a', 'b', 'c'] }],
  ['{{range $i, $e := .l}}{{range .}}{{if eq . "y"}}{{break}}{{end}}{{.}}{{end}};{{end}}', { l: [['x', 'y', 'z'], ['w']] }],
  ['{{if .t}}yes{{else}}no{{end}}', { t: true }],
  ['{{if .f}}yes{{else if .t}}elif{{else}}no{{end}}', { t: true, f: false }],
  ['{{with .s}}[{{.}}]{{else}}none{{end}}', { s: '' }],
  ['{{with .s}}[{{.}}]{{else with .t}}t={{.}}{{end}}', { s: '', t: 'T' }],
  ['{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}', null],
  ['{{$x := "o"}}{{range .l}}{{$x = .}}{{end}}{{$x}}', { l: ['a', 'b'] }],
  ['{{range $i, $v := .l}}{{end}}{{$i}}', { l: ['a'] }],
  ['{{$i := 0}}{{range $i, $v := .l}}{{end}}{{$i}}', { l: ['a'] }],
  ['{{.a | printf "%q"}}', { a: 'hi' }],
  ['{{printf "%s-%d" "a" 3}}', null],
  ['{{printf "%5.2f|%-6s|%06d|%x|%X|%o|%b|%e|%g|%t" 3.14159 "ab" 42 255 255 8 5 1234.5678 0.00001234 true}}', null],
  ['{{printf "%v %v %v" 1.5 1e21 1e20}}', null],
  ['{{printf "%c %U %#U %q" 65 0x1F600 0x1F600 65}}', null],
  ['{{printf "%d %d" 1}}', null],
  ['{{printf "%d" 1 2}}', null],
  ['{{printf "%z" 1}}', null],
  ['{{printf "%!"}}', null],
  ['{{printf "%"}}', null],
  ['{{printf "%[2]d %[1]d" 1 2}}', null],
  ['{{printf "%*d|%-*d" 5 1 4 2}}', null],
  ['{{printf "%.*f" 2 3.14159}}', null],
  ['{{printf "%s" 1}}', null],
  ['{{printf "%d" "x"}}', null],
  ['{{printf "%s" nil}}', null],
  ['{{printf "%v" nil}}', null],
  ['{{printf "%T %T %T %T" 1 1.5 "s" true}}', null],
  ['{{print 1 2 "a" "b" 3}}', null],
  ['{{println 1 2 "a"}}', null],
  ['{{and 1 0 2}} {{and 1 2}} {{or 0 "" 3}} {{or 0 ""}} {{not 0}}', null],
  ['{{or 1 .x.y}} {{and 0 .x.y}}', {}],
  ['{{len "héllo"}} {{len .l}} {{len .m}}', { l: [1, 2, 3], m: { a: 1 } }],
  ['{{index .l 1}} {{index .m "a"}} {{index "abc" 1}}', { l: ['x', 'y'], m: { a: 'A' } }],
  ['{{index .l 5}}', { l: ['x', 'y'] }],
  ['{{index .l 2}}', { l: ['x', 'y'] }],
  ['{{index .m 1}}', { m: { a: 'A' } }],
  ['{{index nil 1}}', null],
  ['{{index .a "b" "c"}}', { a: { b: 'x' } }],
  ['{{slice "hello" 1 3}} {{slice .l 1}}', { l: ['a', 'b', 'c'] }],
  ['{{slice "hello" 3 1}}', null],
  ['{{slice .a 1 2 3}}', { a: ['a', 'b', 'c', 'd'] }],
  ['{{slice "abc" 1 2 3}}', null],
  ['{{slice 1}}', null],
  ['{{eq 1 1}} {{eq "a" "b" "a"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', null],
  ['{{lt true false}}', null],
  ['{{eq 1}}', null],
  ['{{"a" | eq "a"}} {{2 | lt 1}}', null],
  ['{{html "<a href=\'x\'>&\\""}}', null],
  ['{{js "<a href=\'x\'>&=\\"\\n\\\\ é\\u2028"}}', null],
  ['{{urlquery "a b&c=d/é"}}', null],
  ['{{.}}', { a: [1, 'x', true, null], b: { z: 1, y: 2.5 } }],
  ['{{.a}}', { a: null }],
  ['{{print .a}}', { a: null }],
  ['{{.a.b}}', { a: null }],
  ['{{.nope}}', {}],
  ['{{.a.nope}}', { a: {} }],
  ['{{.a.b.c}}', { a: {} }],
  ['{{len .a}}', { a: null }],
  ['{{/* comment */}}x', null],
  ['a  {{- .a -}}  b', { a: 'X' }],
  ['a\n  {{- /* c */ -}}\n  b', null],
  ['{{`raw\\n`}}|{{"esc\\t"}}|{{\'a\'}}|{{\'\\n\'}}|{{"\\x41\\101\\u00e9\\U0001F600"}}', null],
  ['{{0x1F}} {{0o17}} {{0b101}} {{1_000}} {{017}} {{1e3}} {{.5}} {{-3}} {{+4}} {{0x1p-2}} {{-0x1E}}', null],
  ['{{3.0}} {{-0.0}} {{1e100}} {{123456789.0}} {{0.000001}}', null],
  ['{{define "T"}}[{{.}}]{{end}}{{template "T" "x"}}{{template "T"}}', null],
  ['{{block "B" .a}}<{{.}}>{{end}}', { a: 'v' }],
  ['{{template "nope"}}', null],
  ['{{(printf "%s" "a")}} {{(index .m "k").x}}', { m: { k: { x: 'deep' } } }],
  ['{{range 3}}{{.}}{{end}}', null],
  ['{{range $i, $v := 3}}{{.}}{{end}}', null],
  ['{{range 1.5}}{{.}}{{end}}', null],
  ['{{range $v := .l}}{{$v}}{{end}}', { l: [1, 2] }],
  ['x{{.a}}\ny{{.b}}\n{{.c}}', { a: 1, b: 2 }],
  ['{{\n.a\n}}', { a: 'A' }],
  ['{{printf "%d"\n 1}}', null],
  ['{{$.x}}', { x: 'X' }],
  ['{{with $x := "a"}}{{$x}}{{end}}', null],
  ['{{$x := 1}}{{$x := 2}}{{$x}}', null],
  ['{{.a 1}}', { a: 'x' }],
  ['{{$ 1}}', null],
  ['{{(.a) 1}}', { a: 1 }],
  ['{{1 | .a}}', { a: 'x' }],
  ['{{printf "%s" 1 | printf "%s|%s" "x"}}', null],
  ['{{nil}}', null],
  ['{{print nil}}', null],
  ['{{true.x}}', null],
  ['{{(1).x}}', null],
  ['{{(nil).x}}', null],
  ['{{len}}', null],
  ['{{len 1 2}}', null],
  ['{{index}}', null],
  ['{{len 3}}', null],
  ['{{not}}', null],
  ['{{and}}', null],
  // parse errors
  ['{{.a', null],
  ['{{.a}', null],
  ['{{', null],
  ['}}', null],
  ['{{}}', null],
  ['{{ }}', null],
  ['{{if .a}}x', null],
  ['{{end}}', null],
  ['{{else}}', null],
  ['{{if}}{{end}}', null],
  ['{{range}}{{end}}', null],
  ['{{with}}{{end}}', null],
  ['{{nope}}', null],
  ['{{$x}}', null],
  ['{{$x = 1}}', null],
  ['{{"abc}}', null],
  ['{{`abc}}', null],
  ["{{'a}}", null],
  ["{{'ab'}}", null],
  ['{{"\\q"}}', null],
  ['{{1x}}', null],
  ['{{09}}', null],
  ['{{99999999999999999999}}', null],
  ['{{0x}}', null],
  ['{{1e}}', null],
  ['{{1..2}}', null],
  ['{{.a!}}', null],
  ['{{!}}', null],
  ['{{é}}', null],
  ['{{(.a}}', null],
  ['{{.a)}}', null],
  ['{{)}}', null],
  ['{{/* x }}', null],
  ['{{/* x */ }}', null],
  ['{{- /* x */ -}}', null],
  ['{{break}}', null],
  ['{{range .}}{{else}}{{break}}{{end}}', null],
  ['{{continue}}', null],
  ['{{range .}}{{break 1}}{{end}}', null],
  ['{{range .}}{{else}}{{else}}{{end}}', null],
  ['{{if .}}{{else}}{{else}}{{end}}', null],
  ['{{.a | 1}}', null],
  ['{{. | .}}', null],
  ['{{3.x}}', null],
  ['{{"s".x}}', null],
  ['{{nil.x}}', null],
  ['{{..x}}', null],
  ['{{$x, $y := .}}', null],
  ['{{range $x, $y, $z := .}}{{end}}', null],
  ['{{range $x, 1 := .}}{{end}}', null],
  ['{{template}}', null],
  ['{{template .x}}', null],
  ['{{define "x" 1}}{{end}}', null],
  ['{{define "x"}}a{{end}}{{define "x"}}b{{end}}', null],
  ['{{if .a}}{{else if}}{{end}}', null],
  ['{{range .}}{{else if .}}{{end}}', null],
  ['{{if true}}{{$x := 1}}{{end}}{{$x}}', null],
  ['{{.a := 1}}', null],
  ['{{:}}', null],
  ['{{-3}}', null],
  ['{{- 3}}', null],
  ['{{3 -}}', null],
  ['{{3-}}', null],
  ['{{"a" "b"}}', null],
];

// Where Go's own text/template (as the oracle builds it) and berth part ways on purpose.
const ORACLE_DIFFERENCES: readonly [string, unknown, string][] = [
  // The oracle is a newer Go: docker CLI 28.2.2 (Go 1.24) prints no type names here.
  ['{{eq "a" 1}}', null, 'template: :1:2: executing "" at <eq "a" 1>: error calling eq: incompatible types for comparison'],
  // Go reports the static type of a map element (interface {}); berth reports the value's
  // type, as docker does for its typed formatter contexts ("in type string").
  ['{{.a.b}}', { a: 'str' }, 'template: :1:4: executing "" at <.a.b>: can\'t evaluate field b in type string'],
];

describe("templates as Go's text/template runs them (WASM oracle)", () => {
  for (const [text, data] of ORACLE_CASES) {
    it(JSON.stringify(text) + (data === null ? '' : ' ' + JSON.stringify(data)), async () => {
      let want: string;
      try {
        want = 'OK ' + (await goTemplate(text, data));
      } catch (e) {
        const m = (e as Error).message ?? '';
        want = 'ERR ' + m.replace('Template parse error: ', '').replace(/template: tpl:/g, 'template: :').replace(/started at tpl:/, 'started at :');
      }
      let got: string;
      try {
        got = 'OK ' + run(text, data, { missingKey: 'error' });
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        // the oracle keeps only what follows "at <node>: " of execution errors
        got = 'ERR ' + (e.phase === 'exec' ? e.message.slice(e.message.indexOf('>: ') + 3) : e.message);
      }
      assert.equal(got, want);
    });
  }
  for (const [text, data, error] of ORACLE_DIFFERENCES) {
    it(`differs on purpose: ${text}`, () => assert.equal(errorOf(() => run(text, data)).message, error));
  }
});

describe('JS values as Go values', () => {
  // [template, data, expected output]
  const cases: readonly [string, unknown, string][] = [
    // integral JS numbers are Go ints: no exponent (Go prints float64 1200000 as 1.2e+06)
    ['{{.}}', 1200000, '1200000'],
    ['{{.}}', 2 ** 53, '9007199254740992'],
    ['{{.}}', -0, '0'],
    ['{{.}}', 123456789012, '123456789012'],
    ['{{printf "%d %v %x" . . .}}', 1200000, '1200000 1200000 124f80'],
    // non-integral numbers are float64, printed as Go's %v does (%g, shortest, exponent from 1e21 or < 1e-4)
    ['{{.}}', 1.5, '1.5'],
    ['{{.}}', 1e21 + 0.5, '1e+21'],
    ['{{.}}', 0.1 + 0.2, '0.30000000000000004'],
    ['{{.}}', 1234567.5, '1.2345675e+06'],
    ['{{.}}', 0.00001, '1e-05'],
    ['{{.}}', Number.NaN, 'NaN'],
    ['{{.}}', Infinity, '+Inf'],
    ['{{.}}', -Infinity, '-Inf'],
    ['{{.}}', new Float64(3), '3'],
    ['{{.}}', new Float64(1e6), '1e+06'],
    ['{{printf "%d" .}}', new Float64(3), '%!d(float64=3)'],
    ['{{printf "%T" .}}', new Float64(3), 'float64'],
    // float verbs accept integral numbers: JS cannot tell a float64 that happens to be whole
    ['{{printf "%.2f" .}}', 2, '2.00'],
    ['{{printf "%.1f%%" .}}', 50, '50.0%'],
    ['{{if gt .cpu 50.0}}hot{{end}}', { cpu: 60 }, 'hot'],
    // bigint is an int
    ['{{.}} {{printf "%x" .}}', 2n ** 64n + 1n, '18446744073709551617 10000000000000001'],
    ['{{eq . 5}} {{lt . 6}}', 5n, 'true true'],
    ['{{.}}', true, 'true'],
    ['{{.}}', 'text', 'text'],
    ['{{.}}', null, '<no value>'],
    ['{{.}}', undefined, '<no value>'],
    // slices, maps (sorted by key, bytewise), structs
    ['{{.}}', ['a', 1, true, null, 1.5], '[a 1 true <nil> 1.5]'],
    ['{{.}}', [['a', 'b'], []], '[[a b] []]'],
    ['{{.}}', { b: 2, a: [1, 2], c: { d: 'e' } }, 'map[a:[1 2] b:2 c:map[d:e]]'],
    ['{{.}}', {}, 'map[]'],
    ['{{.}}', new Map<unknown, unknown>([[10, 'x'], [9, 'y']]), 'map[9:y 10:x]'],
    ['{{.}}', markStruct({ Name: 'n', Age: 3, Tags: ['x'] }, 'T'), '{n 3 [x]}'],
    ['{{printf "%+v" .}}', markStruct({ Name: 'n', Age: 3 }, 'T'), '{Name:n Age:3}'],
    ['{{printf "%#v" .}}', ['a', 1], '[]interface {}{"a", 1}'],
    ['{{printf "%v" .}}', { inner: markStruct({ X: 1 }) }, 'map[inner:{1}]'],
    ['{{printf "%q" .}}', ['a', 'b'], '["a" "b"]'],
    ['{{printf "%d" .}}', ['a', 2], '[%!d(string=a) 2]'],
    // time.Time prints as its String() (UTC)
    ['{{.}}', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120)), '2024-01-02 03:04:05.12 +0000 UTC'],
    // a String() method is used for %v and %s, as fmt does for Stringers
    ['{{.}} {{printf "%s|%d" . .}}', { String: () => 'str', n: 1 }, 'str str|map[%!d(string=n):1]'],
    // and a method that fails is reported in place, as fmt does with a panic
    ['{{.}}', { String: () => { throw new Error('boom'); } }, '%!v(PANIC=String method: boom)'],
  ];
  for (const [text, data, want] of cases) {
    it(`${text} on ${typeof data === 'bigint' ? String(data) + 'n' : JSON.stringify(data)}`, () => assert.equal(run(text, data), want));
  }
});

describe('missing keys and fields', () => {
  it('a missing map key prints <no value> (missingkey=default, as docker parses)', () => {
    assert.equal(run('{{.nope}}|{{.a.nope}}|{{.nope.deeper}}', { a: {} }), '<no value>|<no value>|<no value>');
  });
  it('missingkey=zero uses the map element zero value when the map says what it is', () => {
    assert.equal(run('{{.nope}}', markMap({}, { typeName: 'map[string]string', elemZero: '' }), { missingKey: 'zero' }), '');
    // map[string]interface {}: the zero value is a nil interface, which prints <no value> (Go does the same)
    assert.equal(run('{{.nope}}', {}, { missingKey: 'zero' }), '<no value>');
  });
  it('missingkey=error fails with Go\'s message', () => {
    assert.equal(
      errorOf(() => run('{{.nope}}', {}, { missingKey: 'error' })).message,
      'template: :1:2: executing "" at <.nope>: map has no entry for key "nope"',
    );
  });
  it('a struct field that does not exist is an error, as in docker\'s formatter contexts', () => {
    const ctx = markStruct({ ID: 'abc' }, '*formatter.ContainerContext');
    assert.equal(
      errorOf(() => run('{{.ID}} {{.Nope}}', ctx)).message,
      'template: :1:10: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
    );
  });
  it('class instances are structs named after their class', () => {
    class ImageContext {
      ID = 'sha';
    }
    assert.equal(errorOf(() => run('{{.Nope}}', new ImageContext())).message, 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type ImageContext');
  });
  it('a nil struct field prints <nil> and cannot be walked into', () => {
    const s = markStruct({ Health: null }, 'State');
    assert.equal(run('{{.Health}}|{{if .Health}}y{{else}}n{{end}}', s), '<nil>|n');
    assert.equal(errorOf(() => run('{{.Health.Status}}', s)).message, 'template: :1:9: executing "" at <.Health.Status>: nil pointer evaluating *struct.Status');
    assert.equal(run('{{.}}', new NilPointer('*types.Health')), '<nil>');
  });
  it('index on a missing key yields the element zero value: "" for map[string]string, else <no value>', () => {
    const labels = markMap({ a: '1' }, { typeName: 'map[string]string', elemZero: '' });
    assert.equal(run('[{{index . "a"}}][{{index . "b"}}]', labels), '[1][]');
    assert.equal(run('[{{index . "b"}}]', { a: '1' }), '[<no value>]');
  });
  it('markStructsDeep marks API objects as structs with their map-typed fields as maps', () => {
    const c = markStructsDeep(
      { Id: 'x', Config: { Labels: { b: '2', a: '1' }, Env: ['A=1'] }, State: { Running: true } },
      { stringMapKeys: ['Labels'] },
    );
    assert.equal(run('{{.Config.Labels}} {{index .Config.Labels "zz"}}| {{.State}} {{.Config.Env}}', c), 'map[a:1 b:2] | {true} [A=1]');
    assert.match(errorOf(() => run('{{.State.Nope}}', c)).message, /can't evaluate field Nope in type struct$/);
  });
});

describe('methods', () => {
  const ctx = {
    Names: () => 'web,db',
    Label(name: string) {
      return name === 'com.example' ? 'yes' : '';
    },
    Fails() {
      throw new Error('no such thing');
    },
  };
  it('calls a function-valued field with no arguments', () => assert.equal(run('{{.Names}}', ctx), 'web,db'));
  it('passes template arguments to a method', () => assert.equal(run('{{.Label "com.example"}}|{{.Label "x"}}', ctx), 'yes|'));
  it('takes the piped value as the last argument', () => assert.equal(run('{{"com.example" | .Label}}', ctx), 'yes'));
  it('checks the number of arguments against the function length', () => {
    assert.equal(errorOf(() => run('{{.Label}}', ctx)).message, 'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0');
    assert.equal(errorOf(() => run('{{.Names 1}}', ctx)).message, 'template: :1:2: executing "" at <.Names>: wrong number of args for Names: want 0 got 1');
  });
  it('reports a thrown error as Go reports a method\'s error result', () => {
    assert.equal(errorOf(() => run('{{.Fails}}', ctx)).message, 'template: :1:2: executing "" at <.Fails>: error calling Fails: no such thing');
  });
  it('finds methods on a class prototype, not Object.prototype', () => {
    class C {
      Hello() {
        return 'hi';
      }
    }
    assert.equal(run('{{.Hello}}', new C()), 'hi');
    assert.equal(run('{{.toString}}', {}), '<no value>');
  });
  it('does not list methods as map entries', () => assert.equal(run('{{len .}} {{range $k, $v := .}}{{$k}}{{end}}', { a: 1, f: () => 2 }), '1 a'));
});

describe('docker functions', () => {
  const cases: readonly [string, unknown, string][] = [
    // json: encoding/json without HTML escaping, trailing newline removed (docker/cli templates.go)
    ['{{json .}}', { b: 1, a: ['x', null], c: '<&>' }, '{"a":["x",null],"b":1,"c":"<&>"}'],
    ['{{json .}}', markStruct({ Z: 1, A: 2 }), '{"Z":1,"A":2}'],
    ['{{json .}}', 'line\u2028sep\t"q"', '"line\\u2028sep\\t\\"q\\""'],
    ['{{json .}}', [1.5, 1e21, 1e-7, 100, -0], '[1.5,1e+21,1e-7,100,0]'],
    ['{{json .}}', Number.NaN, ''],
    ['{{json .}}', null, 'null'],
    ['{{json .nope}}', {}, 'null'],
    ['{{json .}}', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120)), '"2024-01-02T03:04:05.12Z"'],
    // a plain object's niladic functions marshal as their results, like docker's formatter contexts
    ['{{json .}}', { ID: 'abc', Names: () => 'web', Label: (_k: string) => 'v' }, '{"ID":"abc","Names":"web"}'],
    ['{{json .}}', { MarshalJSON: () => ({ custom: true }) }, '{"custom":true}'],
    ['{{split . ","}}', 'a,b,,c', '[a b  c]'],
    ['{{split . ""}} {{len (split "" ",")}}', 'héé', '[h é é] 1'],
    ['{{join . ", "}}', ['a', 'b'], 'a, b'],
    ['{{join .l ","}}', { l: [] }, ''],
    ['{{title .}}', 'hello wORLD foo-bar_baz x.y 3d', 'Hello WORLD Foo-Bar_baz X.Y 3d'],
    ['{{upper .}} {{lower .}}', 'ÉcoLe ß İ', 'ÉCOLE ß İ école ß i'],
    ['[{{pad . 2 1}}][{{pad "" 2 1}}]', 'x', '[  x ][]'],
    // truncate cuts UTF-8 bytes (docker's truncateWithLength)
    ['{{truncate . 3}}|{{truncate . 10}}|{{truncate "héllo" 3}}', 'abcdef', 'abc|abcdef|hé'],
  ];
  for (const [text, data, want] of cases) {
    it(`${text} on ${JSON.stringify(data)}`, () => assert.equal(run(text, data), want));
  }
  it('checks argument types as Go does for typed parameters', () => {
    assert.equal(errorOf(() => run('{{join . ","}}', [1, 2])).message, 'template: :1:7: executing "" at <.>: wrong type for value; expected []string; got []interface {}');
    assert.equal(errorOf(() => run('{{upper .x}}', {})).message, 'template: :1:8: executing "" at <.x>: invalid value; expected string');
    assert.equal(errorOf(() => run('{{truncate "x" 1.5}}', null)).message, 'template: :1:15: executing "" at <1.5>: expected integer; found 1.5');
  });
});

describe('template API', () => {
  it('names templates in messages (docker uses "")', () => {
    assert.equal(errorOf(() => Template.parse('{{.a', { name: 'version' })).message, 'template: version:1: unclosed action');
  });
  it('parse errors carry phase "parse", execution errors "exec" and their partial output', () => {
    assert.equal(errorOf(() => Template.parse('{{.a')).phase, 'parse');
    const e = errorOf(() => run('ab{{.x}}cd{{.y.z}}', { x: 1, y: 'str' }));
    assert.equal(e.phase, 'exec');
    assert.equal(e.partialOutput, 'ab1cd');
  });
  it('accepts extra functions, plain or typed', () => {
    const greet: TemplateFunction = { params: ['string'], call: ([s]) => `hi ${String(s)}` };
    const t = Template.parse('{{double 21}} {{greet "x"}}', { funcs: { double: (n: number) => n * 2, greet } });
    assert.equal(t.execute(null), '42 hi x');
  });
  it('executes with functions replaced per run (docker\'s header functions)', () => {
    const t = Template.parse('{{upper .}}');
    assert.equal(t.execute('a', { funcs: { upper: (s: string) => `<${s}>` } }), '<a>');
    assert.equal(t.execute('a'), 'A');
  });
  it('renderTemplate parses and runs in one call', () => assert.equal(renderTemplate('{{.a}}', { a: 1 }), '1'));
  it('stops runaway template recursion with an execution error', () => {
    const e = errorOf(() => renderTemplate('{{define "r"}}{{template "r" .}}{{end}}{{template "r"}}', null));
    assert.equal(e.message, 'template: :1:25: executing "r" at <{{template "r" .}}>: exceeded maximum template depth (1000)');
  });
  it('lists defined templates', () => assert.deepEqual(Template.parse('{{define "x"}}{{end}}y').definedTemplates().sort(), ['', 'x']));
});
