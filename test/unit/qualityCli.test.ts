/**
 * `attention-lens quality` through the built CLI and its worker process (dist/cli.js,
 * dist/qualityWorker.mjs): the `--json` contract with and without weights, a tiny checkpoint whose KV
 * heads are duplicates in pairs (GQA pooling error exactly 0), and a broken file that fails clearly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { QualityConversion, WeightsMeasurementJson } from '../../src/shared/qualityProtocol';
import { writeSafetensors, type TensorToWrite } from '../helpers/safetensorsWriter';
import { FIXTURES, ROOT } from './helpers';

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', cwd: ROOT });

/** What `quality --json` prints (src/cli/qualityCommand.ts): the measurement, its date, the evidence rows. */
type QualityJson = WeightsMeasurementJson & {
  file: string;
  measuredAt?: string;
  evidence: { target: string; metric: string; value: number; baseline: number; source: string }[];
};

function conversion(out: QualityJson, target: string): QualityConversion {
  const c = out.conversions.find((x) => x.target === target);
  assert.ok(c, `a ${target} conversion`);
  return c;
}

const H = 64;
const KVH = 4;
const HD = 16;
const LAYERS = 2;

/** A Llama-shaped model: 8 query heads, 4 KV heads that are two pairs of duplicates, random values. */
function tinyModel(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-quality-cli-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    model_type: 'llama', hidden_size: H, num_hidden_layers: LAYERS, num_attention_heads: 8, num_key_value_heads: KVH, head_dim: HD,
    max_position_embeddings: 2048, torch_dtype: 'bfloat16', vocab_size: 32, intermediate_size: 128,
  }, null, 2));
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const paired = (): Float32Array => {
    const w = new Float32Array(KVH * HD * H);
    for (let head = 0; head < KVH; head += 2) {
      for (let i = 0; i < HD * H; i++) w[head * HD * H + i] = w[(head + 1) * HD * H + i] = rand();
    }
    return w;
  };
  const tensors: TensorToWrite[] = [];
  for (let l = 0; l < LAYERS; l++) {
    tensors.push({ name: `model.layers.${l}.self_attn.q_proj.weight`, dtype: 'BF16', shape: [8 * HD, H], data: Float32Array.from({ length: 8 * HD * H }, rand) });
    tensors.push({ name: `model.layers.${l}.self_attn.k_proj.weight`, dtype: 'BF16', shape: [KVH * HD, H], data: paired() });
    tensors.push({ name: `model.layers.${l}.self_attn.v_proj.weight`, dtype: 'BF16', shape: [KVH * HD, H], data: paired() });
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}

test('quality --json with weights: pooling duplicate KV heads in pairs loses nothing; MQA does; evidence rows carry their source', () => {
  const dir = tinyModel();
  const r = cli('quality', path.join(dir, 'config.json'), '--targets', 'gqa-2,mqa,mla-8,kv-int8', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as QualityJson;
  assert.equal(out.weights.found, true);
  const measuredAt = Date.parse(out.measuredAt ?? '');
  assert.ok(!Number.isNaN(measuredAt) && Math.abs(Date.now() - measuredAt) < 10 * 60_000, `measuredAt ${out.measuredAt}`);
  assert.equal(out.weights.layersRead, LAYERS);
  assert.deepEqual(out.weights.files.map((f) => path.basename(f)), ['model.safetensors']);
  const gqa = conversion(out, 'gqa-2');
  assert.equal(gqa.kRelError, 0);
  assert.equal(gqa.vRelError, 0);
  assert.equal(gqa.perLayer.length, LAYERS);
  assert.ok(conversion(out, 'mqa').kRelError > 0.1);
  const mla = conversion(out, 'mla-8');
  assert.ok(mla.energyRetained !== undefined && mla.energyRetained > 0 && mla.energyRetained < 1);
  assert.ok(conversion(out, 'kv-int8').kRelError < 0.01);
  for (const c of out.conversions) assert.match(c.what, /not an accuracy|before any|weight/i);
  assert.ok(out.evidence.length > 0);
  for (const e of out.evidence) for (const k of ['target', 'metric', 'value', 'baseline', 'source']) assert.ok(k in e, `evidence field ${k}`);
});

test('quality without weights: weights.found is false and only evidence is returned', () => {
  const r = cli('quality', path.join(FIXTURES, 'llama-2-7b.json'), '--targets', 'gqa-8,kv-q8_0', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as QualityJson;
  assert.equal(out.weights.found, false);
  assert.equal(out.measuredAt, undefined, "nothing measured, no date");
  assert.deepEqual(out.conversions, []);
  assert.ok(out.evidence.some((e) => e.target === 'gqa-8' && e.value === 47.1), 'T5-XXL GQA-8 (GQA Table 1)');
  assert.ok(out.evidence.some((e) => e.target === 'kv-q8_0' && /llama\.cpp/.test(e.source)));
});

test('a truncated checkpoint fails with one clear line and exit 2; an unknown target is a usage error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-quality-bad-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2 }));
  writeFileSync(path.join(dir, 'model.safetensors'), Buffer.from([1, 2, 3]));
  const r = cli('quality', path.join(dir, 'config.json'), '--targets', 'gqa-1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /model\.safetensors/);
  const bad = cli('quality', path.join(FIXTURES, 'llama-2-7b.json'), '--targets', 'gqa-0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /"gqa-0" is not a target/);
});
