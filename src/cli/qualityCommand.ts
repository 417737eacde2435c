/**
 * `attention-lens quality`: for each target conversion, the published evidence (engine table) and,
 * when safetensors sit next to the config, the weight-space errors measured on them in the quality
 * worker process. `--json` contract: { weights, conversions, evidence } (fields added, never renamed).
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../core/attentionSpec';
import { UsageError } from '../core/errors';
import { evidenceFor, parseTarget } from '../core/evidence';
import { loadModelConfig } from '../core/modelConfig';
import { defaultQualityTargets } from '../core/qualityTargets';
import type { ModelInput } from '../core/report';
import { renderQuality } from '../core/text/renderQuality';
import { estimateWeights } from '../core/weights';
import { QualityRunError, runQuality } from '../quality/client';
import type { WeightsMeasurementJson } from '../shared/qualityProtocol';
import type { CliRequest } from './args';

export async function runQualityCommand(input: ModelInput, request: CliRequest, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const config = loadModelConfig(input.file, input.text);
  const spec = deriveAttentionSpec(config);
  const { targets: asked, calibrationTokens, timeoutSeconds, device } = request.quality!;
  const targets = asked ?? defaultQualityTargets(spec);
  for (const t of targets) if (!parseTarget(t)) throw new UsageError(`--targets: "${t}" is not a target; use gqa-N, mqa, mla-R, kv-int8, kv-int4, kv-fp8, kv-q8_0, kv-q4_0, kv-nvfp4 or window-N`);
  const params = estimateWeights(config, spec).params.total;
  const evidence = targets.map((target) => ({ target, rows: evidenceFor(target, { params, kvHeads: spec.kvHeads, qHeads: spec.qHeads }) }));

  let measuredAt = '';
  let measured: WeightsMeasurementJson = { weights: { found: false, files: [], dtype: '', layersRead: 0 }, conversions: [], notes: [] };
  if (hasSafetensors(path.dirname(path.resolve(input.file)))) {
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      measured = await runQuality({ configFile: path.resolve(input.file), configText: input.text, targets, calibrationTokens, device }, {
        workerPath: path.join(__dirname, 'qualityWorker.mjs'),
        timeoutMs: timeoutSeconds * 1000,
        signal: abort.signal,
        onProgress: (done, total, message) => { if (!request.json || process.stderr.isTTY) io.err(`[${done}/${total}] ${message}`); },
      });
      measuredAt = new Date().toISOString();
    } catch (e) {
      if (!(e instanceof QualityRunError)) throw e;
      io.err(`attention-lens: quality: ${e.message}`);
      return e.code === 'bad-input' ? 2 : 1;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  }
  if (request.json) {
    io.out(JSON.stringify({
      file: input.file,
      ...measured,
      // When it was measured: `attention-lens report --quality` shows the date.
      ...(measured.weights.found ? { measuredAt } : {}),
      evidence: evidence.flatMap(({ target, rows }) => rows.map((e) => ({
        target, metric: e.metric, value: e.value, baseline: e.baseline, source: e.source,
        id: e.id, setting: e.setting, modelScale: e.modelScale, trainingBudget: e.trainingBudget, origin: e.origin, baselineLabel: e.baselineLabel, url: e.url, caveat: e.caveat,
      }))),
    }, null, 2));
  } else io.out(renderQuality(input.file, measured, evidence));
  return 0;
}

/** Whether a checkpoint sits next to the config; the worker reads and validates it. */
function hasSafetensors(dir: string): boolean {
  if (existsSync(path.join(dir, 'model.safetensors.index.json'))) return true;
  try {
    return readdirSync(dir).some((f) => f.endsWith('.safetensors'));
  } catch {
    return false;
  }
}
