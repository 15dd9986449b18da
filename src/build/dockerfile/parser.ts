// The Dockerfile language entry point: text in, typed instructions grouped
// into build stages out. ARGs before the first FROM are the global (meta)
// args; every FROM starts a stage; stage names are case-insensitive.

import { type AstResult, type ParseWarning, type ParserDirective, parseAst } from './ast.js';
import { InstructionReason, instructionError, locatedError } from './errors.js';
import { type ArgInstruction, type Command, type FromInstruction, type Instruction, parseInstruction } from './instructions.js';

export interface Stage {
  /** Position among the stages, from 0 (`COPY --from=0`). */
  index: number;
  /** `AS name`, lower-cased; '' when unnamed. */
  name: string;
  /** The image or earlier stage this stage starts from, as written. */
  baseName: string;
  /** `FROM --platform=`, as written; '' when absent. */
  platform: string;
  from: FromInstruction;
  commands: Command[];
}

export interface Dockerfile {
  /** `\` or `` ` `` (the escape directive). */
  escapeToken: string;
  directives: ParserDirective[];
  /** The `# syntax=` value, if given. */
  syntax?: string;
  /** ARG instructions before the first FROM. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  /** Every instruction in source order. */
  instructions: Instruction[];
  warnings: ParseWarning[];
}

/** Docker's message for a Dockerfile with ARGs but no FROM (BuildKit). */
export const noStagesMessage = 'dockerfile contains no stages to build';
/**
 * The classic builder's refusal of BuildKit-only options (moby
 * dispatchers.go): RUN with any flag (the first of RunInstruction.flagsUsed)
 * and ADD/COPY --chmod. Printed after the step line.
 */
export function requiresBuildKitMessage(option: string): string {
  return `the --${option} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`;
}

/** The classic builder's message when nothing was built (e.g. only ARGs). */
export const noImageMessage = 'No image was generated. Is your Dockerfile empty?';

/**
 * Parses a Dockerfile. Throws DockerfileParseError (an EngineError of kind
 * invalid-parameter) with docker's wording and the offending lines.
 */
export function parseDockerfile(text: string | Uint8Array): Dockerfile {
  const source = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  const ast: AstResult = parseAst(source);
  const instructions: Instruction[] = [];
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const node of ast.nodes) {
    let instr: Instruction;
    try {
      instr = parseInstruction(node);
    } catch (err) {
      if (err instanceof InstructionReason) throw instructionError(err.message, node.startLine, node.endLine);
      throw err;
    }
    instructions.push(instr);
    if (instr.kind === 'FROM') {
      stages.push({
        index: stages.length,
        name: instr.stageName,
        baseName: instr.image,
        platform: instr.platform,
        from: instr,
        commands: [],
      });
      continue;
    }
    const current = stages[stages.length - 1];
    if (!current) {
      if (instr.kind === 'ARG') {
        metaArgs.push(instr);
        continue;
      }
      throw locatedError('no build stage in current context', node.startLine, node.endLine);
    }
    current.commands.push(instr);
  }
  const syntax = ast.directives.find((d) => d.name === 'syntax')?.value;
  return {
    escapeToken: ast.escapeToken,
    directives: ast.directives,
    ...(syntax !== undefined ? { syntax } : {}),
    metaArgs,
    stages,
    instructions,
    warnings: ast.warnings,
  };
}

/**
 * Finds a stage the way docker resolves `FROM <stage>` and `COPY --from=`:
 * by name (case-insensitive) first, then by decimal index. With before,
 * only stages preceding that index count (a stage can only use earlier ones).
 */
export function findStage(dockerfile: Pick<Dockerfile, 'stages'>, ref: string, before?: number): Stage | undefined {
  const limit = before ?? dockerfile.stages.length;
  const candidates = dockerfile.stages.slice(0, limit);
  const lower = ref.toLowerCase();
  const byName = candidates.find((s) => s.name !== '' && s.name === lower);
  if (byName) return byName;
  if (/^[+-]?[0-9]+$/.test(ref)) {
    const index = Number(ref);
    if (index >= 0 && index < candidates.length) return candidates[index];
  }
  return undefined;
}

/** The number of steps the classic builder announces: global ARGs + every FROM + every command. */
export function stepCount(dockerfile: Pick<Dockerfile, 'metaArgs' | 'stages'>): number {
  return dockerfile.metaArgs.length + dockerfile.stages.reduce((n, s) => n + 1 + s.commands.length, 0);
}

/** The classic builder's step line: `Step 3/8 : COPY . /app`. */
export function formatStep(step: number, total: number, instruction: Pick<Instruction, 'original'>): string {
  return `Step ${step}/${total} : ${instruction.original}`;
}

/** The classic builder's warning lines for parse warnings (printed on stderr before the steps). */
export function formatWarnings(warnings: readonly ParseWarning[]): string {
  if (warnings.length === 0) return '';
  let out = '';
  for (const w of warnings) out += `[WARNING]: ${w.short}\n`;
  return out + '[WARNING]: Empty continuation lines will become errors in a future release.\n';
}
