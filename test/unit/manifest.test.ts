/**
 * The extension manifest against the engine's tables: the settings' enums are the GPU presets and KV
 * dtypes the engine knows, every command the code registers is contributed with a category, and
 * activation is targeted (never `*`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GPU_PRESETS } from '../../src/core/gpus';
import { KV_DTYPE_NAMES } from '../../src/core/kvDtypes';
import { COMMANDS } from '../../src/vscode/commandIds';
import { ROOT } from './helpers';

interface Property { default?: unknown; enum?: unknown[]; description?: string; markdownDescription?: string }
/** The parts of package.json these tests read. */
interface Manifest {
  contributes: { configuration: { title: string; properties: Record<string, Property> }[]; commands: { command: string; category: string }[] };
  activationEvents: string[];
  extensionKind: string[];
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited' } };
}
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const sections = pkg.contributes.configuration;
const properties: Record<string, Property> = Object.fromEntries(sections.flatMap((s) => Object.entries(s.properties)));

test('GPU and KV dtype settings offer exactly what the engine knows', () => {
  assert.deepEqual(properties['attentionLens.gpu.preset']?.enum, GPU_PRESETS.map((g) => g.id));
  assert.deepEqual(properties['attentionLens.kv.dtype']?.enum, ['auto', ...KV_DTYPE_NAMES]);
});

test('settings are grouped in titled sections, each with a default and a description', () => {
  assert.ok(sections.every((s) => s.title.length > 0));
  for (const [key, p] of Object.entries(properties)) {
    assert.match(key, /^attentionLens\.[a-z]+\.[a-zA-Z]+$/, key);
    assert.ok('default' in p, `${key} has a default`);
    assert.ok(p.description ?? p.markdownDescription, `${key} has a description`);
  }
});

test('every command is contributed with the "Attention Lens" category; activation is targeted', () => {
  const contributed = new Map(pkg.contributes.commands.map((c) => [c.command, c]));
  for (const id of Object.values(COMMANDS)) assert.equal(contributed.get(id)?.category, 'Attention Lens', id);
  assert.equal(contributed.size, Object.values(COMMANDS).length);
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
});
