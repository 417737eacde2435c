/**
 * Command-line parsing with node's own util.parseArgs (no dependency): flags → ReportOptions, with
 * one clear line for every bad value.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors';
import type { ReportOptions } from '../core/report';
import type { Runtime } from '../core/kvDtypes';
import { LAUNCH_RUNTIMES, parseLaunchRuntime, type LaunchRuntime } from '../core/launch';
import { parseVariantsOption, type ProfileOptions } from '../core/profilePlan';
import { DEFAULT_PROFILE_SETTINGS, DEFAULT_PROFILE_TIMEOUT_S, KERNEL_CHOICES, type ProfileSettings } from '../shared/profileProtocol';

export const COMMANDS = ['kv', 'variants', 'profile', 'report', 'quality', 'launch'] as const;
export type Command = (typeof COMMANDS)[number];

export const DEFAULT_CALIBRATION_TOKENS = 256;
/** Seconds without progress before the quality worker is stopped (progress comes at least once a layer). */
export const DEFAULT_QUALITY_TIMEOUT_S = 600;

export interface CliRequest {
  command: Command | 'help' | 'version';
  configPath?: string;
  options: ReportOptions;
  json: boolean;
  explain: boolean;
  /** `report` only: where the HTML goes. */
  out?: string;
  /** `report` only: a measurement (the JSON of `attention-lens quality --json`) to draw beside the published evidence. */
  qualityFile?: string;
  /** `quality` only. */
  quality?: { targets: string[] | undefined; calibrationTokens: number; timeoutSeconds: number; device: 'auto' | 'gpu' | 'cpu' };
  /** `profile` only. */
  profile?: { plan: ProfileOptions; settings: ProfileSettings; timeoutSeconds: number };
  /** `profile --list-adapters`: list Dawn's adapters instead of profiling (no config needed). */
  listAdapters?: boolean;
  /** `launch` only: the runtime whose command is written. */
  launchRuntime?: LaunchRuntime;
}


