// docker's container.Config as dockerd marshals it (Go struct order, its
// omitempty fields left out when empty): the `Config` of container inspect
// and the `Config`/`ContainerConfig` of image inspect share it.
import type { ContainerConfig } from './container-config.js';

/**
 * `missingLabels`: what Labels is when unset — `{}` for containers (dockerd
 * fills it at create), null for images (Go's nil map).
 */
export function containerConfigJson(c: ContainerConfig, missingLabels: Record<string, string> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
  };
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  out.Tty = c.Tty ?? false;
  out.OpenStdin = c.OpenStdin ?? false;
  out.StdinOnce = c.StdinOnce ?? false;
  out.Env = c.Env ?? null;
  out.Cmd = c.Cmd ?? null;
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  if (c.ArgsEscaped) out.ArgsEscaped = c.ArgsEscaped;
  out.Image = c.Image ?? '';
  out.Volumes = c.Volumes ?? null;
  out.WorkingDir = c.WorkingDir ?? '';
  out.Entrypoint = c.Entrypoint ?? null;
  if (c.NetworkDisabled) out.NetworkDisabled = c.NetworkDisabled;
  if (c.MacAddress) out.MacAddress = c.MacAddress;
  out.OnBuild = c.OnBuild ?? null;
  out.Labels = c.Labels ?? missingLabels;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.StopTimeout !== undefined && c.StopTimeout !== null) out.StopTimeout = c.StopTimeout;
  if (c.Shell && c.Shell.length) out.Shell = c.Shell;
  return out;
}
