// dockerfile-ast (Remy Suen's parser behind the VS Code Docker extension)
// as an independent oracle for what it does well: splitting a file into
// instructions with their line ranges, the escape directive, and heredoc
// detection. It does no expansion and no typing, so only those are compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Copy, DockerfileParser, Run } from 'dockerfile-ast';
import { parseAst } from '../../../src/build/dockerfile/index.js';

const corpus: Record<string, string> = {
  simple: 'FROM alpine:3.20\nRUN apk add --no-cache curl\nCMD ["curl", "--version"]\n',
  continuations: 'FROM debian\nRUN apt-get update && \\\n    apt-get install -y \\\n      git \\\n      curl\n\nENV A=1 \\\n    B=2\nLABEL x=y\n',
  commentsInside: 'FROM debian\nRUN set -eux; \\\n# explain\n    echo one; \\\n    # indented explanation\n    echo two\nCMD true\n',
  backtick: '# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN powershell -Command `\n    Write-Host hi\nCOPY a c:\\app\\\nWORKDIR c:\\app\n',
  directives: '# syntax=docker/dockerfile:1\n# check=skip=all\nARG V=1\nFROM busybox:$V AS base\nFROM base\n',
  heredocs: 'FROM busybox\nRUN <<EOF\necho a\necho b\nEOF\nCOPY <<EOF /etc/x.conf\nkey=value\nEOF\nRUN cat <<A > /a && cat <<B > /b\n1\nA\n2\nB\nCMD ["sh"]\n',
  heredocChomp: 'FROM busybox\nRUN <<-EOT\n\techo tabbed\n\tEOT\nRUN <<"EOF"\n$NOT_EXPANDED\nEOF\n',
  multiStage: 'FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app ./cmd/app\n\nFROM gcr.io/distroless/base\nCOPY --from=build /out/app /app\nENTRYPOINT ["/app"]\n',
  everyInstruction:
    'ARG BASE=alpine\nFROM $BASE\nMAINTAINER me\nLABEL a=b\nENV c=d\nARG e\nEXPOSE 80\nVOLUME /data\nUSER nobody\nWORKDIR /w\nADD a /b\nCOPY c /d\nRUN true\nSHELL ["/bin/sh", "-c"]\nHEALTHCHECK CMD true\nSTOPSIGNAL SIGTERM\nONBUILD RUN echo hi\nENTRYPOINT ["x"]\nCMD ["y"]\n',
  lowercase: 'from alpine\nrun echo hi\ncopy . /app\n',
  blankLines: '\n\n# leading comment\n\nFROM alpine\n\n\nRUN echo   spaced   \n\n',
};

test('instruction split and line ranges agree with dockerfile-ast', () => {
  for (const [name, text] of Object.entries(corpus)) {
    const ours = parseAst(text).nodes;
    const theirs = DockerfileParser.parse(text).getInstructions();
    assert.deepEqual(
      ours.map((n) => [n.keyword, n.startLine, n.endLine]),
      theirs.map((i) => [i.getInstruction(), i.getRange().start.line + 1, i.getRange().end.line + 1]),
      name,
    );
  }
});

test('escape token and directives agree with dockerfile-ast', () => {
  for (const [name, text] of Object.entries(corpus)) {
    const ours = parseAst(text);
    const theirs = DockerfileParser.parse(text);
    assert.equal(ours.escapeToken, theirs.getEscapeCharacter(), name);
    // dockerfile-ast names only syntax and escape directives (check has a null name there).
    const known = ours.directives.filter((d) => d.name !== 'check');
    assert.deepEqual(
      known.map((d) => [d.name, d.value, d.line]),
      theirs
        .getDirectives()
        .filter((d) => d.getDirective() !== null)
        .map((d) => [d.getDirective(), d.getValue(), d.getRange().start.line + 1]),
      name,
    );
  }
});

test('heredoc names and terminator lines agree with dockerfile-ast', () => {
  for (const [name, text] of Object.entries(corpus)) {
    const ours = parseAst(text).nodes;
    const theirs = DockerfileParser.parse(text).getInstructions();
    theirs.forEach((instr, i) => {
      if (!(instr instanceof Run || instr instanceof Copy)) return;
      const heredocs = instr.getHeredocs();
      assert.deepEqual(
        ours[i]!.heredocs.map((h) => h.name),
        heredocs.map((h) => h.getName()),
        `${name} #${i}`,
      );
      // The last heredoc ends where the instruction ends.
      const last = heredocs[heredocs.length - 1];
      if (last) assert.equal(ours[i]!.endLine, (last.getDelimiterRange()?.start.line ?? -2) + 1, `${name} #${i}`);
    });
  }
});
