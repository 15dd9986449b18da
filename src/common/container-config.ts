// docker's container.Config (../shared/specs/engine-api/v1.47.yaml,
// definitions ContainerConfig and HealthConfig): the body of POST
// /containers/create, the `Config` of container inspect, and the `config`
// (and legacy `container_config`) of an image config. The runtime, the image
// store and the builder all read and write this one shape;
// container-config-json.ts serialises it as dockerd does.
//
// Every field is optional, and those that come from JSON may be null: clients
// send partial bodies and nulls, and image configs written by other tools
// carry nulls where Go's nil slices, maps and pointers were marshalled.

export interface HealthConfig {
  Test?: string[] | null;
  /** Nanoseconds. */
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean | null;
  Image?: string;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean | null;
  /** Deprecated in API 1.44: use EndpointSettings.MacAddress. */
  MacAddress?: string | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}
