/**
 * Bad input never crashes: each case gets one clear line naming the file (and key and line where there
 * is one), exit code 2, and no stack trace, NaN or Infinity. Runs the CLI in-process and, once, as a
 * real process from the built bundle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { run } from '../../src/cli/main';
import { parseCli } from '../../src/cli/args';
import { fixtureText, ROOT } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-bad-'));
const LLAMA = JSON.parse(fixtureText('llama-3.1-8b')) as Record<string, unknown>;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function withKey(key: string, value: unknown): string {
  return JSON.stringify({ ...LLAMA, [key]: value }, null, 2);
}

async function expectBad(args: string[], ...patterns: RegExp[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.err}${r.out.slice(0, 200)}`);
  assert.equal(r.out, '');
  assert.equal(r.err.split('\n').filter(Boolean).length, 1, `one line: ${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at |NaN|Infinity|undefined|\[object/);
  for (const p of patterns) assert.match(r.err, p);
  return r.err;
}

test('truncated JSON: syntax error with file, line and column', async () => {
  const text = fixtureText('llama-3.1-8b');
  const p = file('truncated.json', text.slice(0, Math.floor(text.length / 2)));
  await expectBad(['kv', p], new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error: JSON syntax error`));
});

test('a string where an integer belongs names the key and its line, and says what to write', async () => {
  const p = file('string-heads.json', withKey('num_key_value_heads', '8'));
  const err = await expectBad(['kv', p], /num_key_value_heads: expected an integer, got the string "8"/, /Write 8 without quotes/);
  const line = fixtureText('llama-3.1-8b').length > 0 ? err.match(/:(\d+):\d+:/)?.[1] : undefined;
  assert.ok(line && Number(line) > 1, 'names a line');
});

test('floats, zero, negative and astronomical values', async () => {
  await expectBad(['kv', file('float.json', withKey('num_hidden_layers', 31.5))], /num_hidden_layers: expected an integer, got 31.5/);
  await expectBad(['kv', file('float-int.json', withKey('num_hidden_layers', '__32.0__').replace('"__32.0__"', '32.0'))], /num_hidden_layers: expected an integer, got 32.0/);
  await expectBad(['kv', file('zero.json', withKey('num_attention_heads', 0))], /num_attention_heads: must be positive, got 0/);
  await expectBad(['kv', file('negative.json', withKey('hidden_size', -4096))], /hidden_size: must be positive, got -4096/);
  await expectBad(['kv', file('huge.json', withKey('num_hidden_layers', 1e15))], /num_hidden_layers: .* is beyond any real model/);
  await expectBad(['kv', file('huge-ctx.json', withKey('max_position_embeddings', 1e300))], /max_position_embeddings: .*beyond any real model/);
  await expectBad(['kv', file('bool.json', withKey('num_key_value_heads', true))], /num_key_value_heads: expected an integer, got true/);
});

test('heads not divisible by KV heads, more KV heads than query heads', async () => {
  await expectBad(['kv', file('indivisible.json', withKey('num_key_value_heads', 5))], /num_attention_heads 32 is not divisible by 5 KV heads/, /use a divisor of 32/);
  await expectBad(['kv', file('too-many-kv.json', withKey('num_key_value_heads', 64))], /64 KV heads exceed 32 query heads/);
});

test('missing essential keys and an unknown model type without them', async () => {
  const { num_hidden_layers: _drop, ...noLayers } = LLAMA;
  await expectBad(['kv', file('no-layers.json', JSON.stringify({ ...noLayers, model_type: 'mystery' }))], /the number of layers is missing \(looked for num_hidden_layers, n_layer, n_layers, num_layers\)/);
  await expectBad(['kv', file('empty-object.json', '{}')], /hidden size is missing/);
});

test('a top-level array, an empty file, a binary file, a missing file, a folder without config.json', async () => {
  await expectBad(['kv', file('array.json', '[{"model_type": "llama"}]')], /top-level value is an array, not an object/);
  await expectBad(['kv', file('empty.json', '')], /file is empty/);
  await expectBad(['kv', file('blank.json', '  \n\n ')], /file is empty/);
  await expectBad(['kv', file('binary.json', Buffer.from([0x7b, 0x00, 0x01, 0x02]))], /binary file/);
  await expectBad(['kv', path.join(dir, 'nope.json')], /nope\.json: error: no such file/);
  await expectBad(['kv', dir], /is a folder without config\.json/);
});

test('a 10 MB file and deep nesting are refused before parsing', async () => {
  const big = file('big.json', `{"model_type": "llama", "pad": "${'x'.repeat(10 * 1024 * 1024)}"}`);
  await expectBad(['kv', big], /file is 10\.0 MiB; model configs are a few KB/);
  const deep = file('deep.json', `${'{"a":'.repeat(100000)}1${'}'.repeat(100000)}`);
  await expectBad(['kv', deep], /JSON nests deeper than 64 levels/);
  const deepArray = file('deep-array.json', `${'['.repeat(5000)}${']'.repeat(5000)}`);
  await expectBad(['kv', deepArray], /nests deeper/);
});

test('comments and trailing commas are JSON errors (transformers would refuse them too)', async () => {
  await expectBad(['kv', file('comment.json', '{\n  // the model\n  "model_type": "llama"\n}')], /:2:3: error: JSON syntax error: comments are not allowed/);
  await expectBad(['kv', file('trailing.json', '{"model_type": "llama",}')], /JSON syntax error/);
});

test('bad options: one line each, exit 2', async () => {
  const ok = path.join(ROOT, 'test/fixtures/configs/llama-3.1-8b.json');
  await expectBad(['kv', ok, '--context', 'abc'], /--context "abc": give a whole number/);
  await expectBad(['kv', ok, '--context', '0'], /--context 0: give a whole number between 1/);
  await expectBad(['kv', ok, '--context', '99999999999999999'], /--context/);
  await expectBad(['kv', ok, '--batch', '-1'], /--batch "-1"/);
  await expectBad(['kv', ok, '--kv-dtype', 'int3'], /unknown KV dtype "int3"/);
  await expectBad(['kv', ok, '--runtime', 'tgi'], /--runtime "tgi": choose hf, vllm or llamacpp/);
  await expectBad(['kv', ok, '--gpu', 'tpu'], /unknown GPU "tpu"/);
  await expectBad(['kv', ok, '--gpu-mem', '-3'], /--gpu-mem -3/);
  await expectBad(['kv', ok, '--gpu', 'h100', '--gpu-mem', '80'], /--gpu or --gpu-mem, not both/);
  await expectBad(['kv', ok, '--util', '1.5'], /--util 1.5/);
  await expectBad(['kv', ok, '--tp', '3'], /--tp 3: 32 query heads are not divisible by 3/);
  await expectBad(['kv', ok, '--runtime', 'llamacpp', '--tp', '2'], /llama.cpp has no tensor parallelism/);
  await expectBad(['kv', ok, '--kv-dtype', 'fp8_ds_mla'], /fp8_ds_mla applies only to MLA models/);
  await expectBad(['kv', ok, '--frobnicate'], /unknown option '--frobnicate'/);
  await expectBad(['kv'], /kv needs a config file/);
  await expectBad(['fly', ok], /unknown command "fly"/);
});

test('the rest keeps working: a warning-only config still reports, and --json stays parseable', async () => {
  const p = file('conflict.json', JSON.stringify({ ...LLAMA, n_layer: 40 }, null, 2));
  const r = await cli(['kv', p, '--json']);
  assert.equal(r.code, 0, r.err);
  const json = JSON.parse(r.out) as { model: { layers: number }; warnings: { code: string; line: number }[] };
  assert.equal(json.model.layers, 32); // num_hidden_layers wins over n_layer
  assert.ok(json.warnings.some((w) => w.code === 'conflicting-spellings' && w.line > 1));
});

test('the built CLI, as a process: exit 2 and one line on stderr; exit 0 and a table on success', () => {
  const cliPath = path.join(ROOT, 'dist/cli.js');
  const bad = spawnSync(process.execPath, [cliPath, 'kv', file('proc-bad.json', withKey('num_key_value_heads', 'eight'))], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^attention-lens: .*proc-bad\.json:\d+:\d+: error: num_key_value_heads: expected an integer, got the string "eight"\. .*\n$/);
  const good = spawnSync(process.execPath, [cliPath, 'kv', path.join(ROOT, 'test/fixtures/configs/llama-3.1-8b.json')], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /KV per token\s+131,072 B/);
});

test('profile: bad options are one line and exit 2, before any GPU work starts', async () => {
  const config = path.join(ROOT, 'test', 'fixtures', 'configs', 'llama-3.1-8b.json');
  await expectBad(['profile', config, '--contexts', '1k,abc'], /--contexts "abc": give a whole number/);
  await expectBad(['profile', config, '--contexts', '0'], /context 0: give 1 to/);
  await expectBad(['profile', config, '--variants', 'gqa5'], /gqa5: 5 KV heads must divide the model's 32 query heads/);
  await expectBad(['profile', config, '--variants', 'flash'], /unknown variant "flash"/);
  await expectBad(['profile', config, '--mode', 'train'], /--mode "train": choose decode, prefill or both/);
  await expectBad(['profile', config, '--samples', '0'], /--samples 0: give 1 to 10000/);
  await expectBad(['profile', config, '--backend', 'cuda'], /--backend "cuda": choose/);
  await expectBad(['profile', config, '--kernel', 'v3'], /--kernel "v3": choose auto, v1, v2/);
  await expectBad(['profile', config, '--adapter', ' '], /--adapter: give an index or a part of a name/);
  await expectBad(['kv', config, '--adapter', '0'], /--adapter belongs to attention-lens profile/);
  await expectBad(['kv', '--list-adapters'], /--list-adapters belongs to attention-lens profile/);
  await expectBad(['profile', config, '--list-adapters'], /--list-adapters takes no config file/);
  await expectBad(['kv', config, '--kernel', 'v1'], /--kernel belongs to attention-lens profile/);
  await expectBad(['profile', config, '--matrices', '--kernel', 'v1'], /--matrices runs a v2 kernel/);
  await expectBad(['kv', config, '--matrices'], /--matrices belongs to attention-lens profile/);
  await expectBad(['profile', config, '--timeout', '-5'], /--timeout/);
  await expectBad(['kv', config, '--samples', '30'], /--samples belongs to attention-lens profile/);
  await expectBad(['profile', file('broken-profile.json', '{"num_attention_heads": 32,')], /broken-profile\.json/);
});

test('profile --matrices: a v2 run with subgroup matrices asked for (--kernel auto would keep v1 on a GPU)', () => {
  const config = path.join(ROOT, 'test', 'fixtures', 'configs', 'deepseek-v3.json');
  for (const argv of [['profile', config, '--matrices'], ['profile', config, '--matrices', '--kernel', 'v2']]) {
    const settings = parseCli(argv).profile?.settings;
    assert.equal(settings?.kernel, 'v2', argv.join(' '));
    assert.equal(settings?.matrices, true, argv.join(' '));
  }
  assert.equal(parseCli(['profile', config]).profile?.settings.matrices, undefined);
});
