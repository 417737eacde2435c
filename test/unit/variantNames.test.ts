/**
 * One vocabulary for variants and targets: every spelling a user may type (gqa8 / gqa-8, mla256 /
 * mla-256, int8 / kv-int8, window4096 / window-4096) means the same thing in `profile --variants`,
 * `quality --targets` and the report's evidence lookup, and is named one way in results.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseVariantName, variantName } from '../../src/core/variantNames';
import { parseTarget } from '../../src/core/evidence';
import { parseMeasureTargets, targetName } from '../../src/quality/targets';
import { selectShapes } from '../../src/core/profilePlan';
import { deriveAttentionSpec } from '../../src/core/attentionSpec';
import { loadModelConfig } from '../../src/core/modelConfig';

const ROOT = path.resolve(__dirname, '../../..');

test('each spelling parses to one canonical name', () => {
  const same: [string[], string][] = [
    [['gqa8', 'gqa-8', 'GQA_8', ' gqa-8 '], 'gqa-8'],
    [['mla256', 'mla-256', 'MLA_256'], 'mla-256'],
    [['int8', 'kv-int8', 'KV_int8'], 'kv-int8'],
    [['q4_0', 'kv-q4_0'], 'kv-q4_0'],
    [['window4096', 'window-4096'], 'window-4096'],
    [['mla-naive', 'mla_naive'], 'mla-naive'],
    [['mqa', 'MQA'], 'mqa'],
    [['mla'], 'mla'],
  ];
  for (const [spellings, canonical] of same) {
    for (const s of spellings) assert.equal(variantName(parseVariantName(s)!), canonical, s);
  }
  for (const junk of ['gqa', 'gqa-04', 'gqa-4.5', 'fp16', 'kv-fp16', 'int9', 'window', 'mla-', '']) assert.equal(parseVariantName(junk), undefined, junk);
});

test('quality --targets, the evidence lookup and profile --variants read the same spellings the same way', () => {
  // The README's own quality example.
  assert.deepEqual(parseMeasureTargets(['gqa4', 'mqa', 'mla256', 'kv-int8', 'kv-int4']).map(targetName), ['gqa-4', 'mqa', 'mla-256', 'kv-int8', 'kv-int4']);
  assert.deepEqual(parseMeasureTargets(['gqa-4', 'gqa4', 'int8', 'kv-int8']).map(targetName), ['gqa-4', 'kv-int8'], 'duplicates by meaning are one target');
  assert.deepEqual(parseTarget('gqa4'), parseTarget('gqa-4'));
  assert.deepEqual(parseTarget('mla256'), parseTarget('mla-256'));
  assert.deepEqual(parseTarget('int8'), parseTarget('kv-int8'));
  const file = path.join(ROOT, 'examples', 'llama-3.1-8b', 'config.json');
  const spec = deriveAttentionSpec(loadModelConfig(file, readFileSync(file, 'utf8')));
  const ids = (names: string[]): string[] => selectShapes(spec, names, 512, 64).map((s) => s.id);
  assert.deepEqual(ids(['gqa8', 'mla256']), ids(['gqa-8', 'mla-256']));
  assert.throws(() => selectShapes(spec, ['int8'], 512, 64), /"int8" is a KV dtype or window, not a kernel variant/);
  assert.throws(() => parseMeasureTargets(['mha']), /"mha" is not a measurable target/);
});
