// docker's --format conventions: docker/cli cli/command/formatter/formatter.go
// (Format, Context.Write), custom.go (SubHeaderContext), inspect/inspector.go.
// Listing outputs were captured from docker CLI 28.2.2 (docker-cases.ts);
// inspect outputs from `docker context inspect` of the same CLI.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  FormatError,
  chooseFormat,
  compactJSON,
  formatInspect,
  formatList,
  headerContext,
  indentJSON,
  isTableFormat,
  renderHeader,
  renderList,
  templateText,
} from '../../../../src/cli/format/formatter.js';
import { DOCKER_TABLE } from '../../../../src/cli/format/tabwriter.js';
import { Template, markStruct } from '../../../../src/cli/format/template.js';
import { CONTEXT_HEADER, CONTEXT_TABLE_FORMAT, DOCKER_CONTEXTS, DOCKER_TABLE_CASES } from './docker-cases.js';

// docker context inspect output for two contexts (docker CLI 28.2.2), verbatim
function readFixture(name: 'inspect-indented' | 'inspect-compact'): string {
  return INSPECT_FIXTURES[name];
}

/** The fixture objects' JSON as Go marshals them (HTML characters escaped, as in the daemon's responses). */
function compactElement(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
}

const INSPECT_FIXTURES = {
  'inspect-indented':
    '[\n    {\n        "Name": "default",\n        "Metadata": {},\n        "Endpoints": {\n            "docker": {\n                "Host": "unix:///var/run/docker.sock",\n                "SkipTLSVerify": false\n            }\n        },\n        "TLSMaterial": {},\n        "Storage": {\n            "MetadataPath": "\\u003cIN MEMORY\\u003e",\n            "TLSPath": "\\u003cIN MEMORY\\u003e"\n        }\n    },\n    {\n        "Name": "a1",\n        "Metadata": {\n            "Description": "short"\n        },\n        "Endpoints": {\n            "docker": {\n                "Host": "unix:///tmp/a1.sock",\n                "SkipTLSVerify": false\n            }\n        },\n        "TLSMaterial": {},\n        "Storage": {\n            "MetadataPath": "/tmp/dcfg-probe/contexts/meta/f55ff16f66f43360266b95db6f8fec01d76031054306ae4a4b380598f6cfd114",\n            "TLSPath": "/tmp/dcfg-probe/contexts/tls/f55ff16f66f43360266b95db6f8fec01d76031054306ae4a4b380598f6cfd114"\n        }\n    }\n]\n',
  'inspect-compact':
    '[{"Name":"default","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///var/run/docker.sock","SkipTLSVerify":false}},"TLSMaterial":{},"Storage":{"MetadataPath":"\\u003cIN MEMORY\\u003e","TLSPath":"\\u003cIN MEMORY\\u003e"}},{"Name":"a1","Metadata":{"Description":"short"},"Endpoints":{"docker":{"Host":"unix:///tmp/a1.sock","SkipTLSVerify":false}},"TLSMaterial":{},"Storage":{"MetadataPath":"/tmp/dcfg-probe/contexts/meta/f55ff16f66f43360266b95db6f8fec01d76031054306ae4a4b380598f6cfd114","TLSPath":"/tmp/dcfg-probe/contexts/tls/f55ff16f66f43360266b95db6f8fec01d76031054306ae4a4b380598f6cfd114"}}]\n',
};

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  assert.fail('expected a FormatError');
}

describe('docker context ls --format, as docker CLI 28.2.2 printed it', () => {
  for (const [format, stdout, stderr] of DOCKER_TABLE_CASES) {
    it(JSON.stringify(format), () => {
      const items = DOCKER_CONTEXTS.map((c) => markStruct({ ...c }, '*formatter.clientContextContext'));
      const run = (): string =>
        formatList(items, chooseFormat(format, { table: CONTEXT_TABLE_FORMAT }), { header: CONTEXT_HEADER, table: DOCKER_TABLE });
      if (stderr === null) assert.equal(run(), stdout);
      else assert.equal(formatError(run).message, stderr);
    });
  }
});

