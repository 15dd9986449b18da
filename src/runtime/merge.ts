// A container's Config from the client's and the image's (moby
// daemon/create.go → runconfig merge, daemon getEntrypointAndArgs), as pure
// functions: the image fills what the client left empty; Env and Labels
// combine key by key; the image's Cmd is used only when the client gave no
// Entrypoint and no Cmd; an Entrypoint of [""] (`--entrypoint ""`) clears
// the image's entrypoint and, since the client's Entrypoint was not empty at
// merge time, the image's Cmd as well.
import { invalidParameter } from '../common/errors.js';
import type { ContainerConfig } from '../common/container-config.js';

function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Image env first, the client's overriding by key (moby's merge keeps the image's order). */
export function mergeEnv(imageEnv: readonly string[], userEnv: readonly string[]): string[] {
  const out = [...imageEnv];
  for (const e of userEnv) {
    const k = envKey(e);
    const i = out.findIndex((x) => envKey(x) === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** moby runconfig.Merge(userConf, imageConf) and the [""] entrypoint reset. Returns a new Config. */
export function mergeImageConfig(user: ContainerConfig, image: ContainerConfig | undefined): ContainerConfig {
  const c: ContainerConfig = structuredClone(user);
  const img = image ?? {};
  if (!c.User && img.User) c.User = img.User;
  if (img.ExposedPorts && Object.keys(img.ExposedPorts).length) {
    c.ExposedPorts = { ...img.ExposedPorts, ...(c.ExposedPorts ?? {}) };
  }
  if (img.Env?.length) c.Env = mergeEnv(img.Env, c.Env ?? []);
  if (img.Labels && Object.keys(img.Labels).length) c.Labels = { ...img.Labels, ...(c.Labels ?? {}) };
  if (!c.Entrypoint || c.Entrypoint.length === 0) {
    if (!c.Cmd || c.Cmd.length === 0) {
      c.Cmd = img.Cmd ? [...img.Cmd] : c.Cmd;
      if (img.ArgsEscaped !== undefined) c.ArgsEscaped = img.ArgsEscaped;
    }
    if (c.Entrypoint == null) c.Entrypoint = img.Entrypoint ? [...img.Entrypoint] : null;
  }
  if (img.Healthcheck) {
    if (!c.Healthcheck) {
      c.Healthcheck = { ...img.Healthcheck };
    } else {
      if (!c.Healthcheck.Test || c.Healthcheck.Test.length === 0) c.Healthcheck.Test = img.Healthcheck.Test ?? null;
      if (!c.Healthcheck.Interval) c.Healthcheck.Interval = img.Healthcheck.Interval;
      if (!c.Healthcheck.Timeout) c.Healthcheck.Timeout = img.Healthcheck.Timeout;
      if (!c.Healthcheck.StartPeriod) c.Healthcheck.StartPeriod = img.Healthcheck.StartPeriod;
      if (!c.Healthcheck.StartInterval) c.Healthcheck.StartInterval = img.Healthcheck.StartInterval;
      if (!c.Healthcheck.Retries) c.Healthcheck.Retries = img.Healthcheck.Retries;
    }
  }
  if (!c.WorkingDir && img.WorkingDir) c.WorkingDir = img.WorkingDir;
  // moby's merge: an empty Volumes of the user's ({} from the CLI) becomes the image's (null for most).
  if (!c.Volumes || Object.keys(c.Volumes).length === 0) c.Volumes = img.Volumes ? { ...img.Volumes } : null;
  else if (img.Volumes) c.Volumes = { ...c.Volumes, ...img.Volumes };
  if (!c.StopSignal && img.StopSignal) c.StopSignal = img.StopSignal;
  if ((!c.Shell || c.Shell.length === 0) && img.Shell?.length) c.Shell = [...img.Shell];
  // `--entrypoint ""` arrives as [""]: after the merge it means "no entrypoint".
  if (c.Entrypoint && c.Entrypoint.length === 1 && c.Entrypoint[0] === '') c.Entrypoint = null;
  return c;
}

/** moby getEntrypointAndArgs: Path and Args of the container's process. */
export function entrypointAndArgs(config: ContainerConfig): { path: string; args: string[] } {
  const ep = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (ep.length) return { path: ep[0]!, args: [...ep.slice(1), ...cmd] };
  if (cmd.length) return { path: cmd[0]!, args: cmd.slice(1) };
  throw invalidParameter('No command specified');
}

/** The Config dockerd stores: defaults filled in (hostname = the ID's first 12 characters unless host networking). */
/** `imageRef` is Config.Image as the client typed it (docker ps shows it). */
export function finalizeConfig(config: ContainerConfig, id: string, opts: { hostNetwork: boolean; hostHostname: string; imageRef: string }): ContainerConfig {
  const c = config;
  if (!c.Hostname) c.Hostname = opts.hostNetwork ? opts.hostHostname : id.slice(0, 12);
  c.Domainname ??= '';
  c.User ??= '';
  c.AttachStdin ??= false;
  c.AttachStdout ??= false;
  c.AttachStderr ??= false;
  c.Tty ??= false;
  c.OpenStdin ??= false;
  c.StdinOnce ??= false;
  c.Env ??= null;
  c.Cmd ??= null;
  c.Image = opts.imageRef;
  c.Volumes ??= null;
  c.WorkingDir ??= '';
  c.Entrypoint ??= null;
  c.OnBuild ??= null;
  c.Labels ??= {};
  return c;
}
