/**
 * Launch commands from the budget: the engine sizes the model on the chosen GPU under the runtime's own
 * allocation rules (the count of GPUs that holds it, or the user's tensor parallelism; the requests of
 * the context that fit), and the runtime's flag table (vllm.ts, sglang.ts, llamacpp.ts) says each of
 * those numbers as the runtime's flag, with why. A KV dtype or a split the runtime does not offer is
 * refused with a message naming what it does offer — never emitted. Pure: the caller lists the GGUFs.
 */
import { kvCaveat } from '../caveat';
import { UsageError } from '../errors';
import { bytes, int } from '../format';
import { describeGpusNeeded, GPUS_PER_NODE } from '../gpusNeeded';
import { nodeAt } from '../jsonSource';
import { buildKvReport, type KvReport, type ModelInput, type ReportOptions } from '../report';
import { LLAMACPP } from './llamacpp';
import { shellQuote, type LaunchContext, type LaunchPlan, type LaunchRuntime, type LaunchShape, type RuntimeCli } from './model';
import { SGLANG, sglangAutoKv } from './sglang';
import { VLLM } from './vllm';

export type { LaunchPlan, LaunchRuntime } from './model';

export const LAUNCH_CLIS: Record<LaunchRuntime, RuntimeCli> = { vllm: VLLM, sglang: SGLANG, llamacpp: LLAMACPP };
export const LAUNCH_RUNTIMES = Object.keys(LAUNCH_CLIS) as LaunchRuntime[];

/** Files beside the config that the command may name (the CLI and the editor list them). */
export interface LaunchFiles {
  /** Names of the *.gguf files in the config's folder: llama.cpp loads one of those, not the safetensors. */
  ggufs?: readonly string[];
}

/**
 * The editor's settings as launch options: the runtime and batch are the launch's own, and a tensor-parallel
 * size of 1 (the setting's default) leaves the count to the budget; above 1 it is the user's.
 */
export function launchOptions(settings: ReportOptions): ReportOptions {
  const { runtime: _r, batch: _b, tp, ...rest } = settings;
  return tp !== undefined && tp > 1 ? { ...rest, tp } : rest;
}

/** "vllm", "SGLang", "llama.cpp", "llama-cpp" → the runtime; undefined when it is none of the three. */
export function parseLaunchRuntime(name: string): LaunchRuntime | undefined {
  const key = name.toLowerCase().replace(/[.\-_\s]/g, '');
  return ({ vllm: 'vllm', sglang: 'sglang', llamacpp: 'llamacpp', llama: 'llamacpp', llamaserver: 'llamacpp' } as Record<string, LaunchRuntime>)[key];
}

