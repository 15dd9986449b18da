// Build arguments as docker's legacy builder scopes them (moby
// builder/dockerfile/buildargs.go): `--build-arg` values count only for
// names an ARG declares (or the predefined proxy names); ARGs before the
// first FROM are global and visible to FROM lines only, unless a stage
// declares the name again; ENV of the same name wins over an ARG.

/** Arguments every build accepts without an ARG; kept out of history and the cache key. */
export const PREDEFINED_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

export class BuildArgs {
  /** Values from the request (`--build-arg k=v`; null for `--build-arg k` with no value in the client's env). */
  private readonly given: Map<string, string | null>;
  /** Global ARGs (before the first FROM): name → default after expansion. */
  private readonly meta = new Map<string, string | undefined>();
  /** Names that some ARG declared (for the "not consumed" warning). */
  private readonly referenced = new Set<string>();

  constructor(given: Record<string, string | null>) {
    this.given = new Map(Object.entries(given));
  }

  /** Records a global ARG and returns its effective value. */
  declareMeta(name: string, defaultValue: string | undefined): string | undefined {
    this.referenced.add(name);
    this.meta.set(name, defaultValue);
    return this.metaValue(name);
  }

  private metaValue(name: string): string | undefined {
    const v = this.given.get(name);
    if (v !== undefined && v !== null) return v;
    return this.meta.get(name);
  }

  /** The global ARGs with their values (the environment FROM lines expand with). */
  metaEnv(): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of this.meta.keys()) {
      const v = this.metaValue(name);
      if (v !== undefined) out.set(name, v);
    }
    return out;
  }

  /** A new per-stage scope. */
  stage(): StageArgs {
    return new StageArgs(this);
  }

  /** @internal */
  resolveStageArg(name: string, defaultValue: string | undefined): string | undefined {
    this.referenced.add(name);
    const v = this.given.get(name);
    if (v !== undefined && v !== null) return v;
    if (defaultValue !== undefined) return defaultValue;
    // `ARG NAME` inside a stage takes the global default.
    return this.meta.get(name);
  }

  /** @internal */
  predefinedValue(name: string): string | undefined {
    const v = this.given.get(name);
    return v === null ? undefined : v;
  }

  /** Names given with --build-arg that no ARG used (docker's warning), sorted. */
  unconsumed(): string[] {
    return [...this.given.keys()].filter((k) => !this.referenced.has(k) && !PREDEFINED_ARGS.includes(k)).sort();
  }
}

/** docker's warning line for unused build args. */
export function unconsumedWarning(names: string[]): string {
  return `[Warning] One or more build-args [${names.join(' ')}] were not consumed\n`;
}

export class StageArgs {
  /** ARGs declared in this stage, in order, with their values. */
  private readonly declared = new Map<string, string | undefined>();

  constructor(private readonly all: BuildArgs) {}

  declare(name: string, defaultValue: string | undefined): void {
    this.declared.set(name, this.all.resolveStageArg(name, defaultValue));
  }

  /** The value of a declared ARG, or of a predefined one given on the command line. */
  value(name: string): string | undefined {
    if (this.declared.has(name)) return this.declared.get(name);
    if (PREDEFINED_ARGS.includes(name)) return this.all.predefinedValue(name);
    return undefined;
  }

  /**
   * The environment instructions expand with: declared ARGs (and given
   * proxy args) under the stage's ENV, which wins.
   */
  expansionEnv(runEnv: readonly string[]): Map<string, string> {
    const env = new Map<string, string>();
    for (const name of PREDEFINED_ARGS) {
      const v = this.all.predefinedValue(name);
      if (v !== undefined) env.set(name, v);
    }
    for (const [k, v] of this.declared) if (v !== undefined) env.set(k, v);
    for (const kv of runEnv) {
      const eq = kv.indexOf('=');
      env.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1));
    }
    return env;
  }

  /**
   * The `K=V` pairs a RUN gets on top of the image's env, sorted by name:
   * declared ARGs with a value not shadowed by ENV. With forHistory the
   * predefined proxy args are left out (docker keeps them out of history
   * and the cache key unless an ARG declares them).
   */
  runArgs(runEnv: readonly string[], forHistory: boolean): string[] {
    const envNames = new Set(runEnv.map((kv) => (kv.indexOf('=') < 0 ? kv : kv.slice(0, kv.indexOf('=')))));
    const out = new Map<string, string>();
    if (!forHistory) {
      for (const name of PREDEFINED_ARGS) {
        const v = this.all.predefinedValue(name);
        if (v !== undefined && !envNames.has(name)) out.set(name, v);
      }
    }
    for (const [k, v] of this.declared) if (v !== undefined && !envNames.has(k)) out.set(k, v);
    return [...out.keys()].sort().map((k) => `${k}=${out.get(k)!}`);
  }
}
