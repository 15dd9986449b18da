// The daemon's Dockerfile builder: POST /build as dockerd's legacy builder
// runs it (moby builder/dockerfile), with the same streamed text.
//
// A build: receive the context tar (hashing files as they arrive) → read
// and parse the Dockerfile → apply .dockerignore → pick the stages the
// target needs and build them (independent ones at the same time, their
// output streamed in file order: stages.ts) → for each step: expand it,
// compute its cache key, reuse the cached image or run it (RUN: a
// container through the runtime; COPY/ADD: a writable layer written
// directly; everything else: a config-only image) → tag. Every step's
// result is an image whose Parent is the step before.
// Whatever a build creates and does not keep (containers, writable layers,
// spilled context files) is removed when it ends, failed or cancelled too.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { EngineError, errorMessage, invalidParameter, notFound } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Filters } from '../../api/http/filters.js';
import type { ImageService } from '../../image/service.js';
import { familiarString, parseNormalizedNamed, tagNameOnly, type NamedReference } from '../../image/reference.js';
import type { ImageConfig } from '../../image/types.js';
import type { ContainerConfig, HealthConfig } from '../../common/container-config.js';
import type { JsonMessage } from '../../image/progress.js';
import type { ContainerService } from '../../runtime/service.js';
import type { RwLayerStore } from '../../runtime/ports.js';
import { tarStream } from '../../storage/tar/writer.js';
import {
  type Command,
  type Dockerfile,
  type Instruction,
  type RunInstruction,
  type Stage,
  expandInstruction,
  findStage,
  formatWarnings,
  noImageMessage,
  parseDockerfile,
  runHeredocPlan,
  wordExpander,
} from '../dockerfile/index.js';
import { BuildArgs, type StageArgs, unconsumedWarning } from './args.js';
import { BuildCacheIndex, cacheKey, type BuildCacheRecord, type CacheEntry } from './cache.js';
import { BuildContext, contextRel } from './context.js';
import {
  contextTree,
  copyAsLayer,
  copyInto,
  HostTree,
  parseChmod,
  resolveChown,
  resolveSources,
  sourcesHash,
  type InlineSource,
  type ResolvedSource,
  type SourceTree,
} from './copy.js';
import {
  goList,
  goQuoteList,
  imageLine,
  nonZeroMessage,
  nopCmd,
  nopCmdOne,
  removingLine,
  runCmdWithArgs,
  runningInLine,
  shortId,
  stepLine,
  successfullyBuilt,
  successfullyTagged,
  triggersLine,
  usingCacheLine,
} from './output.js';
import { neededStages, OrderedOutput, StageScheduler, stageDependencies, type StageRunContext } from './stages.js';

export interface BuildRequest {
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  target: string;
  noCache: boolean;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  labels: Record<string, string>;
  networkMode: string;
  shmSize: number;
  extraHosts: string[];
  platform: string;
  quiet: boolean;
  cacheFrom: string[];
  /** HostConfig of every RUN container: docker build's --memory, --cpu-*, --cgroup-parent, --ulimit, --security-opt. */
  runHostConfig: RunHostConfig;
}

/** What of a RUN container's HostConfig a build sets (moby's legacy builder: the build's resources and security options). */
export interface RunHostConfig {
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  CgroupParent?: string;
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
  SecurityOpt?: string[];
}

export function defaultBuildRequest(): BuildRequest {
  return {
    dockerfile: 'Dockerfile',
    tags: [],
    buildArgs: {},
    target: '',
    noCache: false,
    pull: false,
    rm: true,
    forceRm: false,
    labels: {},
    networkMode: '',
    shmSize: 0,
    extraHosts: [],
    platform: '',
    quiet: false,
    cacheFrom: [],
    runHostConfig: {},
  };
}

/** Where the build's JSON messages go (the HTTP stream). */
export type BuildSink = (msg: JsonMessage) => void | Promise<void>;

/** A build failure carrying docker's errorDetail code (a RUN's exit code). */
export class BuildError extends EngineError {
  constructor(message: string, readonly code?: number) {
    super('invalid-parameter', message);
    this.name = 'BuildError';
  }
}

export interface BuilderDeps {
  images: ImageService;
  containers: ContainerService;
  layers: RwLayerStore & { createRW(id: string, parent: string | null, options?: { init?: boolean }): Promise<void> };
  /** Pulls an image (FROM of an image not present, or --pull); absent: a clear error. */
  pull?: (ref: string, platform: string | undefined, out: BuildSink) => Promise<void>;
  dataRoot: string;
  logger: Logger;
  /** How many independent stages build at once (default: the CPU count, within 2..3). */
  maxParallelStages?: number;
}

interface StageState {
  stage: Stage;
  /** Current image ('' for scratch before any step). */
  imageId: string;
  /** The image config being built (config, history, rootfs). */
  image: ImageConfig;
  runConfig: ContainerConfig;
  shell: string[];
  args: StageArgs;
  /** The last step number announced (steps are numbered in file order whatever the build order). */
  step: number;
  /** Aborted when the build is cancelled or an earlier stage failed. */
  signal: AbortSignal;
  /** The stage's messages (kept until the stages before it are done). */
  send: BuildSink;
  out(text: string): Promise<void>;
  /** Waits for an earlier stage found only while building (see StageRunContext). */
  waitFor(index: number): Promise<void>;
  /** Cache keys this stage's current step is computing (other stages wait for them). */
  claims: string[];
}

