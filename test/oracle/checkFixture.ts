/**
 * One fixture against llama.cpp, in its own process (a GGML_ASSERT aborts the process; it must cost one
 * fixture, not the run): `node out/test/oracle/checkFixture.js <config.json>` prints one JSON line, a
 * FixtureResult. The parent (oracle.test.ts) turns it into test cases.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { run } from '../../src/cli/main';
import { parseJsonSource, valueAt } from '../../src/core/jsonSource';
import { converterHparams, stringField, type Hparams } from './convert/base';
import { familyFor, NOT_IN_LLAMA_CPP } from './convert/index';
import { shrinkWidths } from './convert/shrink';
import { oracleCases, type OracleCase } from './cases';
import { compareAllocation, type Comparison, type OursJson } from './compare';
import { LlamaCppOracle, LlamaCppRefused, UnsupportedByLlamaCpp, LLAMA_CPP_RELEASE } from './llamaCpp';

/** Models whose zero weights stay under this are also loaded with allocation, for one real context. */
const MAX_ALLOCATED_MODEL_BYTES = 2 * 2 ** 30;

export interface CaseResult {
  label: string;
  comparison?: Comparison;
  /** One side refused the combination: each side's reason (undefined where it did not refuse). */
  refusal?: { llamaCpp?: string; ours?: string };
  skipped?: string;
  error?: string;
  seconds: number;
}

export interface FixtureResult {
  fixture: string;
  modelType: string;
  arch?: string;
  mirrors?: string;
  differsFromHf?: string;
  skipped?: string;
  error?: string;
  cases: CaseResult[];
  loads: number;
  seconds: number;
}

async function checkFixture(file: string): Promise<FixtureResult> {
  const started = Date.now();
  // Read as transformers does: Python's json takes Infinity and NaN (Nemotron-H's time_step_limit).
  const config = valueAt(parseJsonSource(readFileSync(file, 'utf8')), []) as Hparams;
  const hp = converterHparams(config);
  const modelType = stringField((config.text_config as Hparams | undefined)?.model_type ?? config.model_type);
  const family = familyFor(modelType) ?? familyFor(stringField(config.model_type));
  const result: FixtureResult = { fixture: basename(file), modelType, cases: [], loads: 0, seconds: 0 };
  if (!family) {
    const reason = NOT_IN_LLAMA_CPP[modelType] ?? NOT_IN_LLAMA_CPP[String(config.model_type)];
    if (reason) result.skipped = `llama.cpp ${LLAMA_CPP_RELEASE} cannot load ${modelType}: ${reason}`;
    else result.error = `no converter for model_type ${modelType}: add the family to test/oracle/convert/ or say in NOT_IN_LLAMA_CPP why llama.cpp cannot load it`;
    return result;
  }
  result.mirrors = family.mirrors;
  result.differsFromHf = family.differsFromHf;
  const oracle = await LlamaCppOracle.start();
  try {
    const meta = family.convert(hp);
    result.arch = meta.arch;
    shrinkWidths(meta, { keepEmbedding: family.keepEmbedding === true });
    let loaded;
    try {
      const optional = family.optionalTensors;
      loaded = await oracle.loadModel(meta.values, {
        optionalTensors: optional instanceof RegExp ? (name) => optional.test(name) : optional,
      });
    } catch (error) {
      if (error instanceof UnsupportedByLlamaCpp) {
        result.skipped = `llama.cpp ${LLAMA_CPP_RELEASE} cannot load ${meta.arch}: ${error.message}`;
        return result;
      }
      const message = (error as Error).message;
      if (family.expectedRefusal?.test(message)) {
        result.skipped = `llama.cpp ${LLAMA_CPP_RELEASE} refuses the GGUF its own converter writes for ${modelType}: ${message.split('\n')[0]}`;
        return result;
      }
      result.error = `loading the model: ${message}`;
      return result;
    }
    if (family.expectedRefusal) {
      await loaded.dispose();
      result.error = `llama.cpp now loads ${modelType}, which it used to refuse: remove expectedRefusal and check its cache`;
      return result;
    }
    try {
      const first = await oursFor(file, { contextSize: 1000, kType: 'F16', vType: 'F16', flashAttention: true });
      for (const c of oracleCases(first.model.maxContextTokens)) {
        const t0 = Date.now();
        if (c.allocate && loaded.fileBytes > MAX_ALLOCATED_MODEL_BYTES) {
          // Loading with allocation maps every zero weight; a model whose embedding cannot shrink maps too many.
          c.allocate = false;
          c.label = c.label.replace('allocated', `no_alloc (its zero weights would map ${(loaded.fileBytes / 2 ** 30).toFixed(0)} GiB)`);
        }
        try {
          const ours = await oursFor(file, c).catch((error: Error) => error);
          const allocation = await oracle.allocate(loaded, c).catch((error: Error) => error);
          if (allocation instanceof LlamaCppRefused || ours instanceof Error) {
            // A combination llama.cpp refuses must be refused by us too, and only those.
            const theirs = allocation instanceof LlamaCppRefused ? allocation.message : undefined;
            const mine = ours instanceof Error ? ours.message : undefined;
            if (allocation instanceof Error && !(allocation instanceof LlamaCppRefused)) throw allocation;
            result.cases.push({ label: c.label, refusal: { llamaCpp: theirs, ours: mine }, seconds: (Date.now() - t0) / 1000 });
            continue;
          }
          if (allocation instanceof Error) throw allocation;
          result.cases.push({ label: c.label, comparison: compareAllocation(ours, allocation, c), seconds: (Date.now() - t0) / 1000 });
        } catch (error) {
          result.cases.push({ label: c.label, error: (error as Error).message, seconds: (Date.now() - t0) / 1000 });
        }
      }
    } finally {
      await loaded.dispose();
    }
  } finally {
    result.loads = oracle.loads;
    await oracle.close();
    result.seconds = (Date.now() - started) / 1000;
  }
  return result;
}

/** `attention-lens kv <config> --runtime llamacpp --context N --k-dtype K --v-dtype V --json`, in process. */
async function oursFor(configPath: string, c: Pick<OracleCase, 'contextSize' | 'kType' | 'vType' | 'flashAttention'>): Promise<OursJson> {
  let out = '';
  let err = '';
  const argv = ['kv', configPath, '--runtime', 'llamacpp', '--context', String(c.contextSize),
    '--k-dtype', c.kType.toLowerCase(), '--v-dtype', c.vType.toLowerCase(), '--flash-attn', c.flashAttention ? 'on' : 'off', '--json'];
  const code = await run(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  if (code !== 0) throw new Error(`exit ${code}: ${err.trim()}`);
  return JSON.parse(out) as OursJson;
}

const fixtureArg = process.argv[2];
if (require.main === module && fixtureArg) {
  checkFixture(fixtureArg).then(
    (result) => { process.stdout.write(`${JSON.stringify(result)}\n`); },
    (error: Error) => { process.stdout.write(`${JSON.stringify({ fixture: basename(fixtureArg), error: error.stack ?? error.message, cases: [] })}\n`); },
  );
}