const OPTIONS = {
  context: { type: 'string' },
  batch: { type: 'string' },
  'kv-dtype': { type: 'string' },
  'k-dtype': { type: 'string' },
  'v-dtype': { type: 'string' },
  runtime: { type: 'string' },
  tp: { type: 'string' },
  gpu: { type: 'string' },
  'gpu-mem': { type: 'string' },
  util: { type: 'string' },
  'reserve-gib': { type: 'string' },
  'mla-cache': { type: 'string' },
  'llamacpp-mla': { type: 'string' },
  'flash-attn': { type: 'string' },
  'max-batched-tokens': { type: 'string' },
  'mla-rank': { type: 'string' },
  'mla-rope': { type: 'string' },
  contexts: { type: 'string' },
  variants: { type: 'string' },
  mode: { type: 'string' },
  samples: { type: 'string' },
  warmup: { type: 'string' },
  timeout: { type: 'string' },
  'max-case-seconds': { type: 'string' },
  backend: { type: 'string' },
  f32: { type: 'boolean' },
  kernel: { type: 'string' },
  matrices: { type: 'boolean' },
  adapter: { type: 'string' },
  'list-adapters': { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  quality: { type: 'string' },
  targets: { type: 'string' },
  device: { type: 'string' },
  calibration: { type: 'string' },
  json: { type: 'boolean' },
  explain: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export function parseCli(argv: readonly string[]): CliRequest {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(cleanParseError(e));
  }
  const { values, positionals } = parsed;
  if (values.version) return { command: 'version', options: {}, json: false, explain: false };
  const [command, configPath, ...extra] = positionals;
  if (values.help || command === undefined || command === 'help') return { command: 'help', options: {}, json: false, explain: false };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"; use ${COMMANDS.join(' or ')} (attention-lens --help)`);
  }
  if (values['list-adapters']) {
    if (command !== 'profile') throw new UsageError('--list-adapters belongs to attention-lens profile');
    if (configPath !== undefined) throw new UsageError('--list-adapters takes no config file: attention-lens profile --list-adapters');
    return { command: 'profile', options: {}, json: values.json ?? false, explain: false, listAdapters: true };
  }
  if (configPath === undefined) throw new UsageError(`${command} needs a config file: attention-lens ${command} path/to/config.json`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"; give one config file`);
  if (values.gpu !== undefined && values['gpu-mem'] !== undefined) throw new UsageError('give --gpu or --gpu-mem, not both');

  const options: ReportOptions = {};
  const integer = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const t = v.trim().toLowerCase().replace(/_/g, '');
    const m = /^(\d+)(k|m)?$/.exec(t);
    if (!m) throw new UsageError(`--${flag} "${v}": give a whole number (e.g. 32768 or 32k)`);
    const n = Number(m[1]) * (m[2] === 'k' ? 1024 : m[2] === 'm' ? 1048576 : 1);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} "${v}" is too large`);
    return n;
  };
  const decimal = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} "${v}": give a number`);
    return n;
  };
  const set = <K extends keyof ReportOptions>(key: K, value: ReportOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('contextTokens', integer('context', values.context));
  set('batch', integer('batch', values.batch));
  set('tp', integer('tp', values.tp));
  set('kvDtype', values['kv-dtype']);
  set('kDtype', values['k-dtype']);
  set('vDtype', values['v-dtype']);
  let launchRuntime: LaunchRuntime | undefined;
  if (values.runtime !== undefined && command === 'launch') {
    launchRuntime = parseLaunchRuntime(values.runtime);
    if (!launchRuntime) throw new UsageError(`--runtime "${values.runtime}": choose ${LAUNCH_RUNTIMES.join(', ')} (the runtime to launch)`);
    // vLLM and llama.cpp are also the engine's runtimes: their options (--flash-attn) are checked as for kv.
    if (launchRuntime !== 'sglang') options.runtime = launchRuntime;
  } else if (values.runtime !== undefined) {
    const runtime = values.runtime.toLowerCase().replace(/[.\-_]/g, '');
    const map: Record<string, Runtime> = { hf: 'hf', transformers: 'hf', huggingface: 'hf', vllm: 'vllm', llamacpp: 'llamacpp', llama: 'llamacpp', gguf: 'llamacpp' };
    const r = map[runtime];
    if (!r) throw new UsageError(`--runtime "${values.runtime}": choose hf, vllm or llamacpp`);
    options.runtime = r;
  }
  set('gpu', values.gpu);
  set('gpuMemGiB', decimal('gpu-mem', values['gpu-mem']));
  set('utilization', decimal('util', values.util));
  set('reserveGiB', decimal('reserve-gib', values['reserve-gib']));
  if (values['mla-cache'] !== undefined) {
    if (values['mla-cache'] !== 'latent' && values['mla-cache'] !== 'decompressed') throw new UsageError(`--mla-cache "${values['mla-cache']}": choose latent or decompressed`);
    options.mlaCache = values['mla-cache'];
  }
  if (values['llamacpp-mla'] !== undefined) {
    if (values['llamacpp-mla'] !== 'k-only' && values['llamacpp-mla'] !== 'k+v') throw new UsageError(`--llamacpp-mla "${values['llamacpp-mla']}": choose k-only or k+v`);
    options.llamacppMla = values['llamacpp-mla'];
  }
  if (values['flash-attn'] !== undefined) {
    const fa = values['flash-attn'];
    if (fa !== 'on' && fa !== 'off' && fa !== 'auto') throw new UsageError(`--flash-attn "${fa}": choose on, off or auto (llama.cpp's -fa; auto is on wherever the backend has it)`);
    if (options.runtime !== 'llamacpp') throw new UsageError('--flash-attn is llama.cpp\'s -fa: use it with --runtime llamacpp');
    options.llamacppFlashAttention = fa !== 'off';
  }
  set('vllmMaxBatchedTokens', integer('max-batched-tokens', values['max-batched-tokens']));
  set('mlaRank', integer('mla-rank', values['mla-rank']));
  set('mlaRope', integer('mla-rope', values['mla-rope']));
  const request: CliRequest = { command: command as Command, configPath, options, json: values.json ?? false, explain: values.explain ?? false };
  if (command === 'launch') {
    if (!launchRuntime) throw new UsageError(`launch needs --runtime ${LAUNCH_RUNTIMES.join('|')}: attention-lens launch ${configPath} --runtime vllm`);
    if (options.batch !== undefined) throw new UsageError('--batch: launch sizes the concurrent requests itself, from the budget (--max-num-seqs, --max-running-requests, -np)');
    request.launchRuntime = launchRuntime;
  }
  if (values.out !== undefined) {
    if (command !== 'report') throw new UsageError('--out belongs to attention-lens report');
    if (values.out.trim() === '') throw new UsageError('--out: give a file name, e.g. report.html');
    request.out = values.out;
  }
  if (values.quality !== undefined) {
    if (command !== 'report') throw new UsageError('--quality belongs to attention-lens report (it reads the JSON of attention-lens quality --json)');
    if (values.quality.trim() === '') throw new UsageError('--quality: give the file written by attention-lens quality <config> --json');
    request.qualityFile = values.quality;
  }
  const qualityOnly = ['targets', 'calibration', 'device'] as const;
  const strayQuality = qualityOnly.find((f) => values[f] !== undefined);
  if (strayQuality && command !== 'quality') throw new UsageError(`--${strayQuality} belongs to attention-lens quality`);
  if (command === 'quality') {
    const targets = values.targets?.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
    if (targets !== undefined && targets.length === 0) throw new UsageError('--targets: give a list such as gqa4,mqa,mla256,kv-int8');
    const calibrationTokens = integer('calibration', values.calibration) ?? DEFAULT_CALIBRATION_TOKENS;
    if (calibrationTokens > 65536) throw new UsageError('--calibration: at most 65,536 tokens');
    const timeout = decimal('timeout', values.timeout);
    if (timeout !== undefined && timeout <= 0) throw new UsageError('--timeout: give a positive number of seconds');
    const device = values.device ?? 'auto';
    if (device !== 'auto' && device !== 'gpu' && device !== 'cpu') throw new UsageError(`--device "${device}": choose auto, gpu or cpu`);
    request.quality = { targets, calibrationTokens, timeoutSeconds: timeout ?? DEFAULT_QUALITY_TIMEOUT_S, device };
    const stray = ['contexts', 'variants', 'mode', 'samples', 'warmup', 'max-case-seconds', 'backend', 'f32', 'kernel', 'matrices', 'adapter'].find((f) => values[f as keyof typeof values] !== undefined);
    if (stray) throw new UsageError(`--${stray} belongs to attention-lens profile`);
    return request;
  }
  const profileOnly = ['contexts', 'variants', 'mode', 'samples', 'warmup', 'timeout', 'max-case-seconds', 'backend', 'f32', 'kernel', 'matrices', 'adapter'] as const;
  if (command !== 'profile') {
    const stray = profileOnly.find((f) => values[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} belongs to attention-lens profile`);
    return request;
  }
  const plan: ProfileOptions = {};
  if (values.contexts !== undefined) plan.contexts = values.contexts.split(',').map((c) => integer('contexts', c)!);
  if (options.batch !== undefined) plan.batch = options.batch;
  if (values.variants !== undefined) plan.variants = parseVariantsOption(values.variants);
  if (values.mode !== undefined) {
    if (values.mode !== 'decode' && values.mode !== 'prefill' && values.mode !== 'both') throw new UsageError(`--mode "${values.mode}": choose decode, prefill or both`);
    plan.mode = values.mode;
  }
  if (options.mlaRank !== undefined) plan.mlaRank = options.mlaRank;
  if (options.mlaRope !== undefined) plan.mlaRope = options.mlaRope;
  const settings: ProfileSettings = { ...DEFAULT_PROFILE_SETTINGS };
  const samples = integer('samples', values.samples);
  if (samples !== undefined) {
    if (samples < 1 || samples > 10000) throw new UsageError(`--samples ${samples}: give 1 to 10000 (30 or more for a stable median)`);
    settings.samples = samples;
  }
  const warmup = integer('warmup', values.warmup);
  if (warmup !== undefined) settings.warmupPasses = Math.min(warmup, 1000);
  const maxCase = decimal('max-case-seconds', values['max-case-seconds']);
  if (maxCase !== undefined) {
    if (maxCase <= 0) throw new UsageError('--max-case-seconds: give a positive number of seconds');
    settings.maxCaseSeconds = maxCase;
  }
  if (values.backend !== undefined) {
    const backends = ['default', 'vulkan', 'metal', 'd3d12', 'opengl'] as const;
    const b = backends.find((x) => x === values.backend!.toLowerCase());
    if (!b) throw new UsageError(`--backend "${values.backend}": choose ${backends.join(', ')}`);
    settings.backend = b;
  }
  if (values.f32) settings.forceF32 = true;
  if (values.adapter !== undefined) {
    if (values.adapter.trim() === '') throw new UsageError('--adapter: give an index or a part of a name, as attention-lens profile --list-adapters shows them');
    settings.adapter = values.adapter.trim();
  }
  if (values.kernel !== undefined) {
    const kernel = KERNEL_CHOICES.find((k) => k === values.kernel!.toLowerCase());
    if (!kernel) throw new UsageError(`--kernel "${values.kernel}": choose ${KERNEL_CHOICES.join(', ')} (auto: the generation measured faster on this kind of adapter; v1: the reference kernels v2 is measured beside)`);
    settings.kernel = kernel;
  }
  if (values.matrices) {
    if (settings.kernel === 'v1') throw new UsageError('--matrices runs a v2 kernel (MLA absorbed decode on subgroup matrices): drop --kernel v1, or give --kernel v2');
    // A v2 kernel: --kernel auto would keep v1 on a GPU, where the matrices are.
    settings.kernel = 'v2';
    settings.matrices = true;
  }
  const timeout = decimal('timeout', values.timeout);
  if (timeout !== undefined && timeout <= 0) throw new UsageError('--timeout: give a positive number of seconds');
  request.profile = { plan, settings, timeoutSeconds: timeout ?? DEFAULT_PROFILE_TIMEOUT_S };
  return request;
}

/** `--batch -1` → `--batch=-1`, so a negative number reaches our validation instead of looking like an option. */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name && name in OPTIONS && OPTIONS[name as keyof typeof OPTIONS].type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function cleanParseError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // node's messages end with hints about "--" that do not apply here; keep the first sentence.
  const first = message.split('. To specify')[0]!.replace(/\s*\n\s*/g, ' ');
  return `${first.replace(/^Unknown option/, 'unknown option').replace(/^Option/, 'option').trim()} (attention-lens --help)`;
}

export const HELP = `attention-lens — what a model's attention costs: variant, exact KV-cache bytes, GPU budgets, what-ifs

Usage
  attention-lens kv <config.json> [options]         KV cache per layer and in total, and the budget on a GPU
  attention-lens variants <config.json> [options]   the same model as MHA / GQA-g / MQA / MLA and other KV dtypes
  attention-lens profile <config.json> [options]    run one layer's attention (and its variants) on this machine's GPU
  attention-lens report <config.json> [--out F]     the report (charts and tables) as one self-contained HTML file
  attention-lens quality <config.json> [options]    what each memory saving costs: cited results, and errors measured on local weights
  attention-lens launch <config.json> --runtime R   the serving command for vLLM, SGLang or llama.cpp, sized by the budget

Options
  --context N          context length in tokens (default: the model's maximum); 32k and 1m work too
  --batch N            concurrent sequences (default 1)
  --kv-dtype D         auto | fp32 | fp16 | bf16 | fp8 | int8 | nvfp4 | q8_0 | q4_0 | fp8_ds_mla (default auto)
  --k-dtype D, --v-dtype D   K and V apart (llama.cpp -ctk / -ctv)
  --runtime R          hf (exact bytes, no paging) | vllm (paged blocks) | llamacpp (256-cell padding, iSWA); default hf
  --tp N               tensor-parallel GPUs (default 1)
  --gpu PRESET         h100-sxm (default), h100-pcie, h200, b200, a100-40, a100-80, l40s, l4, rtx-3090, rtx-4090,
                       rtx-5090, mi300x, m4-max, m3-max, m2-ultra
  --gpu-mem GIB        a GPU given by its memory instead
  --util F             fraction of GPU memory the runtime may use (default 0.9; 0.75 on Apple)
  --reserve-gib G      memory kept for activations, CUDA context and graphs (default 2)
  --mla-cache L        MLA under hf/vllm: latent (default) | decompressed (per-head K/V, as transformers' eager code)
  --llamacpp-mla L     MLA under llama.cpp: k-only (default, new builds) | k+v (older builds)
  --flash-attn F       llama.cpp -fa: auto (default; on where the backend has it) | on | off (V transposed,
                       padded to the widest layer; a quantized V needs it on)
  --max-batched-tokens N   vLLM max_num_batched_tokens, sizes the sliding-window reserve (default 8192)
  --mla-rank N, --mla-rope N   latent and RoPE widths of the MLA what-if (default 512 + 64)
Profile options
  --contexts LIST      context sweep, e.g. 1k,4k,16k,32k (default; capped at the model's maximum)
  --variants V         own | all (default: own, MHA, GQA-8, MQA, MLA, naive baseline) | a list like mha,gqa8,mqa,mla,mla-naive
  --mode M             decode | prefill | both (default both)
  --batch N            sequences per run (default 1)
  --samples N          timed samples per case (default 30), after --warmup N passes (default 10)
  --max-case-seconds S skip a case whose estimated time on this device exceeds S (default 120)
  --timeout S          stop the worker after S seconds (default 1800)
  --backend B          Dawn backend: default | vulkan | metal | d3d12 | opengl;  --f32   store KV in f32 even with shader-f16
  --adapter A          profile on this adapter: an index or a part of a name from --list-adapters
                       (default: Dawn's high-performance choice — a discrete GPU first, a software one last)
  --list-adapters      list the adapters Dawn offers here, numbered, and the default (no config needed)
  --kernel K           auto | v1 | v2 (default auto: v2 on software adapters but for MLA absorbed decode,
                       v1 on GPUs until a GPU run shows v2 ahead); v2: lane-group decode reads, f16 K/V
  --matrices           MLA absorbed decode on the GPU's subgroup matrices where it has them (experimental:
                       Dawn's chromium-experimental-subgroup-matrix, behind its unsafe APIs; implies --kernel v2)

Quality options
  --targets LIST       conversions to measure and cite, e.g. gqa4,mqa,mla256,kv-int8,kv-int4,kv-fp8 (default: picked for the model)
  --calibration N      calibration tokens for the KV-quantization errors (default 256; embedding rows when the table is there)
  --device D           where the MLA eigenproblems run: auto (WebGPU on a hardware GPU, else the CPU; default) | gpu | cpu
  --timeout S          stop the measurement after S seconds without progress (default 600)

Launch options
  --runtime R          vllm | sglang | llamacpp: the command to write, each value with a comment saying why
                       (tensor/pipeline parallelism from the GPUs needed, or --tp; the context; the KV dtype;
                       the requests that fit at once); a KV dtype or split the runtime lacks is refused
  --gpu, --gpu-mem, --context, --tp, --kv-dtype, --util, --reserve-gib, --flash-attn (llama.cpp)   as above
  --json               { runtime, argv, command, reasons: [{ flag, value, why }], warnings, budget, … }

Report options
  --out F, -o F        where the HTML goes (default: <model>.attention-report.html here); --json writes the data instead
  --quality F          draw the weight-space errors measured on this model's weights, from the file written by
                       attention-lens quality <config.json> --json > F

  --json               machine-readable output (a stable contract)
  --explain            print the derivation of every number
  -h, --help           this text;  -v, --version   the version

Exit status: 0 on success, 2 on bad input or usage (one line on stderr naming the file, key and line).
`;