function defaultParallelStages(): number {
  return Math.min(3, Math.max(2, os.availableParallelism()));
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function emptyImageConfig(): ImageConfig {
  return { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

function randomId(): string {
  return randomBytes(32).toString('hex');
}

/** The image config fields docker keeps (empty ones dropped). */
function cleanConfig(c: ContainerConfig): ContainerConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v) && v.length === 0 && k !== 'Cmd' && k !== 'Entrypoint') continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as ContainerConfig;
}

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((kv) => (kv.indexOf('=') < 0 ? kv : kv.slice(0, kv.indexOf('='))) !== key);
  out.push(`${key}=${value}`);
  // Keep docker's order: a replaced variable stays where it was.
  const idx = env.findIndex((kv) => kv.startsWith(`${key}=`) || kv === key);
  if (idx >= 0) {
    const copy = [...env];
    copy[idx] = `${key}=${value}`;
    return copy;
  }
  return out;
}

/** A writable sink for container output that never produces input. */
class OutputDuplex extends Duplex {
  constructor(private readonly onData: (chunk: Buffer) => void) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.onData(chunk);
    cb();
  }
}

export class Builder {
  private constructor(
    private readonly deps: BuilderDeps,
    readonly cache: BuildCacheIndex,
    private readonly tmpRoot: string,
  ) {}

  static async open(deps: BuilderDeps): Promise<Builder> {
    const cache = await BuildCacheIndex.open(deps.dataRoot);
    const tmpRoot = path.join(deps.dataRoot, 'builder', 'tmp');
    // Whatever a crash left in the middle of a build.
    await fs.rm(tmpRoot, { recursive: true, force: true });
    await fs.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
    const builder = new Builder(deps, cache, tmpRoot);
    await builder.sweepLayers();
    return builder;
  }

  /** Writable layers named build-* belong to builds a crash interrupted. */
  private async sweepLayers(): Promise<void> {
    for (const rw of await this.deps.layers.listRW().catch(() => [])) {
      if (rw.id.startsWith('build-')) await this.deps.layers.removeRW(rw.id).catch(() => undefined);
    }
  }

  /** Receives the context and runs the build. Returns the image ID. */
  async build(contextTar: AsyncIterable<Uint8Array>, req: BuildRequest, sink: BuildSink, signal: AbortSignal): Promise<string> {
    const tags = req.tags.map((t) => {
      try {
        return tagNameOnly(parseNormalizedNamed(t));
      } catch (err) {
        throw invalidParameter(`invalid reference format: ${errorMessage(err)}`.replace(/: invalid reference format.*$/, ''));
      }
    });
    const t0 = performance.now();
    const context = await BuildContext.receive(contextTar, this.tmpRoot);
    this.deps.logger.debug(`build: context received`, { bytes: context.received, ms: Math.round(performance.now() - t0) });
    const run = new BuildRun(this.deps, this.cache, this.tmpRoot, context, req, sink, signal);
    try {
      const id = await run.execute();
      for (const t of tags) await this.tag(id, t);
      if (req.quiet) await sink({ stream: `${id}\n` });
      else for (const t of tags) await sink({ stream: successfullyTagged(familiarString(t)) });
      return id;
    } finally {
      await run.cleanup();
      await context.dispose();
    }
  }

  private async tag(id: string, named: NamedReference): Promise<void> {
    await this.deps.images.store.addTag(named, id, { touch: true });
    this.deps.images.emit('tag', id, { name: familiarString(named) });
  }

  /** GET /system/df's BuildCache: one record per cached step whose image still exists. */
  async diskUsage(): Promise<BuildCacheRecord[]> {
    const out: BuildCacheRecord[] = [];
    for (const [key, e] of this.cache.all()) {
      if (!this.deps.images.store.get(e.imageId)) continue;
      out.push(this.record(key, e));
    }
    return out;
  }

  private record(key: string, e: CacheEntry): BuildCacheRecord {
    const parentKey = this.cache.all().find(([, p]) => p.imageId === e.parentId)?.[0];
    const tagged = this.deps.images.store.references(e.imageId).length > 0;
    return {
      ID: key.slice(0, 25),
      Parent: parentKey ? parentKey.slice(0, 25) : null,
      Parents: parentKey ? [parentKey.slice(0, 25)] : null,
      Type: e.size > 0 ? 'regular' : 'internal',
      Description: e.description,
      InUse: false,
      Shared: tagged,
      Size: e.size,
      CreatedAt: e.created,
      LastUsedAt: e.lastUsed,
      UsageCount: e.usageCount,
    };
  }

  /**
   * POST /build/prune: forgets cached steps (all of them with all=true;
   * otherwise the ones no tagged image uses, as `builder prune` without
   * -a) and removes their images when nothing else needs them. Filters:
   * until=<duration|time>, id=<prefix>, description=<substring>.
   */
  async prune(filters: Filters, all: boolean): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const until = filters.get('until');
    const ids = filters.get('id');
    const descriptions = filters.get('description');
    const now = Date.now();
    const deleted: string[] = [];
    let reclaimed = 0;
    const doomedImages: string[] = [];
    for (const [key, e] of this.cache.all()) {
      if (until.length && !until.some((u) => Date.parse(e.lastUsed) < now - durationMs(u))) continue;
      if (ids.length && !ids.some((p) => key.startsWith(p))) continue;
      if (descriptions.length && !descriptions.some((d) => e.description.includes(d))) continue;
      const image = this.deps.images.store.get(e.imageId);
      if (!all && image && this.deps.images.store.references(e.imageId).length > 0) continue;
      this.cache.delete(key);
      deleted.push(key.slice(0, 25));
      if (image && this.deps.images.store.references(e.imageId).length === 0) doomedImages.push(e.imageId);
      reclaimed += e.size;
    }
    // Children first: an image with dependent children cannot go.
    let progress = true;
    const pending = new Set(doomedImages);
    while (progress && pending.size) {
      progress = false;
      for (const id of [...pending]) {
        const store = this.deps.images.store;
        if (!store.get(id)) {
          pending.delete(id);
          continue;
        }
        if (store.children(id).length > 0) continue;
        if (this.deps.images.store.references(id).length > 0) {
          pending.delete(id);
          continue;
        }
        const inUse = this.deps.containers.all().some((c) => c.Image === id);
        if (inUse) {
          pending.delete(id);
          continue;
        }
        await store.delete(id).catch(() => undefined);
        pending.delete(id);
        progress = true;
      }
    }
    await this.cache.flush();
    await this.deps.images.gc().catch(() => 0);
    return { CachesDeleted: deleted, SpaceReclaimed: reclaimed };
  }
}

