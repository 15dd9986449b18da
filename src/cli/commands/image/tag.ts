// berth image tag / berth tag: POST /images/{source}/tag?repo=&tag= with the
// target parsed as docker's client parses it.
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { pathEscape } from '../../shared-options.js';
import { parseAnyReference, parseNormalizedNamed, tagNameOnly } from '../../../image/reference.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const imageTagCommand = defineCommand({
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: {},
  args: exactArgs(2),
  async run(ctx) {
    const [source, target] = ctx.args as [string, string];
    try {
      parseAnyReference(source);
    } catch (err) {
      throw new StatusError(`Error parsing reference: ${JSON.stringify(source)} is not a valid repository/tag: ${message(err)}`, 1);
    }
    let ref;
    try {
      ref = parseNormalizedNamed(target);
    } catch (err) {
      throw new StatusError(`Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${message(err)}`, 1);
    }
    if (ref.digest !== undefined) throw new StatusError('refusing to create a tag with a digest reference', 1);
    ref = tagNameOnly(ref);
    await withDaemon(() => apiClient(ctx).call('POST', `/images/${pathEscape(source)}/tag`, { query: { repo: ref.name, tag: ref.tag } }));
    return 0;
  },
});
