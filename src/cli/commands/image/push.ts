// berth image push / berth push: POST /images/{name}/push?tag= with the
// stored credentials and the daemon's progress drawn as docker draws it.
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { pathEscape } from '../../shared-options.js';
import { tagNameOnly } from '../../../image/reference.js';
import { apiTag, parseReference, showProgress } from './pull.js';
import { registryAuthFor } from './registry-auth.js';

export const imagePushCommand = defineCommand({
  name: 'push',
  usage: '[OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  flags: {
    'all-tags': { type: 'bool', short: 'a', usage: 'Push all tags of an image to the repository' },
    'disable-content-trust': { type: 'bool', default: true, usage: 'Skip image signing' },
    platform: {
      type: 'string',
      usage:
        "Push a platform-specific manifest as a single-platform image to the registry.\nImage index won't be pushed, meaning that other manifests, including attestations won't be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
    },
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
    const platform = ctx.flags.platform;
    const res = await withDaemon(() =>
      apiClient(ctx).stream('POST', `/images/${pathEscape(ref.name)}/push`, {
        query: { tag: all ? undefined : apiTag(ref), platform: platform ? JSON.stringify(platformSpec(platform)) : undefined },
        headers: { 'X-Registry-Auth': auth },
      }),
    );
    await showProgress(res.body, ctx.stdout, ctx.flags.quiet);
    if (ctx.flags.quiet) ctx.stdout.write(`${ref.toString()}\n`);
    return 0;
  },
});

/** The OCI platform object the push API takes (platforms.Parse of "os[/arch[/variant]]"). */
function platformSpec(text: string): { os: string; architecture?: string; variant?: string } {
  const [os = '', architecture, variant] = text.toLowerCase().split('/');
  const spec: { os: string; architecture?: string; variant?: string } = { os };
  if (architecture) spec.architecture = architecture;
  if (variant) spec.variant = variant;
  return spec;
}
