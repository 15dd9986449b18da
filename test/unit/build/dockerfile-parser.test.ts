// The Dockerfile line layer: directives, comments, continuations,
// heredocs, JSON vs shell form, line numbers and the errors raised while
// splitting. Expectations come from the Dockerfile reference
// (docs.docker.com/reference/dockerfile: "Parser directives", "Escape",
// "Here-Documents", "Shell and exec form") and BuildKit's
// frontend/dockerfile/parser (parser.go, parser_test.go,
// parser_heredoc_test.go, directives_test.go, testfiles/*).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DockerfileParseError,
  formatWarnings,
  heredocData,
  parseAst,
  parseDockerfile,
  parseWords,
  type CopyInstruction,
  type RunInstruction,
} from '../../../src/build/dockerfile/index.js';

const nodes = (text: string) => parseAst(text).nodes;

test('parser directives: syntax, escape, check, any case, only at the top', () => {
  const df = parseDockerfile('# SYNTAX = docker/dockerfile:1.7\n#Escape=`\n# check=skip=JSONArgsRecommended;error=true\nFROM x\n');
  assert.deepEqual(df.directives, [
    { name: 'syntax', value: 'docker/dockerfile:1.7', line: 1 },
    { name: 'escape', value: '`', line: 2 },
    { name: 'check', value: 'skip=JSONArgsRecommended;error=true', line: 3 },
  ]);
  assert.equal(df.escapeToken, '`');
  assert.equal(df.syntax, 'docker/dockerfile:1.7');

  // After an instruction, a comment, an empty line or an unknown directive: only a comment.
  for (const text of [
    'FROM x\n# escape=`\nRUN a \\\n b\n',
    '# a comment\n# escape=`\nFROM x\nRUN a \\\n b\n',
    '\n# escape=`\nFROM x\nRUN a \\\n b\n',
    '# unknowndirective=1\n# escape=`\nFROM x\nRUN a \\\n b\n',
  ]) {
    const df2 = parseDockerfile(text);
    assert.equal(df2.escapeToken, '\\', text);
    const run = df2.stages[0]!.commands[0] as RunInstruction;
    assert.equal(run.original, 'RUN a  b', text);
  }
  // A BOM before the directive is ignored; leading blanks on the line too.
  assert.equal(parseDockerfile('\ufeff  # escape=`\nFROM x\n').escapeToken, '`');
});

test('directive errors (BuildKit directives.go)', () => {
  assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM x'), {
    message: 'only one escape parser directive can be used',
    line: 2,
  });
  assert.throws(() => parseDockerfile('# syntax=a\n# SYNTAX=b\nFROM x'), { message: 'only one syntax parser directive can be used' });
  assert.throws(() => parseDockerfile('# escape=x\nFROM x'), { message: "invalid escape token 'x' does not match ` or \\" });
});

test('the escape directive: backtick continues lines and backslash is literal', () => {
  const df = parseDockerfile('# escape=`\nFROM mcr.microsoft.com/windows/servercore\nCOPY testfile.txt c:\\\nRUN dir c:\\ `\n  /s\n');
  const [copy, run] = df.stages[0]!.commands as [CopyInstruction, RunInstruction];
  assert.equal(copy.dest, 'c:\\');
  assert.equal(run.original, 'RUN dir c:\\   /s');
  // Without the directive, `c:\` at the end of a line continues it (the reference's example).
  const plain = nodes('FROM x\nCOPY testfile.txt c:\\\nRUN dir c:\\\n');
  assert.equal(plain.length, 2);
  assert.equal(plain[1]!.original, 'COPY testfile.txt c:RUN dir c:');
});

test('comments: only as the first non-blank character', () => {
  const [from, run, env] = nodes('  # comment\nFROM x # not a comment\n  RUN echo "#hash" # still the command\nENV a=#b\n');
  assert.deepEqual(from!.args, ['x', '#', 'not', 'a', 'comment']);
  assert.equal(run!.original, 'RUN echo "#hash" # still the command');
  assert.deepEqual(env!.pairs, [{ key: 'a', value: '#b', noDelim: false }]);
  // BuildKit drops only the first character of the raw line, so an indented
  // comment keeps its '#' (these texts only feed ARG/stage descriptions).
  assert.deepEqual(from!.comments, ['# comment']);
  assert.deepEqual(nodes('# doc\nFROM x')[0]!.comments, ['doc']);
});