/** moby's filter durations ("24h", "10m", "30s") or an RFC 3339 time, in milliseconds before now. */
function durationMs(value: string): number {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (m && value) return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return Date.now() - t;
  throw invalidParameter(`failed to parse value as time or duration: "${value}"`);
}

/** One build in progress. */
class BuildRun {
  private readonly containers = new Set<string>();
  private readonly rwLayers = new Set<string>();
  private readonly tempDirs = new Set<string>();
  private readonly stageImages = new Map<number, string>();
  /** Position in the build order of each needed stage, by stage index. */
  private readonly stagePositions = new Map<number, number>();
  /**
   * Cache keys a step is computing now, with what resolves when it is
   * done: a stage reaching the same step waits and then finds it cached,
   * as it would have built after it in a sequential build.
   */
  private readonly inFlight = new Map<string, { owner: StageState; done: Promise<void>; resolve: () => void }>();
  /** Pulls under way, by reference and platform: a second stage FROM the same missing image waits for the first. */
  private readonly pulls = new Map<string, Promise<unknown>>();
  private readonly buildArgs: BuildArgs;
  private step = 0;
  private total = 0;
  private dockerfile!: Dockerfile;
  /** Messages before and after the stages (global ARGs, warnings, the result). */
  private readonly out: (text: string) => Promise<void>;

  constructor(
    private readonly deps: BuilderDeps,
    private readonly cache: BuildCacheIndex,
    private readonly tmpRoot: string,
    private readonly context: BuildContext,
    private readonly req: BuildRequest,
    private readonly sink: BuildSink,
    private readonly signal: AbortSignal,
  ) {
    this.buildArgs = new BuildArgs(req.buildArgs);
    this.out = async (text) => {
      if (!req.quiet) await sink({ stream: text });
    };
  }

  private checkCancelled(signal: AbortSignal = this.signal): void {
    if (signal.aborted) throw new BuildError('build cancelled: the client went away');
  }

  async execute(): Promise<string> {
    const dfRel = contextRel(this.req.dockerfile || 'Dockerfile') ?? '';
    let text = await this.context.readFile(dfRel);
    if (text === undefined && !this.req.dockerfile) text = await this.context.readFile('dockerfile');
    if (text === undefined) throw notFound(`Cannot locate specified Dockerfile: ${this.req.dockerfile || 'Dockerfile'}`);
    this.dockerfile = parseDockerfile(text);
    await this.context.applyIgnoreFile(dfRel);
    const df = this.dockerfile;
    if (df.stages.length === 0) throw invalidParameter(noImageMessage);

    // Global ARGs: each one's default may use the ones before it.
    for (const arg of df.metaArgs) {
      for (const a of arg.args) {
        const expand = wordExpander(this.buildArgs.metaEnv(), df.escapeToken);
        this.buildArgs.declareMeta(expand(a.key), a.value === undefined ? undefined : expand(a.value));
      }
    }

    let targetIndex = df.stages.length - 1;
    if (this.req.target) {
      const t = findStage(df, this.req.target);
      if (!t || t.name !== this.req.target.toLowerCase()) throw invalidParameter(`failed to reach build target ${this.req.target} in Dockerfile`);
      targetIndex = t.index;
    }
    const expandRef = (ref: string): string => wordExpander(this.buildArgs.metaEnv(), df.escapeToken)(ref);
    const needed = neededStages(df, targetIndex, expandRef);
    if (Object.keys(this.req.labels).length) {
      // dockerd appends the --label values to the Dockerfile as one LABEL step.
      const labels = Object.entries(this.req.labels).sort(([a], [b]) => (a < b ? -1 : 1));
      const target = df.stages[targetIndex]!;
      const original = 'LABEL ' + labels.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
      target.commands = [
        ...target.commands,
        {
          kind: 'LABEL',
          keyword: 'LABEL',
          original,
          startLine: 0,
          endLine: 0,
          comments: [],
          labels: labels.map(([key, value]) => ({ key: JSON.stringify(key), value: JSON.stringify(value), noDelim: false })),
        },
      ];
    }
    this.total = df.metaArgs.length + needed.reduce((n, i) => n + 1 + df.stages[i]!.commands.length, 0);

    const warnings = formatWarnings(df.warnings);
    if (warnings) await this.out(warnings);
    for (const arg of df.metaArgs) {
      this.step++;
      await this.out(stepLine(this.step, this.total, arg.original));
      await this.out('\n');
    }
    const last = await this.buildStages(needed, stageDependencies(df, needed, expandRef));
    const unused = this.buildArgs.unconsumed();
    if (unused.length) await this.out(unconsumedWarning(unused));
    if (!last || !last.imageId) throw invalidParameter(noImageMessage);
    if (!this.req.quiet) {
      await this.sink({ aux: { ID: last.imageId } });
      await this.out(successfullyBuilt(last.imageId));
    }
    return last.imageId;
  }

