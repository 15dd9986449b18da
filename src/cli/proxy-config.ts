// config.json's "proxies" (docker/cli configfile.ParseProxyConfig): the proxy
// variables a user set for a daemon, or for every daemon under "default",
// which `run`/`create` put in the environment and `build` gives as build args.

const PROXY_VARIABLES: readonly [string, string][] = [
  ['HTTP_PROXY', 'httpProxy'],
  ['HTTPS_PROXY', 'httpsProxy'],
  ['NO_PROXY', 'noProxy'],
  ['FTP_PROXY', 'ftpProxy'],
  ['ALL_PROXY', 'allProxy'],
];

/** The proxy variables for `host` (its entry, else "default"), each in upper and lower case. */
export function proxyEnvironment(config: Record<string, unknown>, host: string): Map<string, string> {
  const out = new Map<string, string>();
  const proxies = config.proxies;
  if (typeof proxies !== 'object' || proxies === null) return out;
  const table = proxies as Record<string, unknown>;
  const entry = (Object.hasOwn(table, host) ? table[host] : table.default) as Record<string, unknown> | undefined;
  if (typeof entry !== 'object' || entry === null) return out;
  for (const [name, key] of PROXY_VARIABLES) {
    const value = entry[key];
    if (typeof value !== 'string' || value === '') continue;
    out.set(name, value);
    out.set(name.toLowerCase(), value);
  }
  return out;
}