test('line continuations: joining, blanks kept on continuation lines, comments skipped', () => {
  const text = [
    'FROM x',
    'RUN apt-get update && \\',
    '    apt-get install -y \\',
    '# a comment inside',
    '      # an indented comment',
    '    curl',
    'RUN echo \\\\',
    'RUN a \\ ',
    'b',
    '',
  ].join('\n');
  const [, run1, run2, run3] = nodes(text);
  assert.equal(run1!.original, 'RUN apt-get update &&     apt-get install -y     curl');
  assert.deepEqual([run1!.startLine, run1!.endLine], [2, 6]);
  // An escaped escape token at the end does not continue the line.
  assert.equal(run2!.original, 'RUN echo \\\\');
  assert.deepEqual([run2!.startLine, run2!.endLine], [7, 7]);
  // Blanks after the escape token are allowed.
  assert.equal(run3!.original, 'RUN a b');
  // A continuation at the end of the file just ends the instruction.
  assert.equal(nodes('FROM x\nRUN a \\')[1]!.original, 'RUN a ');
});

test('empty continuation lines: skipped with BuildKit\'s NoEmptyContinuation warning', () => {
  // parser_test.go TestParseWarnsOnEmptyContinutationLine
  const text = '\nFROM alpine:3.6\n\nRUN something \\\n\n    following \\\n\n    more\n\nRUN another \\\n\n    thing\nRUN non-indented \\\n# this is a comment\n   after-comment\n\nRUN indented \\\n    # this is an indented comment\n    comment\n\t';
  const result = parseAst(text);
  assert.equal(result.warnings.length, 2);
  assert.equal(result.warnings[0]!.short, 'Empty continuation line found in: RUN something     following     more');
  assert.equal(result.warnings[0]!.line, 8);
  assert.equal(result.warnings[1]!.short, 'Empty continuation line found in: RUN another     thing');
  assert.equal(result.warnings[0]!.rule, 'NoEmptyContinuation');
  assert.equal(result.nodes[3]!.original, 'RUN non-indented    after-comment');
  assert.equal(
    formatWarnings(result.warnings),
    '[WARNING]: Empty continuation line found in: RUN something     following     more\n' +
      '[WARNING]: Empty continuation line found in: RUN another     thing\n' +
      '[WARNING]: Empty continuation lines will become errors in a future release.\n',
  );
  assert.equal(formatWarnings([]), '');
});

test('line numbers (parser_test.go TestParseIncludesLineNumbers shape)', () => {
  const text = '# ESCAPE=\\\n\n\n\nFROM brimstone/ubuntu:14.04\n\n\n# TORUN -v /var/run/docker.sock:/var/run/docker.sock\n\n\nENV GOPATH \\\n/go\n\n\n\n# Install the packages we need, clean up after them and us\nRUN apt-get update \\\n\t&& dpkg -l | awk \'/^ii/ {print $2}\' > /tmp/dpkg.clean \\\n\n\n    && apt-get install -y --no-install-recommends git golang ca-certificates \\\n    && apt-get clean \\\n    && rm -rf /var/lib/apt/lists \\\n\n\t&& go get -v github.com/brimstone/consuldock \\\n    && mv $GOPATH/bin/consuldock /usr/local/bin/consuldock \\\n\n\t&& dpkg -l | awk \'/^ii/ {print $2}\' > /tmp/dpkg.dirty \\\n\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk \'/^>/ {print $2}\') \\\n\t&& rm /tmp/dpkg.* \\\n\t&& rm -rf $GOPATH\n';
  const result = nodes(text);
  assert.deepEqual(result.map((n) => [n.startLine, n.endLine]), [[5, 5], [11, 12], [17, 31]]);
});

test('CRLF line endings and a missing final newline', () => {
  const [from, run] = nodes('FROM x\r\nRUN a \\\r\n  b\r\nCMD c');
  assert.equal(from!.original, 'FROM x');
  assert.equal(run!.original, 'RUN a   b');
  assert.equal(nodes('FROM x\r\nCMD c')[1]!.original, 'CMD c');
});

