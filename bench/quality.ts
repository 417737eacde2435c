/**
 * `node out/bench/quality.mjs [--kv-heads 32] [--layers 2] [--hidden 4096] [--tokens 256] [--kernels wasm|js] [--threads N] [--only mla]
 *  [--device cpu|gpu|auto] [--back-transform blocked|per-reflector] [--tridiagonal blocked|per-column] [--overlap on|off] [--json FILE]` (after `npm run build:tests`; `npm run bench:quality -- …`): the cost of measuring the
 * weights of a 7B-shaped model. Writes random BF16 K/V projections of a few layers to a temporary
 * checkpoint, measures each target kind separately, and prints the time per layer, its stages, which
 * device ran the MLA math (the adapter's own name for WebGPU) and the extrapolation to 32 layers (an
 * extrapolation: every layer does the same work). `--json FILE` also writes the figures. The MLA
 * stages run on `--device` (default cpu; gpu forces WebGPU even on a software adapter), and with it the
 * KV-quantization products; `--back-transform per-reflector` runs the reference back-transform kernel,
 * `--tridiagonal per-column` the reference (unblocked) tridiagonalization.
 * `--overlap off` measures one layer at a time: with overlap (the default) layer l+1's read, Gram and
 * tridiagonalization run while layer l finishes, so the MLA stage times are the time waited for each.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { deriveAttentionSpec } from '../src/core/attentionSpec';
import { loadModelConfig } from '../src/core/modelConfig';
import { defaultThreads, jsKernels, wasmKernels } from '../src/quality/kernels';
import { Rng } from '../src/quality/linalg';
import { openQualityGpu } from '../src/quality/gpu/index';
import type { BackTransformKind, TridiagonalKind } from '../src/quality/gpu/jointLowRank';
import { isQualityDevice, type QualityDevice } from '../src/quality/gpu/types';
import { measureWeights } from '../src/quality/measure';
import { writeSafetensors, type TensorToWrite } from '../test/helpers/safetensorsWriter';
import { parseMeasureTargets } from '../src/quality/targets';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const kvHeads = Number(arg('kv-heads', '32'));
const layers = Number(arg('layers', '2'));
const hidden = Number(arg('hidden', '4096'));
const tokens = Number(arg('tokens', '256'));
const headDim = 128;
const qHeads = hidden / headDim;
const threads = Number(arg('threads', String(defaultThreads())));
const kernels = arg('kernels', 'wasm') === 'js' ? jsKernels : wasmKernels(threads) ?? jsKernels;
const onlyGroups = arg('only', '');
const deviceArg = arg('device', 'cpu');
const jsonFile = arg('json', '');
const backTransformArg = arg('back-transform', 'blocked');
if (backTransformArg !== 'blocked' && backTransformArg !== 'per-reflector') throw new Error(`--back-transform ${backTransformArg}: choose blocked or per-reflector`);
const backTransform: BackTransformKind = backTransformArg;
const tridiagonalArg = arg('tridiagonal', 'blocked');
if (tridiagonalArg !== 'blocked' && tridiagonalArg !== 'per-column') throw new Error(`--tridiagonal ${tridiagonalArg}: choose blocked or per-column`);
const tridiagonal: TridiagonalKind = tridiagonalArg;
const overlapArg = arg('overlap', 'on');
if (overlapArg !== 'on' && overlapArg !== 'off') throw new Error(`--overlap ${overlapArg}: choose on or off`);
const overlap = overlapArg === 'on';
if (!isQualityDevice(deviceArg)) throw new Error(`--device ${deviceArg}: choose cpu, gpu or auto`);
const device: QualityDevice = deviceArg;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-bench-quality-'));
  try {
    const config = {
      model_type: 'llama', hidden_size: hidden, num_hidden_layers: layers, num_attention_heads: qHeads, num_key_value_heads: kvHeads,
      max_position_embeddings: 4096, torch_dtype: 'bfloat16', vocab_size: 32000, intermediate_size: 11008,
    };
    const text = JSON.stringify(config, null, 2);
    writeFileSync(path.join(dir, 'config.json'), text);
    const spec = deriveAttentionSpec(loadModelConfig(path.join(dir, 'config.json'), text));
    const tw = performance.now();
    const tensors: TensorToWrite[] = [];
    for (let l = 0; l < layers; l++) {
      for (const p of ['k', 'v']) {
        const rng = new Rng(l * 2 + (p === 'k' ? 0 : 1));
        tensors.push({ name: `model.layers.${l}.self_attn.${p}_proj.weight`, dtype: 'BF16', shape: [kvHeads * headDim, hidden], data: () => rng.gaussian() * 0.02 });
      }
    }
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
    const mib = (kvHeads * headDim * hidden * 2 * 2 * layers) / 2 ** 20;
    console.log(`Attention Lens quality bench — ${cpus()[0]?.model ?? 'CPU'} (${cpus().length} cores), Node ${process.version}, kernels ${kernels.kind} on ${kernels.threads} thread${kernels.threads === 1 ? '' : 's'}`);
    console.log(`shape: hidden ${hidden}, ${kvHeads} KV heads × ${headDim} (stacked [W_k; W_v] ${2 * kvHeads * headDim} × ${hidden}), ${layers} layers of random BF16 (${mib.toFixed(0)} MiB written in ${((performance.now() - tw) / 1000).toFixed(1)} s), ${tokens} calibration tokens`);
    const groups: [string, string[]][] = [
      ['gqa/mqa', [...(kvHeads >= 4 ? [`gqa-${kvHeads / 4}`] : []), 'mqa']],
      ['mla-256 + mla-512', ['mla-256', 'mla-512']],
      ['kv int8/int4/fp8', ['kv-int8', 'kv-int4', 'kv-fp8']],
      ['all of the above', [...(kvHeads >= 4 ? [`gqa-${kvHeads / 4}`] : []), 'mqa', 'mla-256', 'mla-512', 'kv-int8', 'kv-int4', 'kv-fp8']],
    ];
    const rows: Record<string, unknown>[] = [];
    let backendLine = '';
    for (const [label, targets] of groups) {
      if (onlyGroups && !label.startsWith(onlyGroups)) continue;
      const t0 = performance.now();
      const m = await measureWeights({ configDir: dir, spec, targets: parseMeasureTargets(targets), calibrationTokens: tokens, kernels, device, overlap, loadGpu: () => openQualityGpu({ backTransform, tridiagonal }) });
      for (const note of m.notes.filter((n) => /WebGPU|device/.test(n))) console.log(`  note: ${note}`);
      if (m.backend && !backendLine) {
        backendLine = m.backend.kind === 'webgpu' ? `WebGPU: ${m.backend.adapter} (${m.backend.api}${m.backend.software ? ', a software adapter' : ''})` : `CPU: ${m.backend.kernels}`;
        console.log(backendLine);
      }
      const wall = (performance.now() - t0) / 1000;
      const t = m.timings!;
      const perLayer = wall / layers;
      let detail = `read ${(t.readMs / layers / 1000).toFixed(2)} s`;
      if (t.gqaMs >= 5) detail += `, pooling ${(t.gqaMs / layers / 1000).toFixed(2)} s`;
      if (t.mlaMs > 0) {
        const x = t.mla;
        detail += `, mla ${(t.mlaMs / layers / 1000).toFixed(2)} s = Gram ${(x.gramMs / layers / 1000).toFixed(2)} + tridiagonalization ${(x.tridiagonalMs / layers / 1000).toFixed(2)} + eigenvalues ${(x.eigenvaluesMs / layers / 1000).toFixed(2)} + inverse iteration ${(x.vectorsMs / layers / 1000).toFixed(2)} + back-transform ${(x.backTransformMs / layers / 1000).toFixed(2)} + K/V split ${(x.splitMs / layers / 1000).toFixed(2)}`;
      }
      if (t.kvMs > 0) detail += `, kv ${(t.kvMs / layers / 1000).toFixed(2)} s`;
      const line = `${label.padEnd(20)} ${perLayer.toFixed(2).padStart(7)} s/layer → ${(perLayer * 32 / 60).toFixed(1).padStart(5)} min for 32 layers (extrapolated)   [${detail}]`;
      console.log(line);
      // The figures themselves, so that gpu:check can hold the GPU path's against the CPU path's.
      const conversions = m.conversions.map((c) => ({ target: c.target, kRelError: c.kRelError, vRelError: c.vRelError, ...(c.energyRetained === undefined ? {} : { energyRetained: c.energyRetained }), ...(c.rank99 === undefined ? {} : { rank99: c.rank99 }) }));
      rows.push({ group: label, secondsPerLayer: perLayer, extrapolated32LayersMin: (perLayer * 32) / 60, readMsPerLayer: t.readMs / layers, mlaMsPerLayer: t.mlaMs / layers, kvMsPerLayer: t.kvMs / layers, mlaStagesMsPerLayer: Object.fromEntries(Object.entries(t.mla).map(([k, v]) => [k, v / layers])), backend: m.backend, conversions });
      const mla = m.conversions.find((c) => c.target === 'mla-512');
      if (mla) console.log(`${''.padEnd(20)} (random weights: mla-512 keeps ${(mla.energyRetained! * 100).toFixed(1)}% energy, rank99 ${mla.rank99})`);
    }
    if (jsonFile) {
      const cpu = `${cpus()[0]?.model ?? 'CPU'} × ${cpus().length}`;
      writeFileSync(jsonFile, `${JSON.stringify({ machine: `${cpu}, Node ${process.version}`, device, overlap, ...(device === 'cpu' ? {} : { backTransform, tridiagonal }), cpuKernels: `${kernels.kind} on ${kernels.threads} thread${kernels.threads === 1 ? '' : 's'}`, shape: { hidden, kvHeads, headDim, layers, tokens }, measured: rows, note: 'per-layer figures are measured on the layers written; 32-layer minutes are extrapolated from them' }, null, 2)}\n`);
      console.log(`wrote ${jsonFile}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