export function buildLaunch(input: ModelInput, options: ReportOptions, runtime: LaunchRuntime, files: LaunchFiles = {}): LaunchPlan {
  const cli = LAUNCH_CLIS[runtime];
  const pinned = options.tp !== undefined;
  if (runtime === 'llamacpp' && pinned && options.tp !== 1) {
    throw new UsageError(`llama.cpp has no tensor parallelism (--tp ${options.tp}): it splits the layers over its GPUs (-sm layer); leave out --tp and the command takes as many GPUs as the model needs`);
  }
  const chosenDtype = (options.kvDtype !== undefined && options.kvDtype.toLowerCase() !== 'auto') || options.kDtype !== undefined || options.vDtype !== undefined;
  const { runtime: _r, batch: _b, ...rest } = options;
  let engine: ReportOptions = { ...rest, runtime: cli.budgetRules, batch: 1 };
  let report = buildKvReport(input, engine);
  if (runtime === 'sglang' && !chosenDtype) {
    // The budget's rules are transformers' exact bytes, but the KV dtype is what SGLang's auto stores.
    const auto = sglangAutoKv(report.spec.dtype).dtype;
    if (auto !== report.json.kv.kDtype) {
      engine = { ...engine, kvDtype: auto };
      report = buildKvReport(input, engine);
    }
  }

  const json = report.json;
  const gpuName = json.budget.gpu.name;
  const contextTokens = json.kv.contextTokens;
  let shape: LaunchShape;
  if (pinned) {
    const b = json.budget;
    if (b.maxBatchAtContext < 1) {
      const n = b.gpusNeeded;
      throw new UsageError(`${b.gpus}× ${gpuName} cannot hold ${bytes(b.weightsBytes)} of weights and one ${int(contextTokens)}-token request (${bytes(b.weightsBytesPerGpu)} of weights per GPU)${n.fits ? `; it takes ${describeGpusNeeded(n, gpuName)}: leave out --tp to size the command for that` : `: ${n.reason}`}`);
    }
    shape = {
      gpus: b.gpus, tp: b.gpus, pipelineStages: 1, nodes: Math.ceil(b.gpus / GPUS_PER_NODE), maxConcurrentRequests: b.maxBatchAtContext, usableBytesPerGpu: b.usableBytesPerGpu,
      kvBytesPerTokenPerGpu: report.cost.bytesPerTokenPerRank,
      why: `the chosen tensor-parallel size: ${b.gpus}× ${gpuName} hold the weights and ${int(b.maxBatchAtContext)} request${b.maxBatchAtContext === 1 ? '' : 's'} of ${int(contextTokens)} tokens`,
    };
  } else {
    const n = json.budget.gpusNeeded;
    if (!n.fits) throw new UsageError(`no count of ${gpuName} this command could use holds the model: ${n.reason}`);
    // The budget behind the command is at the count's tensor parallelism (KV heads split, weights spread).
    if (n.tp !== json.kv.tp) report = buildKvReport(input, { ...engine, tp: n.tp });
    shape = {
      gpus: n.gpus, tp: n.tp, pipelineStages: n.pipelineStages, nodes: n.nodes, maxConcurrentRequests: n.maxBatchAtContext, usableBytesPerGpu: n.usableBytesPerGpu,
      // A stage holds an equal share of the layers (gpusNeeded's rule), so a GPU holds that share of each token.
      kvBytesPerTokenPerGpu: Math.ceil(report.cost.bytesPerTokenPerRank / n.pipelineStages), why: n.reason,
    };
  }

  const context: LaunchContext = {
    report,
    shape,
    contextTokens,
    contextWhy: contextReason(report, options),
    kv: { k: report.json.kv.kDtype, v: report.json.kv.vDtype, chosen: chosenDtype, requested: options.kvDtype },
    model: modelArgument(input, report, runtime, files),
    utilization: report.budget.utilization,
    reserveBytes: report.budget.reserveBytes,
  };
  const built = cli.build(context);
  const warnings = [...(runtime === 'llamacpp' ? ggufWarnings(input, report, files) : []), ...built.warnings];
  if (contextTokens > report.spec.maxContextTokens) {
    warnings.push(`the context ${int(contextTokens)} is beyond the model's maximum ${int(report.spec.maxContextTokens)} tokens: ${cli.name} may refuse it, and the model was not trained for it`);
  }
  const caveat = kvCaveat(report.json);
  if (caveat) warnings.push(`the KV figures ${caveat}: the request count is a best reading`);

  const argv = [...cli.program, ...built.args.flatMap((a) => (a.flag === null ? [a.value] : [a.flag, a.value]))];
  return {
    runtime,
    runtimeName: cli.name,
    argv,
    command: argv.map(shellQuote).join(' '),
    reasons: built.args.map((a) => ({ flag: a.flag ?? 'model', value: a.value, why: a.why })),
    warnings,
    source: cli.source,
    model: context.model,
    budget: {
      gpu: gpuName, gpus: shape.gpus, tp: shape.tp, pipelineStages: shape.pipelineStages, nodes: shape.nodes, contextTokens,
      maxConcurrentRequests: shape.maxConcurrentRequests, usableBytesPerGpu: shape.usableBytesPerGpu,
      utilization: context.utilization, reserveBytes: context.reserveBytes, rules: cli.budgetRules,
    },
  };
}

