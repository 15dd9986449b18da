// berth search: GET /images/search?term= with the stored credentials for the
// term's registry; results as docker's search table.
import { defineCommand, exactArgs } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { ellipsis, filterFlag, filtersJSON, listing, markEscapedJSON, parseFilters } from '../../shared-options.js';
import { splitDockerDomain } from '../../../image/reference.js';
import { registryAuthForDomain } from './registry-auth.js';

interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated?: boolean;
}

const SEARCH_TABLE = 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';
const SEARCH_HEADER = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL' };

class SearchRow {
  readonly #result: SearchResult;
  readonly #trunc: boolean;
  constructor(result: SearchResult, trunc: boolean) {
    this.#result = result;
    this.#trunc = trunc;
    markEscapedJSON(this);
  }
  Name(): string {
    return this.#result.name;
  }
  Description(): string {
    const desc = this.#result.description.replaceAll('\n', ' ').replaceAll('\r', ' ');
    return this.#trunc ? ellipsis(desc, 45) : desc;
  }
  StarCount(): string {
    return String(this.#result.star_count);
  }
  IsOfficial(): string {
    return this.#result.is_official ? '[OK]' : '';
  }
  /** formatter.MarshalJSON: IsOfficial is "true"/"false" in JSON. */
  MarshalJSON(): Record<string, string> {
    return { Description: this.Description(), IsOfficial: String(this.#result.is_official), Name: this.Name(), StarCount: this.StarCount() };
  }
}
Object.defineProperty(SearchRow, 'name', { value: '*registry.searchContext' });

export const searchCommand = defineCommand({
  name: 'search',
  usage: '[OPTIONS] TERM',
  description: 'Search Docker Hub for images',
  flags: {
    filter: filterFlag('Filter output based on conditions provided'),
    format: { type: 'string', usage: 'Pretty-print search using a Go template' },
    limit: { type: 'int', usage: 'Max number of search results' },
    'no-trunc': { type: 'bool', usage: "Don't truncate output" },
  },
  args: exactArgs(1),
  async run(ctx) {
    const term = ctx.args[0]!;
    // the index a search term names: "localhost:5000/foo" searches localhost:5000
    const slash = term.indexOf('/');
    const domain = slash >= 0 ? splitDockerDomain(term).domain : 'docker.io';
    const auth = await registryAuthForDomain(ctx.global, ctx.io.env, domain);
    const results = await withDaemon(() =>
      apiClient(ctx).json<SearchResult[]>('GET', '/images/search', {
        query: { term, limit: ctx.flags.limit > 0 ? String(ctx.flags.limit) : undefined, filters: filtersJSON(parseFilters(ctx.flags.filter)) },
        headers: { 'X-Registry-Auth': auth },
      }),
    );
    const format = ctx.flags.format === '' || ctx.flags.format === 'table' ? SEARCH_TABLE : ctx.flags.format;
    ctx.stdout.write(listing((results ?? []).map((r) => new SearchRow(r, !ctx.flags['no-trunc'])), format, SEARCH_HEADER));
    return 0;
  },
});