  /**
   * Builds the needed stages, each as soon as the stages it refers to are
   * built, their messages streamed in file order (see stages.ts). Returns
   * the last stage's (the target's) state.
   */
  private async buildStages(needed: readonly number[], dependencies: number[][]): Promise<StageState> {
    const df = this.dockerfile;
    const firstStep: number[] = [];
    let step = this.step;
    for (const [pos, index] of needed.entries()) {
      this.stagePositions.set(index, pos);
      firstStep.push(step);
      step += 1 + df.stages[index]!.commands.length;
    }
    const output = new OrderedOutput<JsonMessage>(this.sink, needed.length);
    const limit = this.deps.maxParallelStages ?? defaultParallelStages();
    const scheduler = new StageScheduler<StageState>(
      dependencies,
      limit,
      async (pos: number, ctx: StageRunContext) => {
        const send = (msg: JsonMessage): Promise<void> => output.write(pos, msg);
        try {
          this.checkCancelled(ctx.signal);
          const state = await this.buildStage(df.stages[needed[pos]!]!, firstStep[pos]!, ctx, send);
          this.stageImages.set(needed[pos]!, state.imageId);
          await output.finish(pos);
          return state;
        } catch (err) {
          output.fail(pos);
          throw err;
        }
      },
      this.signal,
    );
    const states = await scheduler.run();
    this.step = step;
    return states[states.length - 1]!;
  }

  private async stepHeader(state: StageState, original: string): Promise<void> {
    state.step++;
    await state.out(stepLine(state.step, this.total, original));
    await state.out('\n');
  }

  /** The image an earlier stage built, waiting for it when the stage reference was found only now. */
  private async stageImage(state: StageState, index: number): Promise<string | undefined> {
    if (!this.stageImages.has(index) && this.stagePositions.has(index)) await state.waitFor(index);
    return this.stageImages.get(index);
  }

  // ------------------------------------------------------------------ stages

  private async buildStage(stage: Stage, stepsBefore: number, ctx: StageRunContext, send: BuildSink): Promise<StageState> {
    const df = this.dockerfile;
    const quiet = this.req.quiet;
    const state: StageState = {
      stage,
      imageId: '',
      image: emptyImageConfig(),
      runConfig: {},
      shell: [...DEFAULT_SHELL],
      args: this.buildArgs.stage(),
      step: stepsBefore,
      signal: ctx.signal,
      send: async (msg) => {
        if (!quiet) await send(msg);
      },
      out: async (text) => {
        if (!quiet) await send({ stream: text });
      },
      waitFor: async (index) => {
        const pos = this.stagePositions.get(index);
        if (pos !== undefined) await ctx.waitFor(pos);
      },
      claims: [],
    };
    await this.stepHeader(state, stage.from.original);
    const from = expandInstruction(stage.from, this.buildArgs.metaEnv(), df.escapeToken);
    if (from.image.toLowerCase() !== 'scratch') {
      const prev = findStage(df, from.image, stage.index);
      const built = prev ? await this.stageImage(state, prev.index) : undefined;
      state.imageId = built ?? (await this.resolveImage(from.image, from.platform, state.send));
      state.image = structuredClone(this.deps.images.get(state.imageId).config);
    }
    const runConfig: ContainerConfig = structuredClone(state.image.config ?? {});
    if (!(runConfig.Env ?? []).some((kv) => kv.startsWith('PATH='))) runConfig.Env = [...(runConfig.Env ?? []), DEFAULT_PATH];
    state.runConfig = runConfig;
    if (runConfig.Shell?.length) state.shell = [...runConfig.Shell];
    // ONBUILD triggers of the base image run first, in the child; the FROM
    // step's image line comes after them (dockerd's order).
    const triggers = runConfig.OnBuild ?? [];
    if (!triggers.length) await state.out(imageLine(state.imageId));
    if (triggers.length) {
      runConfig.OnBuild = [];
      await state.out(triggersLine(triggers.length));
      for (const trigger of triggers) {
        const parsed = parseDockerfile(`FROM scratch\n${trigger}\n`);
        const cmd = parsed.stages[0]?.commands[0];
        if (!cmd) continue;
        await this.dispatch(state, cmd, false);
      }
      if (triggers.length && !state.imageId) throw invalidParameter('ONBUILD triggers on an empty image');
      await state.out(imageLine(state.imageId));
    }
    for (const cmd of stage.commands) {
      this.checkCancelled(state.signal);
      await this.stepHeader(state, cmd.original);
      const t0 = performance.now();
      await this.dispatch(state, cmd, true);
      this.deps.logger.debug(`build: step done`, { step: cmd.original, ms: Math.round(performance.now() - t0) });
      await state.out(imageLine(state.imageId));
    }
    return state;
  }

  private async resolveImage(ref: string, platform: string, send: BuildSink): Promise<string> {
    const images = this.deps.images;
    const local = (): string | undefined => {
      try {
        return images.get(ref).id;
      } catch {
        return undefined;
      }
    };
    const pullKey = `${ref}\n${platform}`;
    const other = this.pulls.get(pullKey);
    // Another stage is pulling it: a sequential build would have found it here afterwards.
    if (other && !this.req.pull) await other.catch(() => undefined);
    const found = local();
    if (found && !this.req.pull) return found;
    if (!this.deps.pull) {
      if (found) return found;
      throw notFound(`pull access denied for ${ref}: no registry client in this daemon, and the image is not present locally`);
    }
    const pulling = this.deps.pull(ref, platform || this.req.platform || undefined, send);
    this.pulls.set(pullKey, pulling);
    try {
      await pulling;
    } catch (err) {
      if (found) return found;
      throw err;
    } finally {
      if (this.pulls.get(pullKey) === pulling) this.pulls.delete(pullKey);
    }
    return images.get(ref).id;
  }

  // ------------------------------------------------------------------ steps

  private async dispatch(state: StageState, raw: Command, countStep: boolean): Promise<void> {
    try {
      await this.dispatchStep(state, raw, countStep);
    } finally {
      this.releaseClaims(state);
    }
  }