function contextReason(report: KvReport, options: ReportOptions): string {
  if (options.contextTokens !== undefined) return 'the chosen context';
  const source = report.config.get('maxContext')?.source;
  if (source?.kind === 'key') return `the config's ${source.key}`;
  if (source?.kind === 'default') return `${source.configClass}'s default maximum context`;
  return `the model's maximum context (${report.spec.sources.context ?? 'assumed'})`;
}

/** A Hugging Face repo id ("owner/name"), not a path on the machine that wrote the config. */
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function folderOf(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i < 0 ? '.' : i === 0 ? file.slice(0, 1) : file.slice(0, i);
}

function inFolder(folder: string, name: string): string {
  return folder === '.' ? name : `${folder}${folder.endsWith('/') || folder.endsWith('\\') ? '' : '/'}${name}`;
}

function nameOrPath(report: KvReport): string | undefined {
  const node = nodeAt(report.config.json, ['_name_or_path']);
  return node?.type === 'string' && typeof node.value === 'string' && node.value.trim() !== '' ? node.value.trim() : undefined;
}

/** The GGUFs llama.cpp could load: model files, the first shard of a split one, no multimodal projectors. */
function modelGgufs(files: LaunchFiles): string[] {
  return (files.ggufs ?? [])
    .filter((f) => /\.gguf$/i.test(f) && !/mmproj/i.test(f))
    .filter((f) => {
      const shard = /-(\d+)-of-\d+\.gguf$/i.exec(f);
      return shard === null || Number(shard[1]) === 1;
    })
    .sort();
}

function modelArgument(input: ModelInput, report: KvReport, runtime: LaunchRuntime, files: LaunchFiles): { argument: string; why: string } {
  const folder = folderOf(input.file);
  if (runtime === 'llamacpp') {
    const ggufs = modelGgufs(files);
    if (ggufs.length > 0) return { argument: inFolder(folder, ggufs[0]!), why: `the GGUF beside the config${ggufs.length > 1 ? ` (first of ${ggufs.length})` : ''}` };
    return { argument: inFolder(folder, `${ggufName(folder)}.gguf`), why: "the GGUF llama.cpp's converter writes from the config's folder (convert it first: see the note)" };
  }
  const named = nameOrPath(report);
  if (named !== undefined && REPO_ID.test(named) && !named.includes('..')) {
    return { argument: named, why: `the config's _name_or_path, a Hugging Face repo id (${runtime === 'vllm' ? 'vLLM' : 'SGLang'} downloads it)` };
  }
  return {
    argument: folder,
    why: `the config's folder, from which ${runtime === 'vllm' ? 'vLLM' : 'SGLang'} reads config.json and the weights${named !== undefined ? ` (its _name_or_path "${named}" is a path, not a Hugging Face repo id)` : ''}`,
  };
}

function ggufName(folder: string): string {
  const last = folder.split(/[\\/]/).filter((p) => p !== '' && p !== '.').pop();
  return last ?? 'model';
}

function ggufWarnings(input: ModelInput, report: KvReport, files: LaunchFiles): string[] {
  const ggufs = modelGgufs(files);
  const folder = folderOf(input.file);
  const weights = `the budget counts ${bytes(report.json.model.weightsBytes)} of weights (${report.json.model.weightsSource}); a quantized GGUF holds less, which leaves room for more than -np says`;
  if (ggufs.length === 0) {
    const out = inFolder(folder, `${ggufName(folder)}.gguf`);
    return [`no GGUF beside the config: convert it first with llama.cpp's converter — python convert_hf_to_gguf.py ${shellQuote(folder)} --outfile ${shellQuote(out)}`, weights];
  }
  return [...(ggufs.length > 1 ? [`${ggufs.length} GGUFs beside the config (${ggufs.join(', ')}): -m takes ${ggufs[0]}; change it to serve another`] : []), weights];
}
