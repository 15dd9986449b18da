// berth context ls: the contexts docker's CLI would list from the same files,
// with berth's default context; `*` marks the one in use.
import { defineCommand, noArgs } from '../../command.js';
import { formatFlag, listing, markEscapedJSON, naturalCompare } from '../../shared-options.js';
import { contextExists, currentContextName, getMetadata, listContexts } from './store.js';

const TABLE = 'table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}';
const HEADER = { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR' };

interface ClientContext {
  Name: string;
  Current: boolean;
  Description: string;
  DockerEndpoint: string;
  Error: string;
}

/** docker's clientContextContext. */
class ContextRow {
  readonly #c: ClientContext;
  constructor(c: ClientContext) {
    this.#c = c;
    markEscapedJSON(this);
  }
  Current(): boolean {
    return this.#c.Current;
  }
  Name(): string {
    return this.#c.Name;
  }
  Description(): string {
    return this.#c.Description;
  }
  DockerEndpoint(): string {
    return this.#c.DockerEndpoint;
  }
  Error(): string {
    return this.#c.Error;
  }
  MarshalJSON(): ClientContext {
    return { ...this.#c };
  }
}
Object.defineProperty(ContextRow, 'name', { value: '*formatter.clientContextContext' });

export const contextLsCommand = defineCommand({
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List contexts',
  flags: {
    format: formatFlag(),
    quiet: { type: 'bool', short: 'q', usage: 'Only show context names' },
  },
  args: noArgs,
  async run(ctx) {
    const current = currentContextName(ctx.global);
    const contexts: ClientContext[] = listContexts(ctx.global).map((meta) => ({
      Name: meta.Name,
      Current: meta.Name === current,
      Description: typeof meta.Metadata?.Description === 'string' ? meta.Metadata.Description : '',
      DockerEndpoint: meta.Endpoints?.docker?.Host ?? '',
      Error: '',
    }));
    if (!contexts.some((c) => c.Current)) {
      let error = '';
      if (!contextExists(ctx.global, current)) {
        try {
          getMetadata(ctx.global, current);
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
      }
      contexts.push({ Name: current, Current: true, Description: '', DockerEndpoint: '', Error: error });
    }
    contexts.sort((a, b) => naturalCompare(a.Name, b.Name));
    if (ctx.flags.quiet) {
      for (const c of contexts) ctx.stdout.write(`${c.Name}\n`);
      return 0;
    }
    const format = ctx.flags.format === '' || ctx.flags.format === 'table' ? TABLE : ctx.flags.format;
    ctx.stdout.write(listing(contexts.map((c) => new ContextRow(c)), format, HEADER));
    if (process.env.DOCKER_HOST) {
      ctx.stderr.write(
        'Warning: DOCKER_HOST environment variable overrides the active context. To use a context, either set the global --context flag, or unset DOCKER_HOST environment variable.\n',
      );
    }
    return 0;
  },
});
