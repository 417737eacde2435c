/**
 * Never silently wrong: a config with a key the engine does not model whose name says it shapes the
 * attention (real key names of real families), or an unknown family, gets a warning that names the key
 * on every surface — `--json` (warnings, exact: false), the text report, a diagnostic on the key's line,
 * the lenses, the hover — never a clean number. And the other way round: keys known not to change the
 * cache change nothing. Configs are read as Python's json reads them (NaN, Infinity).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getNodeValue } from 'jsonc-parser';
import { parseJsonSource } from '../../src/core/jsonSource';
import { classifyKey } from '../../src/core/keyCatalog';
import { configDiagnostics } from '../../src/core/diagnostics';
import { computeLenses } from '../../src/core/lenses';
import { hoverAt, hoverMarkdown } from '../../src/core/hovers';
import { renderKvReport } from '../../src/core/text/render';
import { buildKvReport } from '../../src/core/report';
import { run } from '../../src/cli/main';
import { FIXTURES, fixtureText } from './helpers';

const LLAMA = JSON.parse(fixtureText('llama-3.1-8b')) as Record<string, unknown>;
const withKeys = (base: Record<string, unknown>, extra: Record<string, unknown>): string => JSON.stringify({ ...base, ...extra }, null, 2);
const lineOf = (text: string, key: string): number => text.split('\n').findIndex((l) => l.includes(`"${key}"`)) + 1;
const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-fail-closed-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

/**
 * Structural keys of real families that the engine does not model (yet): Mllama's cross-attention
 * layers, Hunyuan's cross-layer attention share factor, Longformer's per-layer windows, Reformer's layer
 * kinds, BigBird's block sparsity.
 */
const UNMODELLED: Record<string, unknown> = {
  cross_attention_layers: [3, 8, 13, 18, 23, 28],
  cla_share_factor: 2,
  attention_window: [512, 512, 256],
  attn_layers: ['local', 'lsh', 'local', 'lsh'],
  block_size: 64,
};

for (const [key, value] of Object.entries(UNMODELLED)) {
  test(`an unmodelled structural key (${key}) is warned on every surface, never a clean number`, async () => {
    const text = withKeys(LLAMA, { [key]: value });
    const input = { file: 'config.json', text };
    const report = buildKvReport(input);
    // --json
    assert.equal(report.json.exact, false);
    const w = report.json.warnings.find((x) => x.code === 'unmodelled-key');
    assert.ok(w && w.key === key && w.kvMayBeWrong && w.line === lineOf(text, key), JSON.stringify(report.json.warnings));
    assert.match(w.message, new RegExp(`^${key} is a key Attention Lens does not model.*the KV figures may be wrong`));
    // the text report
    const textOut = renderKvReport(report, false);
    assert.match(textOut, new RegExp(`⚠ The KV figures may be wrong: ${key}`));
    assert.match(textOut, new RegExp(`warning: line ${lineOf(text, key)}: ${key} is a key`));
    // a diagnostic on the key
    const d = configDiagnostics('config.json', text).issues.find((i) => i.code === 'unmodelled-key');
    assert.ok(d && d.severity === 'warning' && d.range?.start.line === lineOf(text, key) - 1);
    // the lenses: every figure lens marked, naming the key
    const lenses = computeLenses(input, {}, report).filter((l) => l.action === 'openReport');
    assert.ok(lenses.length >= 2 && lenses.every((l) => l.title.startsWith('$(warning) ') && l.title.endsWith(`may be wrong: ${key}`)), lenses.map((l) => l.title).join(' | '));
    // the hover on any key says it first
    const offset = text.indexOf('"num_key_value_heads"') + 2;
    const hover = hoverAt(input, offset, {}, report)!;
    assert.ok(hover.caveats.some((c) => c.startsWith(`line ${lineOf(text, key)}: ${key} is a key`)), hover.caveats.join('\n'));
    assert.match(hoverMarkdown(hover), /^\*\*num_key_value_heads\*\* — .*\n\n\*\*⚠ The KV figures below may be wrong:\*\*/);
    // the CLI exits 0 (the numbers are still the best reading) and its --json says so
    let out = '';
    const code = await run(['kv', file(`${key}.json`, text), '--json'], { out: (s) => (out += s), err: () => undefined });
    assert.equal(code, 0);
    assert.equal((JSON.parse(out) as { exact: boolean }).exact, false);
  });
}

test('an unknown model_type and a missing one are warned the same way, on model_type', () => {
  const unknown = buildKvReport({ file: 'config.json', text: withKeys(LLAMA, { model_type: 'my_new_arch' }) });
  assert.equal(unknown.json.exact, false);
  assert.ok(unknown.json.warnings.some((w) => w.code === 'unknown-model-type' && w.key === 'model_type' && w.kvMayBeWrong));
  const { model_type: _drop, ...noType } = LLAMA;
  const none = buildKvReport({ file: 'config.json', text: JSON.stringify(noType) });
  assert.equal(none.json.exact, false);
  assert.ok(none.json.warnings.some((w) => w.code === 'no-model-type'));
});