test('JSON (exec) form vs shell form', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['CMD ["echo", "hi"]', ['echo', 'hi'], true],
    ['CMD [ "a" ,"b" ]  ', ['a', 'b'], true],
    ['CMD []', [], true],
    ["CMD ['single', 'quotes']", ["['single', 'quotes']"], false],
    ['CMD ["unterminated"', ['["unterminated"'], false],
    ['CMD ["a"] trailing', ['["a"] trailing'], false],
    ['CMD [a, b]', ['[a, b]'], false],
    ['ENTRYPOINT echo hi  there', ['echo hi  there'], false],
    ['RUN ["c:\\\\path\\\\x.exe"]', ['c:\\path\\x.exe'], true],
    ['COPY ["a b", "/c d/"]', ['a b', '/c d/'], true],
    ['COPY a  b   /c', ['a', 'b', '/c'], false],
    ['VOLUME ["/a", "/b"]', ['/a', '/b'], true],
    ['VOLUME /a /b', ['/a', '/b'], false],
    ['SHELL ["/bin/bash", "-c"]', ['/bin/bash', '-c'], true],
  ];
  for (const [line, args, json] of cases) {
    const [, node] = nodes('FROM x\n' + line);
    assert.deepEqual(node!.args, args, line);
    assert.equal(node!.json, json, line);
  }
  assert.throws(() => nodes('FROM x\nCMD ["a", 1]'), {
    message: 'when using JSON array syntax, arrays must be comprised of strings only',
    line: 2,
  });
});

test('parseWords keeps quotes and escapes (parser_test.go TestParseWords)', () => {
  const cases: Array<[string, string[]]> = [
    ['foo', ['foo']],
    ['foo bar', ['foo', 'bar']],
    ['foo\\ bar', ['foo\\ bar']],
    ['foo=bar', ['foo=bar']],
    ["foo bar 'abc xyz'", ['foo', 'bar', "'abc xyz'"]],
    ['foo bar "abc xyz"', ['foo', 'bar', '"abc xyz"']],
    ['àöû', ['àöû']],
    ['föo bàr "âbc xÿz"', ['föo', 'bàr', '"âbc xÿz"']],
    ['a="b c', ['a="b c']],
    ['trailing\\', ['trailing']],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseWords(input, '\\'), expected, input);
});

test('flags: leading --words, quotes removed, -- ends them', () => {
  const [, copy, run, other] = nodes(
    'FROM x\nCOPY --chown="a b" --from=stage --link src dst\nRUN --mount=type=cache,target=/root/.cache -- --not-a-flag\nCOPY src --not-a-flag dst\n',
  );
  assert.deepEqual(copy!.flags, ['--chown=a b', '--from=stage', '--link']);
  assert.deepEqual(copy!.args, ['src', 'dst']);
  assert.deepEqual(run!.flags, ['--mount=type=cache,target=/root/.cache']);
  assert.equal(run!.rest, '--not-a-flag');
  assert.deepEqual(other!.flags, []);
  assert.deepEqual(other!.args, ['src', '--not-a-flag', 'dst']);
});

test('heredocs: detection, bodies, chomp, quoting, several per line (parser_heredoc_test.go)', () => {
  const text = [
    'FROM busybox',
    'RUN <<EOF',
    'echo hello',
    'echo world',
    'EOF',
    'RUN <<-EOF',
    '\techo tabbed',
    '\tEOF',
    'RUN <<"EOF" <<\'E2\' <<E"3"',
    'quoted $A',
    'EOF',
    'single',
    'E2',
    'partly',
    'E3',
    'RUN cat <<EOF > /file',
    'content',
    'EOF',
    'RUN 3<<EOF cat /proc/self/fd/3',
    'x',
    'EOF',
    'COPY <<A /a <<B /b',
    'aaa',
    'A',
    'bbb',
    'B',
    'RUN ["echo", "<<EOF"]',
    'COPY <<EOF ./a /dest/',
    'EOF',
    '',
  ].join('\n');
  const df = parseDockerfile(text);
  const [r1, r2, r3, r4, r5, c1, json, c2] = df.stages[0]!.commands as [
    RunInstruction, RunInstruction, RunInstruction, RunInstruction, RunInstruction, CopyInstruction, RunInstruction, CopyInstruction,
  ];
  assert.deepEqual(r1.heredocs, [{ name: 'EOF', fileDescriptor: 0, expand: true, chomp: false, content: 'echo hello\necho world\n' }]);
  assert.deepEqual([r1.startLine, r1.endLine], [2, 5]);
  assert.deepEqual(r1.cmdLine, ['<<EOF']);
  assert.equal(r1.original, 'RUN <<EOF');
  assert.deepEqual(r2.heredocs, [{ name: 'EOF', fileDescriptor: 0, expand: true, chomp: true, content: '\techo tabbed\n' }]);
  assert.equal(heredocData(r2.heredocs[0]!), 'echo tabbed\n');
  assert.deepEqual(
    r3.heredocs.map((h) => [h.name, h.expand, h.content]),
    [['EOF', false, 'quoted $A\n'], ['E2', false, 'single\n'], ['E3', false, 'partly\n']],
  );
  assert.deepEqual(r4.heredocs.map((h) => [h.name, h.content]), [['EOF', 'content\n']]);
  assert.equal(r4.cmdLine[0], 'cat <<EOF > /file');
  assert.deepEqual(r5.heredocs.map((h) => [h.name, h.fileDescriptor]), [['EOF', 3]]);
  assert.deepEqual(c1.sourceContents, [
    { path: 'A', data: 'aaa\n', expand: true },
    { path: 'B', data: 'bbb\n', expand: true },
  ]);
  assert.equal(c1.dest, '/b');
  assert.deepEqual(c1.sources, ['/a']);
  // The JSON form never has heredocs: the next line is an instruction again.
  assert.deepEqual(json.heredocs, []);
  assert.deepEqual(c2.sources, ['./a']);
  assert.deepEqual(c2.sourceContents, [{ path: 'EOF', data: '', expand: true }]);
});