  private async dispatchStep(state: StageState, raw: Command, countStep: boolean): Promise<void> {
    void countStep;
    const df = this.dockerfile;
    const rc = state.runConfig;
    if (raw.kind === 'ARG') {
      // ARG expands with what is in scope before it.
      for (const a of raw.args) {
        const expand = wordExpander(state.args.expansionEnv(rc.Env ?? []), df.escapeToken);
        state.args.declare(expand(a.key), a.value === undefined ? undefined : expand(a.value));
      }
      const text = raw.args
        .map((a) => {
          const v = state.args.value(a.key);
          return a.value === undefined ? a.key : `${a.key}=${v ?? ''}`;
        })
        .join(' ');
      return this.commitMeta(state, `ARG ${text}`);
    }
    const env = state.args.expansionEnv(rc.Env ?? []);
    const instr = expandInstruction(raw as Instruction, env, df.escapeToken) as Command;
    switch (instr.kind) {
      case 'ENV': {
        let e = [...(rc.Env ?? [])];
        for (const kv of instr.env) e = setEnv(e, kv.key, kv.value);
        rc.Env = e;
        return this.commitMeta(state, 'ENV ' + instr.env.map((kv) => `${kv.key}=${kv.value}`).join(' '));
      }
      case 'LABEL': {
        rc.Labels = { ...(rc.Labels ?? {}) };
        for (const kv of instr.labels) rc.Labels[kv.key] = kv.value;
        return this.commitMeta(state, 'LABEL ' + instr.labels.map((kv) => `${kv.key}=${kv.value}`).join(' '));
      }
      case 'MAINTAINER':
        state.image.author = instr.maintainer;
        return this.commitMeta(state, `MAINTAINER ${instr.maintainer}`);
      case 'EXPOSE': {
        rc.ExposedPorts = { ...(rc.ExposedPorts ?? {}) };
        for (const p of instr.ports) {
          const [port, proto = 'tcp'] = p.split('/');
          if (!/^\d+(-\d+)?$/.test(port ?? '')) throw invalidParameter(`invalid containerPort: ${port}`);
          const [lo, hi] = port!.split('-').map(Number);
          for (let n = lo!; n <= (hi ?? lo!); n++) rc.ExposedPorts[`${n}/${proto.toLowerCase()}`] = {};
        }
        return this.commitMeta(state, `EXPOSE ${instr.ports.join(' ')}`);
      }
      case 'USER':
        rc.User = instr.user;
        return this.commitMeta(state, `USER ${instr.user}`);
      case 'WORKDIR': {
        const dir = path.posix.isAbsolute(instr.path) ? instr.path : path.posix.join('/', rc.WorkingDir || '/', instr.path);
        rc.WorkingDir = path.posix.normalize(dir);
        return this.commitMetaCmd(state, nopCmdOne(state.shell, `WORKDIR ${rc.WorkingDir}`));
      }
      case 'VOLUME': {
        rc.Volumes = { ...(rc.Volumes ?? {}) };
        for (const v of instr.volumes) rc.Volumes[v] = {};
        return this.commitMeta(state, `VOLUME ${goList(instr.volumes)}`);
      }
      case 'STOPSIGNAL':
        rc.StopSignal = instr.signal;
        return this.commitMeta(state, `STOPSIGNAL ${instr.signal}`);
      case 'SHELL':
        state.shell = [...instr.shell];
        rc.Shell = [...instr.shell];
        return this.commitMeta(state, `SHELL ${goList(instr.shell)}`);
      case 'CMD': {
        rc.Cmd = instr.prependShell ? [...state.shell, ...instr.cmdLine] : [...instr.cmdLine];
        if (instr.prependShell) rc.ArgsEscaped = true;
        return this.commitMeta(state, `CMD ${goQuoteList(rc.Cmd)}`);
      }
      case 'ENTRYPOINT': {
        rc.Entrypoint = instr.prependShell ? (instr.cmdLine.length ? [...state.shell, ...instr.cmdLine] : []) : [...instr.cmdLine];
        // ENTRYPOINT resets a CMD set in an earlier stage image (not one of this stage).
        return this.commitMeta(state, `ENTRYPOINT ${goQuoteList(rc.Entrypoint)}`);
      }
      case 'HEALTHCHECK': {
        const hc: HealthConfig = { Test: instr.test };
        if (instr.interval) hc.Interval = instr.interval;
        if (instr.timeout) hc.Timeout = instr.timeout;
        if (instr.startPeriod) hc.StartPeriod = instr.startPeriod;
        if (instr.startInterval) hc.StartInterval = instr.startInterval;
        if (instr.retries) hc.Retries = instr.retries;
        rc.Healthcheck = hc;
        return this.commitMeta(state, `HEALTHCHECK ${goQuoteList(instr.test)}`);
      }
      case 'ONBUILD':
        rc.OnBuild = [...(rc.OnBuild ?? []), instr.expression];
        return this.commitMeta(state, `ONBUILD ${instr.expression}`);
      case 'RUN':
        return this.runStep(state, instr);
      case 'COPY':
      case 'ADD':
        return this.copyStep(state, instr);
    }
  }

  /** The config a step records as container_config (its cache identity). */
  private stepConfig(state: StageState, cmd: string[]): ContainerConfig {
    return { ...structuredClone(state.runConfig), Cmd: cmd, Image: state.imageId };
  }

  private commitMeta(state: StageState, comment: string): Promise<void> {
    return this.commitMetaCmd(state, nopCmd(state.shell, comment));
  }

  /** A step that changes only the config: cached, or a new config-only image. */
  private async commitMetaCmd(state: StageState, cmd: string[]): Promise<void> {
    const stepConfig = this.stepConfig(state, cmd);
    if (await this.tryCache(state, stepConfig)) return;
    // dockerd ran a throwaway container for these steps; its lines are kept so the output reads the same.
    const pseudo = randomId();
    await state.out(runningInLine(pseudo));
    await this.commit(state, stepConfig, undefined, cmd.join(' '), '');
    if (this.req.rm || this.req.forceRm) await state.out(removingLine(pseudo));
  }

