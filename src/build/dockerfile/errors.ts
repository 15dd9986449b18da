// Dockerfile errors carry docker's exact wording plus the source lines, so
// the builder can print them and point at the instruction.
//
// Two shapes, as in BuildKit (the classic builder of docker 23+ vendors it):
//  - errors found while splitting the file into instructions (directives,
//    heredocs, ENV/LABEL syntax, JSON arrays) carry the bare reason:
//      "ENV must have two arguments"
//  - errors found while typing an instruction are prefixed with its line:
//      "dockerfile parse error on line 3: unknown instruction: FOO"
// Docker 20.10's classic builder printed "dockerfile parse error line 3: ..."
// (no "on") and upper-cased unknown instructions; see the tests for the table.

import { EngineError } from '../../common/errors.js';

export class DockerfileParseError extends EngineError {
  /** First source line (1-based) of the offending instruction or line. */
  readonly line: number;
  /** Last source line (1-based), equal to line for a single line. */
  readonly endLine: number;
  /** The message without the "dockerfile parse error on line N: " prefix. */
  readonly reason: string;

  constructor(message: string, reason: string, line: number, endLine: number) {
    super('invalid-parameter', message);
    this.name = 'DockerfileParseError';
    this.line = line;
    this.endLine = endLine;
    this.reason = reason;
  }
}

/** An error from the line splitter: docker prints the bare reason. */
export function lineError(reason: string, line: number, endLine = line): DockerfileParseError {
  return new DockerfileParseError(reason, reason, line, Math.max(line, endLine));
}

/** An error from typing an instruction: "dockerfile parse error on line N: reason". */
export function instructionError(reason: string, line: number, endLine = line): DockerfileParseError {
  return new DockerfileParseError(`dockerfile parse error on line ${line}: ${reason}`, reason, line, Math.max(line, endLine));
}

/** An error located at an instruction but printed bare (BuildKit's WithLocation). */
export function locatedError(reason: string, line: number, endLine = line): DockerfileParseError {
  return new DockerfileParseError(reason, reason, line, Math.max(line, endLine));
}

/** Thrown from within instruction parsing; the caller adds the location. */
export class InstructionReason extends Error {}
