// berth image pull / berth pull: POST /images/create?fromImage=&tag= with the
// stored credentials, the daemon's progress drawn as docker draws it, then
// the full reference (docker/cli image/pull.go behaviour; content trust off).
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { displayJSONMessagesStream, JSONMessageError, stdoutDisplayOptions } from '../../progress.js';
import { parseNormalizedNamed, tagNameOnly, type NamedReference } from '../../../image/reference.js';
import { registryAuthFor } from './registry-auth.js';

/** docker's getAPITagFromNamedRef: the digest, else the tag (latest when none). */
export function apiTag(ref: NamedReference): string {
  if (ref.digest !== undefined) return ref.digest;
  return tagNameOnly(ref).tag ?? '';
}

/** Renders a JSON progress stream to stdout (or nowhere with `quiet`), turning stream errors into docker's exit. */
export async function showProgress(body: AsyncIterable<Buffer | string>, stdout: { write(s: string): unknown }, quiet: boolean): Promise<void> {
  const out = quiet ? { write: (): void => undefined } : stdout;
  try {
    await displayJSONMessagesStream(body, out, stdoutDisplayOptions());
  } catch (err) {
    if (err instanceof JSONMessageError) throw new StatusError(err.message, 1);
    throw err;
  }
}

export function parseReference(text: string): NamedReference {
  try {
    return parseNormalizedNamed(text);
  } catch (err) {
    throw new StatusError(err instanceof Error ? err.message : String(err), 1);
  }
}

export const imagePullCommand = defineCommand({
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  flags: {
    'all-tags': { type: 'bool', short: 'a', usage: 'Download all tagged images in the repository' },
    'disable-content-trust': { type: 'bool', default: true, usage: 'Skip image verification' },
    platform: { type: 'string', usage: 'Set platform if server is multi-platform capable' },
    quiet: { type: 'bool', short: 'q', usage: 'Suppress verbose output' },
  },
  args: exactArgs(1),
  async run(ctx) {
    let ref = parseReference(ctx.args[0]!);
    const all = ctx.flags['all-tags'];
    if (all && !ref.isNameOnly) throw new StatusError("tag can't be used with --all-tags/-a", 1);
    if (!all && ref.isNameOnly) {
      ref = tagNameOnly(ref);
      if (!ctx.flags.quiet) ctx.stdout.write(`Using default tag: ${ref.tag ?? ''}\n`);
    }
    const auth = await registryAuthFor(ctx.global, ctx.io.env, ref);
    const platform = ctx.flags.platform || (ctx.io.env.DOCKER_DEFAULT_PLATFORM ?? '');
    const res = await withDaemon(() =>
      apiClient(ctx).stream('POST', '/images/create', {
        query: { fromImage: ref.name, tag: all ? undefined : apiTag(ref), platform: platform ? platform.toLowerCase() : undefined },
        headers: { 'X-Registry-Auth': auth },
      }),
    );
    await showProgress(res.body, ctx.stdout, ctx.flags.quiet);
    ctx.stdout.write(`${ref.toString()}\n`);
    return 0;
  },
});
