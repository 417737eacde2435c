/**
 * Every command README.md shows is either run by `npm run test:readme` (test/readme/) or skipped there
 * for a stated reason; this fails in `npm test` as soon as the README shows one the test does not know.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { planFor, quickProfile, readmeCommands } from '../readme/commands';
import { ROOT } from './helpers';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('README: every command in its code blocks is run by test:readme or skipped with a reason', () => {
  const commands = readmeCommands(readme);
  const unknown = commands.filter((c) => planFor(c.text) === undefined).map((c) => `README.md:${c.line}: ${c.text}`);
  assert.deepEqual(unknown, [], 'teach test/readme/commands.ts to run these (or say why not)');
  // The extraction finds what the README shows: the CLI lines, the prompted profile sample, the npm lines.
  const run = commands.filter((c) => planFor(c.text)?.run);
  assert.ok(run.filter((c) => c.text.startsWith('attention-lens ')).length >= 9, run.map((c) => c.text).join('\n'));
  assert.ok(commands.some((c) => c.text.startsWith('attention-lens profile') && c.text.includes('--samples 10')), 'the $-prompted sample run');
  assert.ok(commands.some((c) => c.text === 'npm run example'));
  assert.ok(commands.some((c) => c.text === 'npm ci') && commands.every((c) => !c.text.includes('&&') && !/\s#\s/.test(c.text)));
});

test('README commands: extraction and plans', () => {
  const md = [
    '```sh', 'npm ci && npm run example   # all examples', 'attention-lens kv x.json', '# a comment', '```',
    '```jsonc', '{ "attention-lens": 1 }', '```',
    '```', '$ attention-lens profile c.json --contexts 4k,1k,16k --samples 10', 'output line', '```',
  ].join('\n');
  assert.deepEqual(readmeCommands(md), [
    { line: 2, text: 'npm ci' }, { line: 2, text: 'npm run example' }, { line: 3, text: 'attention-lens kv x.json' },
    { line: 10, text: 'attention-lens profile c.json --contexts 4k,1k,16k --samples 10' },
  ]);
  assert.equal(quickProfile('attention-lens profile c.json --contexts 4k,1k,16k --samples 10'), 'attention-lens profile c.json --contexts 1k --samples 2 --warmup 1');
  assert.equal(quickProfile('attention-lens profile c.json --mode decode'), 'attention-lens profile c.json --mode decode --contexts 1k --samples 2 --warmup 1');
  assert.equal(planFor('rm -rf /'), undefined);
  assert.equal(planFor('npm run something-new'), undefined);
  assert.deepEqual(planFor('npm run test:oracle'), { run: false, reason: 'the test suites themselves: .ci/run runs each of them' });
  assert.equal(planFor('npm run bench:peers')?.run, false);
  const list = planFor('attention-lens profile --list-adapters');
  assert.ok(list?.run && list.command === 'attention-lens profile --list-adapters', 'listing adapters is not a profile run');
});
