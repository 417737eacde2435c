/**
 * llama.cpp itself, through node-llama-cpp's prebuilt CPU binaries (a dev dependency, pinned at 3.21.1):
 * load a zero-weight GGUF and read back the caches llama.cpp allocates for a context, from its own log
 * lines. The extension and the CLI never load this module.
 *
 * The tensors a model needs are asked of the loader that will read them. With debug logging,
 * llama_model_loader::create_tensor logs "loading tensor NAME" for every tensor load_arch_tensors
 * requests (src/llama-model-loader.cpp:1329), a required tensor that is absent fails with
 * "missing tensor 'NAME'" (:1152), one of the wrong shape with "tensor 'NAME' has wrong shape;
 * expected [...]" (:910), and tensors the model never asked for with "wrong number of tensors"
 * (:1391). So the list is llama.cpp's compiled load_arch_tensors at exactly the bundled version, read
 * off the binary that the test runs, rather than a copy that could drift from it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGguf, type GgufTensor, type GgufValue } from '../helpers/ggufWriter';

/** The llama.cpp release node-llama-cpp 3.21.1 bundles (llama/binariesGithubRelease.json) and its source commit. */
export const LLAMA_CPP_RELEASE = 'v0.4.0';
export const LLAMA_CPP_COMMIT = '80fb11ac73e66d89eae2c6a91d8a77428fa733ed';

/** One cache llama.cpp allocated: a `llama_kv_cache: size = …` line. */
export interface KvCacheLine {
  /** "non-SWA", "SWA", "DSA", "indexer", "main" when an enclosing cache named it just before; else "". */
  role: string;
  cells: number;
  layers: number;
  seqs: number;
  kType: string;
  kMiB: number;
  vType: string;
  vMiB: number;
}

/** A `llama_memory_recurrent: size = …` line: R (conv) and S (SSM) states, and P. */
export interface RecurrentLine {
  /** R + S + P, as printed (one rounding, where the parts carry three). */
  totalMiB: number;
  cells: number;
  layers: number;
  rType: string;
  rMiB: number;
  sType: string;
  sMiB: number;
  pMiB: number;
}

export interface ContextAllocation {
  nCtx: number;
  kv: KvCacheLine[];
  recurrent: RecurrentLine[];
  log: string;
}

export interface ContextRequest {
  contextSize: number;
  kType: 'F16' | 'Q8_0' | 'Q4_0' | 'F32' | 'BF16';
  vType: 'F16' | 'Q8_0' | 'Q4_0' | 'F32' | 'BF16';
  flashAttention: boolean;
}

type NodeLlamaCpp = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;

/** The part of node-llama-cpp 3.21.1's native binding the oracle uses (dist/bindings/AddonTypes.d.ts). */
interface AddonHandle {
  init(): Promise<boolean>;
  dispose(): Promise<void>;
}
interface AddonBindings {
  AddonModel: new (path: string, options: { addonExports: unknown; gpuLayers: number; useMmap: boolean; checkTensors: boolean; noAlloc: boolean }) => AddonHandle;
  AddonContext: new (model: AddonHandle, options: {
    contextSize: number; batchSize: number; sequences: number; flashAttention: boolean; threads: number;
    kvCacheKeyType: number; kvCacheValueType: number; swaFullCache: boolean;
  }) => AddonHandle;
}

export interface LoadedModel {
  /** Loaded with no_alloc: contexts get their real tensors on empty buffers. */
  addon: AddonHandle;
  /** The GGUF's size: its zero weights, which a load with allocation maps and faults in. */
  fileBytes: number;
  /** The same file loaded with its weights, for contexts that really allocate. */
  allocating: () => Promise<AddonHandle>;
  dispose: () => Promise<void>;
}

/** llama.cpp's default micro-batch (common/common.h n_ubatch = 512); the SWA cache holds window + n_ubatch. */
export const UBATCH = 512;

/** enum ggml_type (ggml/include/ggml.h). */
const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30 } as const;