  /**
   * Looks the step up in the cache. A miss claims the key until the step
   * is done, so that another stage reaching the same step waits for it and
   * then uses its image, as in a sequential build.
   */
  private async tryCache(state: StageState, stepConfig: ContainerConfig, extra = ''): Promise<boolean> {
    if (this.req.noCache) return false;
    const key = cacheKey(state.imageId, stepConfig, extra);
    for (let other = this.inFlight.get(key); other && other.owner !== state; other = this.inFlight.get(key)) {
      await Promise.race([other.done, new Promise<void>((resolve) => {
        if (state.signal.aborted) resolve();
        else state.signal.addEventListener('abort', () => resolve(), { once: true });
      })]);
      this.checkCancelled(state.signal);
    }
    const hit = this.cacheHit(state, stepConfig, key);
    if (!hit) {
      if (!this.inFlight.has(key)) {
        let resolve!: () => void;
        const done = new Promise<void>((r) => (resolve = r));
        this.inFlight.set(key, { owner: state, done, resolve });
        state.claims.push(key);
      }
      return false;
    }
    const image = this.deps.images.get(hit);
    state.imageId = hit;
    state.image = structuredClone(image.config);
    await state.out(usingCacheLine);
    return true;
  }

  /** A step's claims end with it, built or failed. */
  private releaseClaims(state: StageState): void {
    for (const key of state.claims) {
      const claim = this.inFlight.get(key);
      if (claim?.owner !== state) continue;
      this.inFlight.delete(key);
      claim.resolve();
    }
    state.claims = [];
  }

  private cacheHit(state: StageState, stepConfig: ContainerConfig, key: string): string | undefined {
    const entry = this.cache.get(key);
    let hit: string | undefined;
    if (entry && this.deps.images.store.get(entry.imageId)) {
      hit = entry.imageId;
      this.cache.touch(key);
    } else if (this.req.cacheFrom.length) {
      hit = this.fromCacheSources(state.imageId, stepConfig);
    }
    return hit;
  }

  /** --cache-from: an image (or one of its local ancestors) made by the same step on the same parent. */
  private fromCacheSources(parentId: string, stepConfig: ContainerConfig): string | undefined {
    const store = this.deps.images.store;
    const want = cacheKey(parentId, stepConfig);
    for (const ref of this.req.cacheFrom) {
      let id: string | undefined;
      try {
        id = this.deps.images.get(ref).id;
      } catch {
        continue;
      }
      for (let depth = 0; id && depth < 1000; depth++) {
        const img = store.get(id);
        if (!img) break;
        const parent = img.record.parent ?? '';
        const cc = img.config.container_config;
        if (parent === parentId && cc && cacheKey(parentId, { ...cc, Image: parentId }) === want) return img.id;
        id = img.record.parent;
      }
    }
    return undefined;
  }

