/**
 * The llama.cpp oracle's reach, kept honest: every fixture family is either converted for llama.cpp or
 * said to be out of its reach, and the README's "Checked against llama.cpp itself" table names each one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILIES, NOT_IN_LLAMA_CPP } from '../oracle/convert/index';
import { parseJsonSource, valueAt } from '../../src/core/jsonSource';

const root = join(__dirname, '..', '..', '..');
const fixtureDir = join(root, 'test', 'fixtures', 'configs');

/** The model_type the oracle picks a converter by: the text config's, for multimodal configs. */
function fixtureModelTypes(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of readdirSync(fixtureDir).filter((f) => f.endsWith('.json'))) {
    const config = valueAt(parseJsonSource(readFileSync(join(fixtureDir, file), 'utf8')), []) as Record<string, unknown>;
    const text = config.text_config as Record<string, unknown> | undefined;
    const candidates = [text?.model_type, config.model_type].filter((t): t is string => typeof t === 'string');
    out.set(file, candidates.find((t) => t in FAMILIES || t in NOT_IN_LLAMA_CPP) ?? candidates[0] ?? '');
  }
  return out;
}

test('every fixture family has a llama.cpp converter or a stated reason llama.cpp cannot load it', () => {
  const missing = [...fixtureModelTypes()].filter(([, type]) => !(type in FAMILIES) && !(type in NOT_IN_LLAMA_CPP));
  assert.deepEqual(missing, [], 'add these families to test/oracle/convert/ (or to NOT_IN_LLAMA_CPP with the reason)');
  for (const [type, family] of Object.entries(FAMILIES)) {
    assert.match(family.mirrors, /conversion\/\w+\.py:\d+/, `${type}: cite the converter class and line it mirrors`);
  }
});

test("the README's llama.cpp table names every fixture family", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split('### Checked against llama.cpp itself')[1]?.split('\n## ')[0] ?? '';
  assert.ok(section.length > 0, 'README has no "Checked against llama.cpp itself" section');
  const named = new Set<string>();
  for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const firstCell = line.split('|')[1] ?? '';
    for (const m of firstCell.matchAll(/`([^`]+)`/g)) named.add(m[1]!);
  }
  const unnamed = [...new Set(fixtureModelTypes().values())].filter((type) => !named.has(type));
  assert.deepEqual(unnamed, [], 'add a row for these families to the README table');
  for (const type of Object.keys(NOT_IN_LLAMA_CPP)) {
    if (named.has(type)) assert.match(section, new RegExp(`\`${type}\`[^\\n]*cannot load`), `${type}: the README row must say llama.cpp cannot load it`);
  }
});
