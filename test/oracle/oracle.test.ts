/**
 * `npm run test:oracle`: every fixture config against llama.cpp itself. Each fixture runs in its own
 * process, two at a time (this machine has two cores); ORACLE_ONLY=name,name narrows the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FixtureResult } from './checkFixture';
import { LlamaCppOracle, LLAMA_CPP_RELEASE, UnsupportedByLlamaCpp } from './llamaCpp';
import { byteFallbackVocabulary } from './convert/shrink';
import { str, u32 } from '../helpers/ggufWriter';

const root = join(__dirname, '..', '..', '..');
const fixtureDir = join(root, 'test', 'fixtures', 'configs');
const only = (process.env.ORACLE_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

function checkInChild(file: string): Promise<FixtureResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(__dirname, 'checkFixture.js'), file], { maxBuffer: 64 * 2 ** 20, timeout: 120_000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as FixtureResult);
      } catch {
        const why = error?.signal ? `killed by ${error.signal}` : `exit ${error?.code ?? 0}`;
        resolve({ fixture: file, modelType: '?', cases: [], loads: 0, seconds: 0, error: `the checker process died (${why}): ${stderr.trim().split('\n').slice(-8).join('\n')}` });
      }
    });
  });
}

/** Each fixture's result, as its checker finishes; two checkers at a time, in fixture order. */
const results = new Map<string, Promise<FixtureResult>>();
{
  const settle = new Map<string, (r: FixtureResult) => void>();
  for (const f of fixtures) results.set(f, new Promise((resolve) => settle.set(f, resolve)));
  const queue = [...fixtures];
  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) settle.get(f)!(await checkInChild(join(fixtureDir, f)));
  };
  void Promise.all([worker(), worker()]);
}

for (const fixture of fixtures) {
  test(`${fixture} against llama.cpp ${LLAMA_CPP_RELEASE}`, async (t) => {
    const result = await results.get(fixture)!;
    if (result.skipped) {
      t.skip(result.skipped);
      return;
    }
    assert.equal(result.error, undefined, result.error);
    t.diagnostic(`${result.modelType} → llama.cpp ${result.arch} (converter: ${result.mirrors}); ${result.loads} loads, ${result.seconds.toFixed(1)} s`);
    if (result.differsFromHf) t.diagnostic(`differs from Hugging Face: ${result.differsFromHf}`);
    assert.ok(result.cases.length > 0, 'no context was checked');
    for (const c of result.cases) {
      await t.test(c.label, () => {
        assert.equal(c.error, undefined, c.error);
        if (c.refusal) {
          assert.ok(c.refusal.llamaCpp, `we refuse (${c.refusal.ours}) what llama.cpp accepts`);
          assert.ok(c.refusal.ours, `llama.cpp refuses (${c.refusal.llamaCpp}); we gave numbers`);
          t.diagnostic(`both refuse — llama.cpp: ${c.refusal.llamaCpp}; ours: ${c.refusal.ours}`);
          return;
        }
        const cmp = c.comparison!;
        const theirs = cmp.llamaCpp.caches.map((x) => `${x.role || 'KV'} ${x.cells} cells × ${x.layers} layers K ${x.kType} ${x.kMiB} MiB V ${x.vType} ${x.vMiB} MiB`).join('; ');
        const state = cmp.llamaCpp.recurrent.map((r) => `state ${r.layers} layers ${r.totalMiB} MiB`).join('; ');
        assert.deepEqual(cmp.mismatches, [], `llama.cpp: n_ctx ${cmp.llamaCpp.nCtx}; ${theirs}${state ? `; ${state}` : ''}`);
        assert.ok(cmp.llamaCpp.caches.length + cmp.llamaCpp.recurrent.length > 0, 'llama.cpp allocated no cache: nothing was compared');
      });
    }
  });
}

test('an architecture llama.cpp does not have is reported as unsupported, with its reason', async () => {
  const oracle = await LlamaCppOracle.start();
  try {
    const metadata = { 'general.architecture': str('attention-lens-nonexistent'), 'attention-lens-nonexistent.block_count': u32(2), ...byteFallbackVocabulary() };
    await assert.rejects(oracle.loadModel(metadata), (error: Error) => {
      assert.ok(error instanceof UnsupportedByLlamaCpp, `expected UnsupportedByLlamaCpp, got ${error.name}: ${error.message}`);
      assert.match(error.message, /attention-lens-nonexistent/);
      return true;
    });
  } finally {
    await oracle.close();
  }
});
