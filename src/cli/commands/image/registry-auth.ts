// The X-Registry-Auth header the docker CLI sends with pulls, pushes and
// searches: the stored credentials for the image's registry (config.json or
// its credential helper), as base64url JSON.
import type { GlobalOptions } from '../../command.js';
import type { NamedReference } from '../../../image/reference.js';

/** The config.json key for a reference's registry (`https://index.docker.io/v1/` for Docker Hub). */
export async function registryKeyFor(domain: string): Promise<string> {
  const { authConfigKey } = await import('../../../registry/endpoints.js');
  return authConfigKey(domain);
}

/** The encoded AuthConfig for a registry domain ("docker.io", "localhost:5000"). */
export async function registryAuthForDomain(global: GlobalOptions, env: Readonly<Record<string, string | undefined>>, domain: string): Promise<string> {
  const [{ DockerConfigFile }, { encodeAuthConfig }] = await Promise.all([
    import('../../../registry/credentials.js'),
    import('../../../registry/auth-config.js'),
  ]);
  const key = await registryKeyFor(domain);
  const file = await DockerConfigFile.load({ configFlag: global.config, env: env as NodeJS.ProcessEnv });
  const creds = await file.getCredentials(key);
  return encodeAuthConfig(creds);
}

export function registryAuthFor(global: GlobalOptions, env: Readonly<Record<string, string | undefined>>, ref: NamedReference): Promise<string> {
  return registryAuthForDomain(global, env, ref.domain);
}