describe('format values', () => {
  it('"" and "table" choose the default table, "raw" the raw format if the command has one', () => {
    const defaults = { table: 'table {{.ID}}', raw: 'id: {{.ID}}' };
    assert.equal(chooseFormat('', defaults), 'table {{.ID}}');
    assert.equal(chooseFormat('table', defaults), 'table {{.ID}}');
    assert.equal(chooseFormat('raw', defaults), 'id: {{.ID}}');
    assert.equal(chooseFormat('raw', { table: 'table {{.ID}}' }), 'raw');
    assert.equal(chooseFormat('{{.ID}}', defaults), '{{.ID}}');
  });
  it('a format is a table when it starts with "table" (formatter.Format.IsTable)', () => {
    assert.equal(isTableFormat('table {{.ID}}'), true);
    assert.equal(isTableFormat('tablefoo'), true);
    assert.equal(isTableFormat(' table'), false);
    assert.equal(isTableFormat('json'), false);
  });
  // [format, template text] (formatter.Context.preFormat)
  const texts: readonly [string, string][] = [
    ['table {{.ID}}\\t{{.Names}}', '{{.ID}}\t{{.Names}}'],
    ['json', '{{json .}}'],
    ['  {{.ID}}\\n  ', '{{.ID}}\n'],
    ['\t{{.ID}} ', '\t{{.ID}}'],
    ['{{join .Names "\\n"}}', '{{join .Names "\n"}}'],
    ['table', ''],
    ['{{.A}}\\\\t', '{{.A}}\\\t'],
  ];
  for (const [format, text] of texts) {
    it(`templateText(${JSON.stringify(format)})`, () => assert.equal(templateText(format), text));
  }
});

describe('formatList', () => {
  const items = [
    { ID: 'aaa', Names: 'web', Label: (k: string) => (k === 'tier' ? 'front' : '') },
    { ID: 'bbbbbbbbbbbbbb', Names: 'db', Label: (_k: string) => '' },
  ];
  const header = { ID: 'CONTAINER ID', Names: 'NAMES' };
  it('renderList chooses the format and renders in one call', () => {
    const options = { header, defaultFormat: 'table {{.ID}}\t{{.Names}}', rawFormat: 'id: {{.ID}}' };
    assert.equal(renderList(items, { ...options, format: '' }), 'CONTAINER ID     NAMES\naaa              web\nbbbbbbbbbbbbbb   db\n');
    assert.equal(renderList(items, { ...options, format: 'raw' }), 'id: aaa\nid: bbbbbbbbbbbbbb\n');
    assert.equal(renderList(items, { ...options, format: '{{.Names}}' }), 'web\ndb\n');
  });
  it('renders a custom template per item, each followed by a newline', () => {
    assert.equal(formatList(items, '{{.ID}}: {{.Names}}', { header }), 'aaa: web\nbbbbbbbbbbbbbb: db\n');
  });
  it('prints nothing for no items, but a table still has its header', () => {
    assert.equal(formatList([], '{{.ID}}', { header }), '');
    assert.equal(formatList([], 'table {{.ID}}\t{{.Names}}', { header }), 'CONTAINER ID   NAMES\n');
  });
  it('renders a header row from the header map and aligns the table', () => {
    assert.equal(
      formatList(items, 'table {{.ID}}\\t{{.Names}}', { header }),
      'CONTAINER ID     NAMES\naaa              web\nbbbbbbbbbbbbbb   db\n',
    );
  });
  it('"json" renders each item as one line of JSON, keys sorted, methods with arguments left out', () => {
    assert.equal(formatList(items, 'json', { header }), '{"ID":"aaa","Names":"web"}\n{"ID":"bbbbbbbbbbbbbb","Names":"db"}\n');
  });
  it('heads a {{.Label "..."}} column with the last part of the label, - and _ as spaces', () => {
    assert.equal(formatList(items, 'table {{.ID}}\\t{{.Label "com.example.app_tier-name"}}', { header }), 'CONTAINER ID     app tier name\naaa              \nbbbbbbbbbbbbbb   \n');
  });
  it('fails as a whole when one item fails, with docker\'s wording', () => {
    const e = formatError(() => formatList([{ ID: 'a' }, markStruct({ ID: 'b' }, '*formatter.ContainerContext')], '{{.ID}}{{.Size}}'));
    assert.equal(e.message, 'template parsing error: template: :1:9: executing "" at <.Size>: can\'t evaluate field Size in type *formatter.ContainerContext');
    assert.equal(e.exitCode, 1);
    assert.equal(e.cause?.phase, 'exec');
  });
  it('reports parse errors with docker\'s wording', () => {
    const e = formatError(() => formatList(items, 'table {{.ID'));
    assert.equal(e.message, 'template parsing error: template: :1: unclosed action');
    assert.equal(e.cause?.phase, 'parse');
  });
});

describe('table headers', () => {
  it('resolves each field to its header text; unknown fields print <no value>', () => {
    const t = Template.parse('{{.ID}}|{{.Nope}}|{{index . "Nope"}}|{{pad .ID 1 1}}|{{upper .ID}}|{{json .ID}}|{{truncate .ID 2}}');
    assert.equal(renderHeader(t, { ID: 'IMAGE ID' }), 'IMAGE ID|<no value>|| IMAGE ID |IMAGE ID|IMAGE ID|IMAGE ID');
  });
  it('keeps what rendered before an error, as docker ignores header errors', () => {
    const t = Template.parse('{{.ID}}\t{{split .ID ","}}\t{{.ID.Deeper}}\tafter');
    assert.equal(renderHeader(t, { ID: 'ID' }), 'ID\tID\t');
  });
  it('is a map[string]string with a Label method', () => {
    const ctx = headerContext({ B: 'b', A: 'a' });
    assert.equal(Template.parse('{{.}} {{len .}} {{.Label "x.y-z"}}').execute(ctx), 'map[A:a B:b] 2 y z');
  });
});

