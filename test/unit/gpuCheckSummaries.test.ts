/**
 * What gpu:check reads back from its parts: the GPU tests' counts from Node's own TAP reporter (run
 * here on a small test file, not typed by hand), and the quality figures of the GPU and CPU paths.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compareQuality, parseTap, qualityRun, QUALITY_AGREEMENT } from '../../bench/check/summaries';
import { resultsSlug } from '../../bench/kernelsMarkdown';

test("the TAP counts and failed tests' names, from Node's own reporter", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-tap-'));
  try {
    const file = path.join(dir, 'sample.test.mjs');
    writeFileSync(file, [
      "import { test } from 'node:test';",
      "test('passes', () => {});",
      "test('decode fails on purpose', () => { throw new Error('boom'); });",
      "test('skipped on purpose', { skip: true }, () => {});",
      "test('also passes', () => {});",
    ].join('\n'));
    const tap = path.join(dir, 'out.tap');
    // Without NODE_TEST_CONTEXT, or the child reports to this runner instead of the file.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    spawnSync(process.execPath, ['--test', '--test-reporter=tap', `--test-reporter-destination=${tap}`, file], { encoding: 'utf8', env });
    const s = parseTap(readFileSync(tap, 'utf8'))!;
    assert.equal(s.tests, 4);
    assert.equal(s.pass, 2);
    assert.equal(s.fail, 1);
    assert.equal(s.skipped, 1);
    assert.deepEqual(s.failures, ['decode fails on purpose']);
    assert.ok(s.durationMs !== null && s.durationMs > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(parseTap('not TAP at all'), null);
});

test('quality: the last bench row read back, GPU figures held against the CPU ones', () => {
  const row = (k: number, e: number) => ({ group: 'all of the above', secondsPerLayer: 1.5, backend: { kind: 'cpu' }, mlaStagesMsPerLayer: { gramMs: 10 }, conversions: [{ target: 'mla-256', kRelError: k, vRelError: 0.5, energyRetained: e, rank99: 600 }, { target: 'mqa', kRelError: 0.7, vRelError: 0.7 }] });
  const gpu = qualityRun({ measured: [row(0.1, 0.4), row(0.30001, 0.6)] }, 'gpu')!;
  const cpu = qualityRun({ measured: [row(0.3, 0.6)] }, 'cpu')!;
  assert.equal(gpu.conversions[0]!.kRelError, 0.30001, 'the last row: "all of the above"');
  const a = compareQuality(gpu, cpu);
  assert.deepEqual(a.map((x) => `${x.target} ${x.field}`), ['mla-256 kRelError', 'mla-256 vRelError', 'mla-256 energyRetained', 'mqa kRelError', 'mqa vRelError']);
  const k = a.find((x) => x.field === 'kRelError' && x.target === 'mla-256')!;
  assert.ok(Math.abs(k.absoluteDifference - 1e-5) < 1e-12);
  assert.ok(k.absoluteDifference <= QUALITY_AGREEMENT);
  assert.equal(qualityRun({ measured: [] }, 'gpu'), null);
  assert.equal(qualityRun(null, 'gpu'), null);
});

test("results files are named by the adapter's device, not its driver versions", () => {
  assert.equal(resultsSlug('llvmpipe (LLVM 15.0.6, 256 bits)', 'vulkan'), 'llvmpipe-vulkan');
  // Dawn's name for lavapipe with its device string: versions in the device token say no more than the head.
  assert.equal(resultsSlug('llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 llvmpipe-llvm-15-0-6-256-bits-', 'vulkan'), 'llvmpipe-vulkan');
  // Dawn's name for the H200 of 2026-12-04: the vendor, the driver's versions, then the device.
  assert.equal(resultsSlug('NVIDIA: 580.159.04 580.159.4.0 nvidia-h200', 'vulkan'), 'nvidia-h200-vulkan');
  assert.equal(resultsSlug('Apple M3 Max', 'metal'), 'apple-m3-max-metal');
});
