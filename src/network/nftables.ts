// nftables commands through libnftables (the library the `nft` tool is built
// on), loaded with koffi: a command batch costs a netlink round trip instead
// of a process spawn. When the library is missing, the same text goes to
// `nft -f -`. Either way a batch is atomic: all of it applies or none.
import koffi from 'koffi';
import { spawnSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { inNetns } from './netlink.js';

type NativeFn = (...args: unknown[]) => unknown;

interface NftLib {
  ctxNew: NativeFn;
  ctxFree: NativeFn;
  bufferOutput: NativeFn;
  bufferError: NativeFn;
  getOutput: NativeFn;
  getError: NativeFn;
  run: NativeFn;
}

let lib: NftLib | null | undefined;

function loadLib(): NftLib | null {
  if (lib !== undefined) return lib;
  try {
    const so = koffi.load('libnftables.so.1');
    const f = (decl: string): NativeFn => so.func(decl) as NativeFn;
    lib = {
      ctxNew: f('void *nft_ctx_new(uint32_t flags)'),
      ctxFree: f('void nft_ctx_free(void *ctx)'),
      bufferOutput: f('int nft_ctx_buffer_output(void *ctx)'),
      bufferError: f('int nft_ctx_buffer_error(void *ctx)'),
      getOutput: f('const char *nft_ctx_get_output_buffer(void *ctx)'),
      getError: f('const char *nft_ctx_get_error_buffer(void *ctx)'),
      run: f('int nft_run_cmd_from_buffer(void *ctx, const char *buf)'),
    };
  } catch {
    lib = null;
  }
  return lib;
}

export class NftError extends Error {
  constructor(message: string, readonly script: string) {
    super(message);
    this.name = 'NftError';
  }
}

/** Runs nft scripts in the namespace it was opened in. */
export class Nft {
  private ctx: unknown;
  private readonly native: NftLib | null;

  protected constructor(ctx: unknown, native: NftLib | null) {
    this.ctx = ctx;
    this.native = native;
  }

  /** A context in the daemon's namespace; `forceSpawn` uses `nft -f -` (for comparison and fallback). */
  static open(opts: { forceSpawn?: boolean } = {}): Nft {
    const native = opts.forceSpawn ? null : loadLib();
    if (!native) return new Nft(null, null);
    const ctx = native.ctxNew(0);
    if (!ctx) return new Nft(null, null);
    native.bufferOutput(ctx);
    native.bufferError(ctx);
    // libnftables opens its netlink socket lazily: make it now, so a context
    // opened inside another namespace stays bound to that namespace.
    native.run(ctx, 'list tables');
    return new Nft(ctx, native);
  }

  /** A context whose commands act inside the network namespace at `nsPath`. */
  static openIn(nsPath: string): Nft {
    if (!loadLib()) {
      // nft(8) runs in our namespace: enter theirs through nsenter instead.
      const probe = openSync(nsPath, 'r');
      closeSync(probe);
      return new NsenterNft(nsPath);
    }
    return inNetns(nsPath, () => Nft.open());
  }

  get usesLibrary(): boolean {
    return this.native !== null;
  }

  /** Run a script (one or more commands, newline separated); returns nft's output. */
  run(script: string): string {
    if (!this.native) return this.spawn(['-f', '-'], script);
    if (!this.ctx) throw new NftError('nft: context closed', script);
    const rc = this.native.run(this.ctx, script) as number;
    if (rc !== 0) {
      const err = (this.native.getError(this.ctx) as string | null) ?? '';
      throw new NftError(`nft: ${err.trim() || `exit status ${rc}`}`, script);
    }
    return (this.native.getOutput(this.ctx) as string | null) ?? '';
  }

  protected spawn(args: string[], input: string): string {
    const r = spawnSync('nft', args, { input, encoding: 'utf8' });
    if (r.error) throw new NftError(`nft: ${r.error.message}`, input);
    if (r.status !== 0) throw new NftError(`nft: ${r.stderr.trim() || `exit status ${r.status}`}`, input);
    return r.stdout;
  }

  close(): void {
    if (this.native && this.ctx) this.native.ctxFree(this.ctx);
    this.ctx = null;
  }
}

class NsenterNft extends Nft {
  constructor(private readonly nsPath: string) {
    super(null, null);
  }
  protected override spawn(args: string[], input: string): string {
    const r = spawnSync('nsenter', [`--net=${this.nsPath}`, 'nft', ...args], { input, encoding: 'utf8' });
    if (r.error) throw new NftError(`nft: ${r.error.message}`, input);
    if (r.status !== 0) throw new NftError(`nft: ${r.stderr.trim() || `exit status ${r.status}`}`, input);
    return r.stdout;
  }
}