describe('formatInspect', () => {
  const indented = readFixture('inspect-indented');
  const compact = readFixture('inspect-compact');
  const elements = JSON.parse(compact) as Record<string, unknown>[];
  const withRaw = elements.map((value) => ({ value: markStruct(value, 'context.contextWithTLSListing'), rawJSON: JSON.stringify(value) }));

  it('"" prints the raw JSON as an indented array (json.Indent, 4 spaces), as docker context inspect does', () => {
    assert.equal(formatInspect(withRaw.map((e) => ({ value: e.value, rawJSON: compactElement(e.rawJSON) })), '').output, indented);
  });
  it('"json" prints it compact', () => {
    assert.equal(formatInspect(withRaw.map((e) => ({ value: e.value, rawJSON: compactElement(e.rawJSON) })), 'json').output, compact);
  });
  it('prints [] for no objects', () => assert.equal(formatInspect([], '').output, '[]\n'));
  it('marshals objects without raw JSON as json.MarshalIndent does (field order kept, HTML escaped)', () => {
    const el = { value: markStruct({ Name: '<x>', Ports: [80], Labels: {} }) };
    assert.equal(formatInspect([el], '').output, '[\n    {\n        "Name": "\\u003cx\\u003e",\n        "Ports": [\n            80\n        ],\n        "Labels": {}\n    }\n]\n');
    assert.equal(formatInspect([el], 'json').output, '[{"Name":"\\u003cx\\u003e","Ports":[80],"Labels":{}}]\n');
  });
  it('renders a template per object', () => {
    assert.deepEqual(formatInspect(withRaw, '{{.Name}} {{json .Endpoints}}'), {
      output: 'default {"docker":{"Host":"unix:///var/run/docker.sock","SkipTLSVerify":false}}\na1 {"docker":{"Host":"unix:///tmp/a1.sock","SkipTLSVerify":false}}\n',
      errors: [],
    });
  });
  it('without raw JSON, reports each failing object and prints an empty line when none rendered', () => {
    const typed = withRaw.map((e) => ({ value: e.value }));
    assert.deepEqual(formatInspect(typed, '{{.Name}} {{.Nope}}'), {
      output: '\n',
      errors: [
        'template parsing error: template: :1:12: executing "" at <.Nope>: can\'t evaluate field Nope in type context.contextWithTLSListing',
        'template parsing error: template: :1:12: executing "" at <.Nope>: can\'t evaluate field Nope in type context.contextWithTLSListing',
      ],
    });
  });
  it('retries a failing object with its raw JSON as plain maps and missingkey=error', () => {
    const result = formatInspect(withRaw, '{{.Name}} {{.Nope}}');
    assert.deepEqual(result.errors, [
      'template parsing error: template: :1:12: executing "" at <.Nope>: map has no entry for key "Nope"',
      'template parsing error: template: :1:12: executing "" at <.Nope>: map has no entry for key "Nope"',
    ]);
    // fields the typed object lacks but the raw JSON has render from the raw JSON
    const partial = [{ value: markStruct({ Name: 'x' }, 'T'), rawJSON: '{"Name":"x","Extra":{"b":2,"a":1}}' }];
    assert.deepEqual(formatInspect(partial, '{{.Extra}}'), { output: 'map[a:1 b:2]\n', errors: [] });
  });
  it('throws a parse error with exit status 64', () => {
    const e = formatError(() => formatInspect(withRaw, '{{.Name'));
    assert.equal(e.message, 'template parsing error: template: :1: unclosed action');
    assert.equal(e.exitCode, 64);
  });
  it('does not turn literal \\t and \\n into tab and newline (unlike listings)', () => {
    assert.equal(formatInspect(withRaw.slice(0, 1), '{{.Name}}\\t').output, 'default\\t\n');
  });
});

describe('JSON text', () => {
  // [input, json.Indent(input, "", "  ")]
  const cases: readonly [string, string][] = [
    ['{}', '{}'],
    ['[]', '[]'],
    ['{"a":[],"b":{}}', '{\n  "a": [],\n  "b": {}\n}'],
    [' { "a" : [ 1 , "x\\"y" ] } ', '{\n  "a": [\n    1,\n    "x\\"y"\n  ]\n}'],
    ['"s{,}"', '"s{,}"'],
  ];
  for (const [input, output] of cases) {
    it(`indentJSON(${JSON.stringify(input)})`, () => assert.equal(indentJSON(input, '', '  '), output));
  }
  it('compactJSON drops insignificant whitespace only', () => assert.equal(compactJSON(' { "a b" : [ 1 ,\n 2 ] } '), '{"a b":[1,2]}'));
});
