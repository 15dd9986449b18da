// The text docker's legacy builder streams, and the commit messages it
// records in history (moby builder/dockerfile/dispatchers.go), as pure
// functions so tests can check them against dockerd's output.
import { goQuote } from '../dockerfile/go-compat.js';

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export const stepLine = (step: number, total: number, original: string): string => `Step ${step}/${total} : ${original}`;
export const imageLine = (id: string): string => ` ---> ${shortId(id)}\n`;
export const usingCacheLine = ' ---> Using cache\n';
export const runningInLine = (containerId: string): string => ` ---> Running in ${shortId(containerId)}\n`;
export const removingLine = (containerId: string): string => `Removing intermediate container ${shortId(containerId)}\n`;
export const successfullyBuilt = (id: string): string => `Successfully built ${shortId(id)}\n`;
export const successfullyTagged = (name: string): string => `Successfully tagged ${name}\n`;
export const triggersLine = (n: number): string => `# Executing ${n} build trigger${n === 1 ? '' : 's'}\n`;

/** docker's message for a RUN whose command failed. */
export function nonZeroMessage(cmd: readonly string[], code: number): string {
  return `The command '${cmd.join(' ')}' returned a non-zero code: ${code}`;
}

/** Go's `%q` of a []string: `["sh" "-c" "x"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/** Go's `%v` of a []string: `[/bin/sh -c]`. */
export function goList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

/**
 * The Cmd a metadata step records in container_config and history:
 * `[shell..., "#(nop) ", "ENV A=b"]`, shown by docker history as
 * `/bin/sh -c #(nop)  ENV A=b`.
 */
export function nopCmd(shell: readonly string[], comment: string): string[] {
  return [...shell, '#(nop) ', comment];
}

/** COPY/ADD and WORKDIR put the whole text in one element: `/bin/sh -c #(nop) COPY file:… in /x `. */
export function nopCmdOne(shell: readonly string[], text: string): string[] {
  return [...shell, `#(nop) ${text}`];
}

/**
 * A RUN's recorded command: with build args in scope, docker prefixes
 * `|<count>` and the `K=V` pairs (`|1 VER=1 /bin/sh -c echo`).
 */
export function runCmdWithArgs(args: readonly string[], cmd: readonly string[]): string[] {
  return args.length ? [`|${args.length}`, ...args, ...cmd] : [...cmd];
}
