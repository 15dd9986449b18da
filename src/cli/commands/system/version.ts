// berth version: docker's client and server sections (docker/cli
// cli/command/system/version.go behaviour, docker 28): the server part comes
// from GET /version with its Components; --format runs against Go's field
// names (`{{.Server.APIVersion}}`); when the daemon is unreachable the client
// part is printed, then the error, exit 1.
import { defineCommand, noArgs, StatusError } from '../../command.js';
import { ApiError, CLIENT_API_VERSION, ConnectionError } from '../../client/api-client.js';
import { DOCKER_FUNCTIONS, JSON_FORMAT, JSON_FORMAT_KEY, NilPointer, TabWriter, Template, TemplateError } from '../../format/index.js';
import { goStructOf, goValue, stringMap, type StructSchema } from '../../gotypes.js';
import { apiClient, daemonError, endpointFor } from '../../session.js';
import { inspectFormatFlag } from '../../shared-options.js';
import { clientVersionFields, CLIENT_VERSION_SCHEMA, reformatDate } from './client-info.js';

const DEFAULT_VERSION_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:\t{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

const PLATFORM_SCHEMA: StructSchema = { name: 'struct { Name string }', fields: [{ go: 'Name', type: 'string' }] };

const COMPONENT_SCHEMA: StructSchema = {
  name: 'types.ComponentVersion',
  fields: [
    { go: 'Name', type: 'string' },
    { go: 'Version', type: 'string' },
    { go: 'Details', type: stringMap, omitempty: true },
  ],
};

/** docker's types.Version (api/types/types.go). */
export const SERVER_VERSION_SCHEMA: StructSchema = {
  name: '*types.Version',
  fields: [
    { go: 'Platform', type: { struct: PLATFORM_SCHEMA }, omitempty: true },
    { go: 'Components', type: { slice: { struct: COMPONENT_SCHEMA } }, omitempty: true },
    { go: 'Version', type: 'string' },
    { go: 'APIVersion', json: 'ApiVersion', type: 'string' },
    { go: 'MinAPIVersion', type: 'string', omitempty: true },
    { go: 'GitCommit', type: 'string' },
    { go: 'GoVersion', type: 'string' },
    { go: 'Os', type: 'string' },
    { go: 'Arch', type: 'string' },
    { go: 'KernelVersion', type: 'string', omitempty: true },
    { go: 'Experimental', type: 'bool', omitempty: true },
    { go: 'BuildTime', type: 'string', omitempty: true },
  ],
};

const VERSION_INFO_SCHEMA: StructSchema = {
  name: 'system.versionInfo',
  fields: [
    { go: 'Client', type: { struct: CLIENT_VERSION_SCHEMA } },
    { go: 'Server', type: { struct: SERVER_VERSION_SCHEMA, pointer: true } },
  ],
};

function getDetailsOrder(component: unknown): string[] {
  const details = (component as { Details?: Record<string, unknown> }).Details ?? {};
  return Object.keys(details).sort();
}

export const versionCommand = defineCommand({
  name: 'version',
  usage: '[OPTIONS]',
  description: 'Show the Docker version information',
  flags: { format: inspectFormatFlag },
  args: noArgs,
  async run(ctx) {
    let text = ctx.flags.format;
    if (text === '') text = DEFAULT_VERSION_TEMPLATE;
    else if (text === JSON_FORMAT_KEY) text = JSON_FORMAT;
    let tmpl: Template;
    try {
      tmpl = Template.parse(text, {
        name: 'version',
        funcs: { ...DOCKER_FUNCTIONS, getDetailsOrder: { params: ['any'], call: (args: unknown[]) => getDetailsOrder(args[0]) } },
      });
    } catch (err) {
      if (err instanceof TemplateError) throw new StatusError(`template parsing error: ${err.message}`, 64);
      throw err;
    }

    const endpoint = endpointFor(ctx.global);
    const client = apiClient(ctx);
    let serverError: unknown;
    let server: unknown = new NilPointer('*types.Version');
    try {
      const raw = await client.json<Record<string, unknown>>('GET', '/version');
      server = serverVersion(raw ?? {});
    } catch (err) {
      if (!(err instanceof ApiError) && !(err instanceof ConnectionError)) throw err;
      serverError = err;
    }
    const clientFields = await clientVersionFields(endpoint.contextName);
    const data = goStructOf(VERSION_INFO_SCHEMA, {
      Client: goStructOf(CLIENT_VERSION_SCHEMA, {
        ...clientFields,
        APIVersion: serverError instanceof ConnectionError ? CLIENT_API_VERSION : client.apiVersion,
      }),
      Server: server,
    });

    // tabwriter.NewWriter(out, 20, 1, 1, ' ', 0); a newline is always added.
    const tw = new TabWriter({ minwidth: 20, tabwidth: 1, padding: 1, padchar: ' ' });
    let execError: TemplateError | undefined;
    try {
      tw.write(tmpl.execute(data));
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      execError = err;
      tw.write(err.partialOutput);
    }
    tw.write('\n');
    ctx.stdout.write(tw.flush());
    if (serverError !== undefined) throw daemonError(serverError);
    if (execError) throw new StatusError(execError.message, 1);
    return 0;
  },
});

/** The server's answer as docker's CLI prepares it: Engine's BuildTime reformatted, an Engine component added when missing. */
function serverVersion(raw: Record<string, unknown>): unknown {
  const value = goValue({ struct: SERVER_VERSION_SCHEMA, pointer: true }, raw) as Record<string, unknown>;
  const components = value.Components as Array<Record<string, unknown>>;
  let foundEngine = false;
  for (const component of components) {
    if (component.Name !== 'Engine') continue;
    foundEngine = true;
    const details = component.Details as Record<string, unknown>;
    if (typeof details.BuildTime === 'string') details.BuildTime = reformatDate(details.BuildTime);
  }
  if (!foundEngine) {
    const details: Record<string, string> = {
      ApiVersion: String(value.APIVersion),
      MinAPIVersion: String(value.MinAPIVersion),
      GitCommit: String(value.GitCommit),
      GoVersion: String(value.GoVersion),
      Os: String(value.Os),
      Arch: String(value.Arch),
      BuildTime: reformatDate(String(value.BuildTime)),
      Experimental: String(value.Experimental),
    };
    components.push(goValue({ struct: COMPONENT_SCHEMA }, { Name: 'Engine', Version: value.Version, Details: details }) as Record<string, unknown>);
  }
  return value;
}