export class LlamaCppOracle {
  private readonly logs: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'attention-lens-oracle-'));
  private fileCount = 0;
  /** Tensor shapes learnt from earlier models, by name with the layer number taken out. */
  private readonly shapeHints = new Map<string, number[]>();
  loads = 0;

  private constructor(private readonly llama: Llama) {
    this.bindings = (llama as unknown as { _bindings: AddonBindings })._bindings;
  }

  private readonly bindings: AddonBindings;

  static async start(): Promise<LlamaCppOracle> {
    const { getLlama, LlamaLogLevel } = await importEsm<NodeLlamaCpp>('node-llama-cpp');
    const holder: { oracle?: LlamaCppOracle } = {};
    const llama = await getLlama({
      gpu: false,
      build: 'never',
      usePrebuiltBinaries: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.debug,
      logger: (_level, message) => holder.oracle?.logs.push(message),
    });
    holder.oracle = new LlamaCppOracle(llama);
    return holder.oracle;
  }

  async close(): Promise<void> {
    await this.llama.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Loads a model with these metadata and zero weights, learning its tensors from the loader. Throws
   * UnsupportedByLlamaCpp when llama.cpp refuses the architecture itself.
   *
   * The binding node-llama-cpp's LlamaModel and LlamaContext wrap is used directly: the wrappers first
   * simulate each load to size memory (doubling every attempt), and LlamaContext rounds the context up
   * to 256 and adds a token to the batch of SWA models — llama.cpp would then be checked with other
   * parameters than a user's `-c N -ub 512`.
   */
  async loadModel(metadata: Record<string, GgufValue>, options: { optionalTensors?: (name: string, asked: ReadonlySet<string>) => boolean } = {}): Promise<LoadedModel> {
    const path = join(this.dir, `m${this.fileCount++}.gguf`);
    const tensors = new Map<string, number[]>();
    // Several loaders (GLM-4.5, Nemotron-H, Qwen3-Next) take a file without blk.0.attn_norm.weight for a
    // draft-layer-only (MTP) file and stop asking for the main layers: seed it; unasked, it is dropped.
    const embd = Number(metadata[`${String(metadata['general.architecture']?.value)}.embedding_length`]?.value);
    if (embd > 0) tensors.set('blk.0.attn_norm.weight', [embd]);
    /** Tensors added on a guess (a layer like one already seen), not yet asked for by the loader. */
    const guessed = new Set<string>();
    for (let attempt = 0; attempt < 5000; attempt++) {
      const fileBytes = writeGguf(path, { metadata, tensors: [...tensors].map(([name, shape]): GgufTensor => ({ name, shape })) });
      this.loads += 1;
      const from = this.logs.length;
      const addon = this.openModel(path, true);
      const loaded = await addon.init().catch(() => false);
      if (loaded && options.optionalTensors) {
        // Tensors the loader marks optional but the family's graph dereferences: add each one asked for.
        await this.quiet();
        const asked = new Set([...this.logs.slice(from).join('\n').matchAll(/loading tensor (\S+)/g)].map((m) => m[1]!));
        const absent = [...asked].filter((name) => !tensors.has(name) && options.optionalTensors!(name, asked));
        if (absent.length > 0) {
          await addon.dispose();
          for (const name of absent) tensors.set(name, this.shapeHints.get(hintKey(name)) ?? [1]);
          continue;
        }
      }
      if (loaded) {
        for (const [name, shape] of tensors) this.shapeHints.set(hintKey(name), shape);
        let allocating: AddonHandle | undefined;
        return {
          addon,
          fileBytes,
          allocating: async () => {
            if (!allocating) {
              allocating = this.openModel(path, false);
              if (!(await allocating.init().catch(() => false))) throw new Error('llama.cpp could not load the model with its weights allocated');
            }
            return allocating;
          },
          dispose: async () => {
            await addon.dispose();
            await allocating?.dispose();
            rmSync(path, { force: true });
          },
        };
      }
      await addon.dispose().catch(() => undefined);
      await this.quiet();
      const log = this.logs.slice(from).join('\n');
      if (process.env.ORACLE_DEBUG) console.error(`load ${this.loads}: ${/error loading model[^\n]*/.exec(log)?.[0] ?? 'no error line'}`);
      const requested = new Set([...log.matchAll(/loading tensor (\S+)/g)].map((m) => m[1]!));
      for (const name of requested) guessed.delete(name);
      const missing = /missing tensor '([^']+)'|tensor '([^']+)' not found/.exec(log);
      const wrongShape = /tensor '([^']+)' has wrong shape; expected ([\d, ]+), got/.exec(log);
      if (missing) {
        const name = (missing[1] ?? missing[2])!;
        tensors.set(name, this.shapeHints.get(hintKey(name)) ?? [1]);
        this.guessLayers(name, tensors, guessed, metadata);
      } else if (wrongShape) {
        const shape = wrongShape[2]!.split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
        tensors.set(wrongShape[1]!, shape);
        this.shapeHints.set(hintKey(wrongShape[1]!), shape);
      } else if (/wrong number of tensors/.test(log) && [...tensors.keys()].some((name) => !requested.has(name))) {
        // Raised after every tensor was asked for: whatever was not asked for is not this model's.
        for (const name of [...tensors.keys()]) if (!requested.has(name)) tensors.delete(name);
        guessed.clear();
      } else {
        rmSync(path, { force: true });
        const reason = (/error loading model[^:]*: ([^\n]*?)(?:llama_model_load|\n|$)/.exec(log)?.[1] ?? 'no reason logged').trim();
        throw /unknown model architecture|unknown architecture/i.test(reason)
          ? new UnsupportedByLlamaCpp(reason)
          : new Error(`llama.cpp refused the model: ${reason}\n${tail(log)}`);
      }
    }
    throw new Error('llama.cpp kept asking for tensors after 5000 loads');
  }

  /**
   * no_alloc (llama_model_params, the mode llama.cpp's own memory fitting uses) builds every tensor of the
   * model and of its contexts with its real shape but backs it with an empty buffer
   * (src/llama-kv-cache.cpp:278): the sizes llama.cpp prints are those of a real context, and a context
   * of a million tokens costs nothing. Each fixture also allocates one context for real, and the two agree.
   */
  private openModel(path: string, noAlloc: boolean): AddonHandle {
    return new this.bindings.AddonModel(path, { addonExports: this.bindings, gpuLayers: 0, useMmap: true, checkTensors: false, noAlloc });
  }

  /**
   * When layer N's first tensor is missing, guess layer N — and every later layer with the same per-layer
   * metadata (head counts, FFN width, window pattern: the values a loader picks a layer's tensors by) not
   * yet seen — from the nearest earlier layer with that metadata. A wrong guess costs a load: a shape the
   * loader corrects, or tensors it never asks for, which the next "wrong number of tensors" drops.
   */
  private guessLayers(name: string, tensors: Map<string, number[]>, guessed: Set<string>, metadata: Record<string, GgufValue>): void {
    const m = /^blk\.(\d+)\.(.*)$/.exec(name);
    if (!m) return;
    const layer = Number(m[1]);
    const rest = m[2]!;
    const arch = String(metadata['general.architecture']?.value);
    const blocks = Number(metadata[`${arch}.block_count`]?.value ?? layer + 1);
    const perLayer = Object.values(metadata).flatMap((v) => (v.type === 'ARRAY' && v.value.length === blocks ? [v.value] : []));
    const signature = (i: number): string => perLayer.map((values) => String(values[i])).join('|');
    const mine = signature(layer);
    let from = layer - 1;
    while (from >= 0 && !(tensors.has(`blk.${from}.${rest}`) && signature(from) === mine)) from--;
    // A layer like this one fills every later layer like it; else only this layer, from the nearest that has the tensor.
    const alike = from >= 0;
    if (!alike) {
      from = layer - 1;
      while (from >= 0 && !tensors.has(`blk.${from}.${rest}`)) from--;
    }
    if (from < 0) return;
    const prefix = `blk.${from}.`;
    const template = [...tensors].filter(([other]) => other.startsWith(prefix));
    for (let target = layer; target < blocks; target++) {
      if (target !== layer && (!alike || signature(target) !== mine)) continue;
      for (const [other, shape] of template) {
        const copy = `blk.${target}.${other.slice(prefix.length)}`;
        if (!tensors.has(copy)) {
          tensors.set(copy, shape);
          guessed.add(copy);
        }
      }
    }
  }

  /** Creates a context as `llama-server -c N -ub 512 -np 1` would, reads the caches it allocated, frees it. */
  async allocate(model: LoadedModel, request: ContextRequest & { allocate?: boolean }): Promise<ContextAllocation> {
    const addon = request.allocate ? await model.allocating() : model.addon;
    await this.quiet();
    const from = this.logs.length;
    const context = new this.bindings.AddonContext(addon, {
      contextSize: request.contextSize,
      batchSize: UBATCH,
      sequences: 1,
      flashAttention: request.flashAttention,
      threads: 1,
      kvCacheKeyType: GGML_TYPE[request.kType],
      kvCacheValueType: GGML_TYPE[request.vType],
      swaFullCache: false,
    });
    const ok = await context.init().catch(() => false);
    await this.quiet();
    const log = this.logs.slice(from).join('\n');
    await context.dispose();
    if (!ok) {
      const refusal = /llama_init_from_model: ([^\n]*)/.exec(log)?.[1];
      if (refusal) throw new LlamaCppRefused(refusal.trim());
      throw new Error(`llama.cpp could not create the context: ${tail(log)}`);
    }
    return parseAllocation(log);
  }

  /**
   * Log lines arrive from the native thread after the call settles (node-llama-cpp hands each message over
   * without its newline): wait until none came for 10 ms, at most 3 s.
   */
  private async quiet(): Promise<void> {
    const deadline = Date.now() + 3000;
    let seen = -1;
    while (seen !== this.logs.length && Date.now() < deadline) {
      seen = this.logs.length;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export class UnsupportedByLlamaCpp extends Error {}

/** llama_init_from_model refused the context's parameters (a cache type, flash attention), with its reason. */
export class LlamaCppRefused extends Error {}

/**
 * node-llama-cpp is an ES module with top-level await, which require() cannot load; TypeScript compiles
 * `import()` to require() under CommonJS, so the real import() is reached through a Function.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed body, the one way past TypeScript's CommonJS output turning import() into require()
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

/** Parses the allocation lines of one context's log. */
export function parseAllocation(log: string): ContextAllocation {
  const nCtx = Number(/llama_context: n_ctx\s+=\s+(\d+)/.exec(log)?.[1] ?? NaN);
  const kv: KvCacheLine[] = [];
  const recurrent: RecurrentLine[] = [];
  let role = '';
  const lines = log.split('\n');
  for (const line of lines) {
    const named = /creating\s+(.*?) KV cache, size = \d+ cells/.exec(line);
    if (named) { role = named[1]!.trim(); continue; }
    const k = /: size = +[\d.]+ MiB \( *(\d+) cells, +(\d+) layers, +(\d+)\/\d+ seqs\), K \((\w+)\): +([\d.]+) MiB, V \((\w+)\): +([\d.]+) MiB/.exec(line);
    if (k) {
      kv.push({ role, cells: +k[1]!, layers: +k[2]!, seqs: +k[3]!, kType: k[4]!, kMiB: +k[5]!, vType: k[6]!, vMiB: +k[7]! });
      role = '';
      continue;
    }
    const r = /: size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers, +\d+ seqs +\d+ rs_seq\), R \((\w+)\): +([\d.]+) MiB, S \((\w+)\): +([\d.]+) MiB, P \(\w+\): +([\d.]+) MiB/.exec(line);
    if (r) recurrent.push({ totalMiB: +r[1]!, cells: +r[2]!, layers: +r[3]!, rType: r[4]!, rMiB: +r[5]!, sType: r[6]!, sMiB: +r[7]!, pMiB: +r[8]! });
  }
  return { nCtx, kv, recurrent, log };
}

/** "blk.12.attn_q.weight" and "blk.3.attn_q.weight" share a hint; global tensors keep their name. */
const hintKey = (name: string): string => name.replace(/^blk\.\d+\./, 'blk.#.');

const tail = (log: string): string => log.split('\n').slice(-12).join('\n');