  /**
   * Commits the step's image: the current config plus a history entry,
   * with the new layer when there is one. Records it in the cache index.
   */
  private async commit(state: StageState, stepConfig: ContainerConfig, layer: AsyncIterable<Uint8Array> | undefined, createdBy: string, containerId: string, extra = ''): Promise<void> {
    const created = new Date().toISOString();
    const prev = state.image;
    const config: ImageConfig = {
      architecture: prev.architecture || 'amd64',
      os: prev.os || 'linux',
      ...(prev.variant ? { variant: prev.variant } : {}),
      ...(prev.author ? { author: prev.author } : {}),
      created,
      config: cleanConfig(state.runConfig),
      container: containerId,
      container_config: cleanConfig(stepConfig),
      history: [...(prev.history ?? []), { created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) }],
      rootfs: { type: 'layers', diff_ids: [] },
    };
    const parentId = state.imageId;
    const image = await this.deps.images.commit({
      config,
      ...(parentId ? { parentImageId: parentId } : {}),
      newLayers: layer ? [layer] : [],
      setParent: true,
    });
    const size = layer ? (image.record.diffSizes[image.record.diffSizes.length - 1] ?? 0) : 0;
    const key = cacheKey(parentId, stepConfig, extra);
    const now = new Date().toISOString();
    this.cache.set(key, { imageId: image.id, parentId, description: createdBy, created: now, lastUsed: now, usageCount: 0, size });
    state.imageId = image.id;
    state.image = structuredClone(image.config);
  }

  // ------------------------------------------------------------------ RUN

  private async runStep(state: StageState, instr: RunInstruction): Promise<void> {
    const rc = state.runConfig;
    const plan = runHeredocPlan(instr);
    const binds: string[] = [];
    const tmpfs: Record<string, string> = {};
    let cmd: string[];
    if (plan.kind === 'shell-script') cmd = [...state.shell, plan.script];
    else if (plan.kind === 'shell-command') cmd = [...state.shell, plan.command];
    else if (plan.kind === 'script-file') {
      // BuildKit runs a `#!` heredoc as a file: it goes in read-only at /dev/pipes/<name>.
      const dir = await this.tempDir();
      const file = path.join(dir, plan.name);
      await fs.writeFile(file, plan.data, { mode: 0o755 });
      binds.push(`${file}:/dev/pipes/${plan.name}:ro`);
      cmd = [`/dev/pipes/${plan.name}`];
    } else cmd = instr.prependShell ? [...state.shell, ...instr.cmdLine] : [...instr.cmdLine];

    for (const mount of instr.mounts ?? []) await this.runMount(state, mount, binds, tmpfs);
    const argsForHistory = state.args.runArgs(rc.Env ?? [], true);
    const recorded = runCmdWithArgs(argsForHistory, cmd);
    const stepConfig = this.stepConfig(state, recorded);
    // Mounts and the network change what a RUN sees: they are part of its identity.
    const extra = instr.mountSpecs.length || instr.network !== 'default' ? JSON.stringify([instr.mountSpecs, instr.network]) : '';
    if (await this.tryCache(state, stepConfig, extra)) return;

    const networkMode = instr.network !== 'default' ? instr.network : this.req.networkMode || 'default';
    const body = {
      ...structuredClone(rc),
      Image: state.imageId,
      Cmd: cmd,
      Entrypoint: [''],
      Env: [...(rc.Env ?? []), ...state.args.runArgs(rc.Env ?? [], false)],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      Labels: {},
      Healthcheck: { Test: ['NONE'] },
      HostConfig: {
        ...this.req.runHostConfig,
        NetworkMode: networkMode,
        ...(this.req.shmSize ? { ShmSize: this.req.shmSize } : {}),
        ...(this.req.extraHosts.length ? { ExtraHosts: this.req.extraHosts } : {}),
        ...(binds.length ? { Binds: binds } : {}),
        ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
      },
    };
    if (!state.imageId) throw invalidParameter('Please provide a source image with `from` prior to run');
    const created = await this.deps.containers.create(body as Parameters<ContainerService['create']>[0], {});
    const id = created.Id;
    this.containers.add(id);
    this.checkCancelled(state.signal);
    await state.out(runningInLine(id));
    let exit: number;
    const onAbort = (): void => {
      void this.deps.containers.kill(id, 'KILL').catch(() => undefined);
    };
    state.signal.addEventListener('abort', onAbort);
    try {
      // Output lines go out as they come; the stream is flushed in order.
      let chain: Promise<void> = Promise.resolve();
      const client = new OutputDuplex((chunk) => {
        const text = chunk.toString('utf8');
        chain = chain.then(() => state.out(text));
      });
      const attached = this.deps.containers.attach(id, client, Buffer.alloc(0), {
        stream: true,
        logs: false,
        stdin: false,
        stdout: true,
        stderr: true,
        multiplexed: false,
      });
      const waiter = this.deps.containers.wait(id, 'next-exit');
      await this.deps.containers.start(id);
      // Cancelled while it was starting: the listener's kill came too early.
      if (state.signal.aborted) onAbort();
      const result = await waiter.result;
      await Promise.race([attached, new Promise((r) => setTimeout(r, 2000))]);
      await chain;
      exit = result.StatusCode;
    } finally {
      state.signal.removeEventListener('abort', onAbort);
    }
    this.checkCancelled(state.signal);
    if (exit !== 0) throw new BuildError(nonZeroMessage(cmd, exit), exit);
    const diff = await this.deps.layers.rwDiffTar(id);
    await this.commit(state, stepConfig, diff, recorded.join(' '), id, extra);
    if (this.req.rm || this.req.forceRm) {
      await this.removeContainer(id);
      await state.out(removingLine(id));
    } else {
      this.containers.delete(id);
    }
  }

  private async runMount(state: StageState, mount: NonNullable<RunInstruction['mounts']>[number], binds: string[], tmpfs: Record<string, string>): Promise<void> {
    const target = path.posix.isAbsolute(mount.target) ? mount.target : path.posix.join(state.runConfig.WorkingDir || '/', mount.target);
    switch (mount.type) {
      case 'tmpfs':
        tmpfs[target] = mount.sizeLimit ? `size=${mount.sizeLimit}` : '';
        return;
      case 'cache': {
        const id = (mount.cacheId || target).replace(/[^A-Za-z0-9_.-]/g, '_');
        const dir = path.join(this.deps.dataRoot, 'builder', 'mounts', id);
        await fs.mkdir(dir, { recursive: true, mode: 0o755 });
        binds.push(`${dir}:${target}`);
        return;
      }
      case 'bind': {
        const dir = await this.tempDir();
        let tree: SourceTree;
        let release: (() => Promise<void>) | undefined;
        if (mount.from) {
          const src = await this.mountSource(mount.from, state);
          tree = src.tree;
          release = src.release;
        } else tree = contextTree(this.context);
        try {
          const sources = await resolveSources(tree, [mount.source || '/'], { parents: false, cmd: 'RUN --mount' });
          await copyInto(dir, sources, [], { dest: '/', destIsDir: true, owner: { uid: 0, gid: 0 }, excludes: [], extractArchives: false }, 'RUN');
        } finally {
          await release?.();
        }
        binds.push(`${dir}:${target}:${mount.readOnly ? 'ro' : 'rw'}`);
        return;
      }
      default:
        throw new BuildError(`RUN --mount=type=${mount.type} is not supported by this builder (it needs a BuildKit session)`);
    }
  }

  // ------------------------------------------------------------------ COPY / ADD

  private async copyStep(state: StageState, instr: Extract<Command, { kind: 'COPY' | 'ADD' }>): Promise<void> {
    const rc = state.runConfig;
    const cmdName = instr.kind;
    let tree: SourceTree = contextTree(this.context);
    let release: (() => Promise<void>) | undefined;
    const inline: InlineSource[] = instr.sourceContents.map((c) => ({ name: c.path, data: Buffer.from(c.data) }));
    try {
      let fromText = '';
      if (instr.kind === 'COPY' && instr.from) {
        const src = await this.mountSource(instr.from, state);
        tree = src.tree;
        release = src.release;
        fromText = ` --from=${instr.from}`;
      }
      const urls = instr.kind === 'ADD' ? instr.sources.filter((s) => /^https?:\/\//i.test(s)) : [];
      const local = instr.sources.filter((s) => !urls.includes(s));
      for (const url of urls) inline.push(await this.download(url, instr.kind === 'ADD' ? instr.checksum : '', state.signal));
      const sources: ResolvedSource[] = await resolveSources(tree, local, { parents: instr.kind === 'COPY' && instr.parents, cmd: `${cmdName}` });
      const th = performance.now();
      const hash = await sourcesHash(sources, inline, instr.excludes);
      this.deps.logger.debug('build: copy hash', { ms: Math.round(performance.now() - th) });
      const rawDest = instr.dest;
      let dest = path.posix.isAbsolute(rawDest) ? rawDest : path.posix.join('/', rc.WorkingDir || '/', rawDest);
      const destIsDir = rawDest.endsWith('/') || rawDest === '.' || rawDest.endsWith('/.');
      if (destIsDir && !dest.endsWith('/')) dest += '/';
      const flags = [
        instr.chown ? ` --chown=${instr.chown}` : '',
        instr.chmod ? ` --chmod=${instr.chmod}` : '',
        instr.excludes.map((e) => ` --exclude=${e}`).join(''),
        instr.kind === 'COPY' && instr.parents ? ' --parents' : '',
      ].join('');
      const recorded = nopCmdOne(state.shell, `${cmdName}${flags}${fromText ? '' : ''} ${hash} in ${dest} `);
      const stepConfig = this.stepConfig(state, recorded);
      if (await this.tryCache(state, stepConfig)) return;
      const chmod = parseChmod(instr.chmod);

      const rwId = `build-${randomBytes(12).toString('hex')}`;
      const parentChain = state.imageId ? this.deps.images.get(state.imageId).record.chainId || null : null;
      await this.deps.layers.createRW(rwId, parentChain, { init: false });
      this.rwLayers.add(rwId);
      const root = await this.deps.layers.mountRW(rwId);
      const tw = performance.now();
      let layer: AsyncIterable<Uint8Array> | undefined;
      try {
        const owner = (await resolveChown(root, instr.chown)) ?? { uid: 0, gid: 0 };
        const copyOpts = { dest, destIsDir, owner, ...(chmod !== undefined ? { chmod } : {}), excludes: instr.excludes, extractArchives: instr.kind === 'ADD' };
        const members = await copyAsLayer(root, sources, inline, copyOpts, cmdName);
        if (members) layer = tarStream(members);
        else await copyInto(root, sources, inline, copyOpts, cmdName);
      } catch (err) {
        throw err instanceof EngineError ? new BuildError(`${cmdName} failed: ${err.message.replace(/^(COPY|ADD) failed: /, '')}`) : err;
      } finally {
        this.deps.logger.debug('build: copy write', { ms: Math.round(performance.now() - tw), direct: layer !== undefined });
        await this.deps.layers.unmountRW(rwId).catch(() => undefined);
      }
      const tc = performance.now();
      layer ??= await this.deps.layers.rwDiffTar(rwId);
      await this.commit(state, stepConfig, layer, recorded.join(' '), '');
      this.deps.logger.debug('build: copy commit', { ms: Math.round(performance.now() - tc) });
      await this.deps.layers.removeRW(rwId).catch(() => undefined);
      this.rwLayers.delete(rwId);
    } finally {
      await release?.();
    }
  }

  /** `--from=`: an earlier stage, else an image (pulled if needed); mounted read-only in spirit. */
  private async mountSource(from: string, state: StageState): Promise<{ tree: SourceTree; release: () => Promise<void> }> {
    const stage = findStage(this.dockerfile, from, state.stage.index);
    let imageId: string;
    if (stage) {
      const built = await this.stageImage(state, stage.index);
      if (!built) throw invalidParameter(`stage ${from} was not built`);
      imageId = built;
    } else if (findStage(this.dockerfile, from)) {
      throw invalidParameter(`invalid from flag value ${from}: refers to current build stage`);
    } else {
      try {
        imageId = await this.resolveImage(from, '', state.send);
      } catch (err) {
        throw new BuildError(`invalid from flag value ${from}: ${errorMessage(err)}`);
      }
    }
    const chain = this.deps.images.get(imageId).record.chainId || null;
    const rwId = `build-${randomBytes(12).toString('hex')}`;
    await this.deps.layers.createRW(rwId, chain, { init: false });
    this.rwLayers.add(rwId);
    const root = await this.deps.layers.mountRW(rwId);
    return {
      tree: new HostTree(root),
      release: async () => {
        await this.deps.layers.unmountRW(rwId).catch(() => undefined);
        await this.deps.layers.removeRW(rwId).catch(() => undefined);
        this.rwLayers.delete(rwId);
      },
    };
  }

  /** ADD <url>: fetched with a timeout; docker's wording when it fails. */
  private async download(url: string, checksum: string, signal: AbortSignal): Promise<InlineSource> {
    let data: Buffer;
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]) });
      if (!res.ok) throw new Error(`failed to GET ${url} with status ${res.status} ${res.statusText}`);
      data = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : errorMessage(err);
      throw new BuildError(`ADD failed: Get "${url}": ${cause}`);
    }
    if (checksum) {
      const [algo, want] = checksum.split(':');
      if (algo !== 'sha256' || !want) throw new BuildError(`ADD failed: unsupported digest algorithm in --checksum=${checksum}`);
      const { createHash } = await import('node:crypto');
      const got = createHash('sha256').update(data).digest('hex');
      if (got !== want) throw new BuildError(`ADD failed: digest mismatch ${checksum}: sha256:${got}`);
    }
    const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || '__unnamed__';
    return { name, data };
  }

  private async tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(this.tmpRoot, 'run-'));
    this.tempDirs.add(dir);
    return dir;
  }

  private async removeContainer(id: string): Promise<void> {
    await this.deps.containers.remove(id, { force: true, removeVolumes: true, link: false }).catch((err: unknown) => {
      this.deps.logger.warn(`build: removing container ${shortId(id)}: ${errorMessage(err)}`);
    });
    this.containers.delete(id);
  }

  /** Removes whatever the build made and does not keep. */
  async cleanup(): Promise<void> {
    for (const id of [...this.containers]) await this.removeContainer(id);
    for (const rw of [...this.rwLayers]) {
      await this.deps.layers.unmountRW(rw).catch(() => undefined);
      await this.deps.layers.removeRW(rw).catch(() => undefined);
    }
    this.rwLayers.clear();
    for (const dir of this.tempDirs) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    this.tempDirs.clear();
    await this.cache.flush();
  }
}
