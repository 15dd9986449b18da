// Dockerfile errors carry docker's exact wording plus the source lines, so
// the builder can print them and point at the instruction.
//
// Two shapes, as in BuildKit (the classic builder of docker 23+ vendors it):
//  - errors found while splitting the file into instructions (directives,
//    heredocs, ENV/LABEL syntax, JSON arrays) carry the bare reason:
//      "ENV must have two arguments"
//  - errors found while typing an instruction are prefixed with its line:
//      "dockerfile parse error on line 3: unknown instruction: FOO"
// The wording is that of current BuildKit, which docker 23+ (API 1.42+)
// vendors for its classic builder too. Docker 20.10's classic builder
// (BuildKit v0.8 vendored) differed, for the record:
//   "dockerfile parse error line 3: unknown instruction: FOO" (no "on",
//     keyword upper-cased, no "did you mean"; 19.03 and older: "Dockerfile
//     parse error line 3: ...")
//   "Unknown flag: foo", "Duplicate flag specified: foo", "Missing a value on
//     flag: foo", "Expecting boolean value for flag foo, not: x"
//   "... Destination could not be determined." (trailing period)
//   "ARG requires exactly one argument" (one name per ARG)
//   "--retries must be at least 1 (not 0)", and --interval=0s refused
//   "[WARNING]: Empty continuation line found in:\n    RUN ..."

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