test('heredocs are only read for RUN, COPY and ADD (and ONBUILD of those)', () => {
  const df = parseDockerfile('FROM x\nCMD cat <<EOF\nENV a=b\nONBUILD RUN <<EOF\necho hi\nEOF\nONBUILD ADD <<EOF /x\ny\nEOF\n');
  const kinds = df.stages[0]!.commands.map((c) => c.kind);
  assert.deepEqual(kinds, ['CMD', 'ENV', 'ONBUILD', 'ONBUILD']);
  const onbuild = df.stages[0]!.commands[2]!;
  assert.equal(onbuild.kind === 'ONBUILD' && onbuild.expression, 'RUN <<EOF\necho hi\nEOF');
  assert.deepEqual([onbuild.startLine, onbuild.endLine], [4, 6]);
});

test('heredoc terminator: exact line, <<- strips tabs only, no trailing blanks allowed', () => {
  const [, run] = nodes('FROM x\nRUN <<EOF\n EOF\nEOF \n  \tEOF\nEOF\n');
  assert.equal(run!.heredocs[0]!.content, ' EOF\nEOF \n  \tEOF\n');
  const [, chomp] = nodes('FROM x\nRUN <<-EOF\n\t\tEOF\n');
  assert.equal(chomp!.heredocs[0]!.content, '');
  assert.throws(() => nodes('FROM x\nRUN <<EOF\nno end\n'), { message: 'unterminated heredoc', line: 2, endLine: 3 });
});

test('file with no instructions, and over-long lines', () => {
  for (const text of ['', '\n\n', '# only a comment\n', '# syntax=x\n\n# c\n']) {
    assert.throws(() => parseDockerfile(text), (err: unknown) => err instanceof DockerfileParseError && err.message === 'file with no instructions', JSON.stringify(text));
  }
  const long = 'FROM x\nLABEL a=' + 'b'.repeat(70000) + '\n';
  assert.throws(() => parseDockerfile(long), { message: 'dockerfile line greater than max allowed size of 65535' });
  // 65535 bytes plus the newline still fit in the scanner's buffer.
  const fits = 'FROM x\nLABEL a=' + 'b'.repeat(65535 - 8) + '\n';
  assert.equal(parseDockerfile(fits).stages.length, 1);
});

test('ENV/LABEL split errors are reported bare, with the lines', () => {
  assert.throws(() => parseDockerfile('FROM x\nENV foo\n'), { message: 'ENV must have two arguments', line: 2 });
  assert.throws(() => parseDockerfile('FROM x\nLABEL foo\n'), { message: 'LABEL must have two arguments' });
  assert.throws(() => parseDockerfile('FROM x\nENV a=b c\n'), {
    message: 'Syntax error - can\'t find = in "c". Must be of the form: name=value',
  });
  assert.throws(() => parseDockerfile('FROM x\nLABEL a=b \\\n  c d\n'), { line: 2, endLine: 3 });
});