test('every fixture config the engine models is exact: no warning says its figures may be wrong', () => {
  for (const name of fixtures) {
    const r = buildKvReport({ file: `${name}.json`, text: fixtureText(name) });
    const doubts = r.json.warnings.filter((w) => w.kvMayBeWrong);
    if (r.json.exact) assert.deepEqual(doubts, [], name);
    else assert.ok(doubts.length > 0, `${name} is not exact but names no reason`);
  }
});

/** Names that look structural and that no config spells: each must turn a result into "warned". */
const STRUCTURAL_NAMES = ['kv_layout_v2', 'attention_variant', 'num_global_layers', 'layer_schedule', 'ssm_cfg', 'mamba_layers', 'linear_layers_idx', 'conv_layers', 'shared_kv_groups', 'window_pattern', 'block_map', 'hybrid_layout', 'sparse_attention_stride', 'latent_kv_dim', 'recurrent_layers', 'chunk_pattern'];
/** Keys known not to change the cache (keyCatalog.ts), with values as real configs write them. */
const IRRELEVANT: Record<string, unknown> = {
  rope_theta: 500000.0, router_aux_loss_coef: 0.001, attn_logit_softcapping: 50.0, initializer_range: 0.02, hidden_dropout: 0.0,
  rms_norm_eps: 1e-5, use_cache: true, pad_token_id: 0, final_logit_softcapping: 30.0, n_group: 8, topk_group: 4, mlp_bias: false,
  vision_feature_layer: -1, attention_softmax_in_fp32: true, transformers_version: '4.57.0',
};

test('property: any structural-looking unknown key turns every fixture into "warned"; a known irrelevant key changes nothing', () => {
  let checked = 0;
  for (const name of fixtures) {
    // Read as Python's json reads it (Nemotron-H holds an Infinity); re-serialized, that value becomes null.
    const base = getNodeValue(parseJsonSource(fixtureText(name)).root!) as Record<string, unknown>;
    const before = buildKvReport({ file: `${name}.json`, text: JSON.stringify(base) });
    for (const [i, key] of STRUCTURAL_NAMES.entries()) {
      assert.equal(classifyKey(key).kind, 'unknown', key);
      const r = buildKvReport({ file: `${name}.json`, text: withKeys(base, { [key]: i }) });
      assert.equal(r.json.exact, false, `${name} + ${key}`);
      assert.ok(r.json.warnings.some((w) => w.key === key && w.kvMayBeWrong), `${name} + ${key}`);
      checked++;
    }
    for (const [key, value] of Object.entries(IRRELEVANT)) {
      if (key in base) continue;
      const r = buildKvReport({ file: `${name}.json`, text: withKeys(base, { [key]: value }) });
      assert.equal(r.json.exact, before.json.exact, `${name} + ${key}`);
      assert.deepEqual(r.json.kv, before.json.kv, `${name} + ${key}: KV changed`);
      assert.deepEqual(r.json.warnings.map((w) => w.code), before.json.warnings.map((w) => w.code), `${name} + ${key}: new warning`);
      checked++;
    }
  }
  assert.ok(checked > fixtures.length * 20);
});

test('Python literals: NaN, Infinity and -Infinity are read as transformers reads them', () => {
  // A soft-cap of Infinity (no cap) and a NaN in an unread key load, and change nothing in the KV.
  const base = buildKvReport({ file: 'config.json', text: JSON.stringify(LLAMA) });
  const text = JSON.stringify({ ...LLAMA, attn_logit_softcapping: '__INF__', some_stat: '__NAN__', bounds: ['__NEGINF__', 1] }, null, 2)
    .replace('"__INF__"', 'Infinity').replace('"__NAN__"', 'NaN').replace('"__NEGINF__"', '-Infinity');
  const r = buildKvReport({ file: 'config.json', text });
  assert.deepEqual(r.json.kv, base.json.kv);
  // Inside strings they stay strings; glued to other characters they stay syntax errors.
  const quoted = buildKvReport({ file: 'config.json', text: JSON.stringify({ ...LLAMA, note: 'NaN and Infinity' }) });
  assert.deepEqual(quoted.json.kv, base.json.kv);
  assert.throws(() => buildKvReport({ file: 'config.json', text: text.replace('Infinity', 'Infinityx') }), /JSON syntax error/);
});

test('Python literals where a count belongs: a clear error naming the key, not a crash', async () => {
  for (const [key, literal] of [['num_key_value_heads', 'NaN'], ['max_position_embeddings', 'Infinity'], ['num_hidden_layers', '-Infinity']] as const) {
    const text = JSON.stringify({ ...LLAMA, [key]: '__X__' }, null, 2).replace('"__X__"', literal);
    let err = '';
    const code = await run(['kv', file(`literal-${key}.json`, text)], { out: () => undefined, err: (s) => (err += s) });
    assert.equal(code, 2, err);
    assert.match(err, new RegExp(`:${lineOf(text, key)}:\\d+: error: ${key}: ${literal} is not a count: ${key} must be a whole number`));
    assert.doesNotMatch(err, /\n\s+at /);
  }
});
