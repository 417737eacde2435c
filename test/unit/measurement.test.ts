/** When a measurement is flagged rather than trusted: drifting peaks and timestamps the wall clock contradicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peakDrift, PEAK_DRIFT_LIMIT, timingDisagreement } from '../../src/shared/measurement';
import type { DevicePeaks } from '../../src/shared/profileProtocol';

const peaks = (copyGBps: number, readGBps: number | undefined, f32TFlops: number, f16TFlops: number | null): DevicePeaks => ({
  copyGBps, ...(readGBps === undefined ? {} : { readGBps }), f32TFlops, f16TFlops, derivation: [],
});

test('peak drift: each peak\'s relative change, worst first; peaks one side lacks are left out', () => {
  const drift = peakDrift(peaks(1000, 1600, 50, 100), peaks(980, 1300, 51, null));
  assert.deepEqual(drift.map((d) => d.peak), ['read', 'copy', 'f32 FMA']);
  assert.ok(Math.abs(drift[0]!.change - -0.1875) < 1e-12);
  assert.ok(Math.abs(drift[1]!.change - -0.02) < 1e-12);
  assert.ok(Math.abs(drift[0]!.change) > PEAK_DRIFT_LIMIT && Math.abs(drift[1]!.change) < PEAK_DRIFT_LIMIT);
  // A report written before the read peak existed compares what both have.
  assert.deepEqual(peakDrift(peaks(1000, undefined, 50, null), peaks(1000, 1500, 50, null)).map((d) => d.peak), ['copy', 'f32 FMA']);
});

test('timestamps longer than the wall clock around them (their fastest sample) are flagged; the other direction is overhead', () => {
  assert.equal(timingDisagreement('timestamp', 100, 150), undefined);
  assert.equal(timingDisagreement('timestamp', 105, 100), undefined, 'within 10% slack');
  assert.match(timingDisagreement('timestamp', 200, 100) ?? '', /timestamps \(fastest sample 200\.0 µs\) exceed the wall clock .* \(100\.0 µs\)/);
  assert.equal(timingDisagreement('wall-clock', 200, 100), undefined, 'wall-clock timing has nothing to cross-check');
  assert.equal(timingDisagreement('timestamp', 200, 0), undefined, 'no wall-clock figure');
});
