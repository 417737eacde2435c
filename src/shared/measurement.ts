/**
 * The checks that decide whether a measurement can be trusted, apart from the GPU code that takes it (the
 * engine's tests run them without a device): clocks that moved between the start and end of a run, and
 * GPU timestamps that disagree with the wall clock around them.
 */
import type { DevicePeaks } from './profileProtocol';

/** Relative change of each peak between two measurements of the same device, worst first. */
export function peakDrift(before: DevicePeaks, after: DevicePeaks): { peak: string; change: number }[] {
  const pairs: [string, number | null | undefined, number | null | undefined][] = [
    ['copy', before.copyGBps, after.copyGBps],
    ['read', before.readGBps, after.readGBps],
    ['f32 FMA', before.f32TFlops, after.f32TFlops],
    ['f16 FMA', before.f16TFlops, after.f16TFlops],
  ];
  return pairs
    .filter((x): x is [string, number, number] => typeof x[1] === 'number' && typeof x[2] === 'number' && x[1] > 0)
    .map(([peak, a, b]) => ({ peak, change: (b - a) / a }))
    .sort((x, y) => Math.abs(y.change) - Math.abs(x.change));
}

/** Peaks that moved more than this between the start and the end of a run flag it. */
export const PEAK_DRIFT_LIMIT = 0.1;

/**
 * Timestamps may not exceed the wall clock that encloses the same work. The wall-clock pass is one
 * sample, so it is held against the fastest timestamped sample (a noisy run's median can exceed one
 * lucky pass), with 10% slack for the clocks' own resolution.
 */
export function timingDisagreement(method: 'timestamp' | 'wall-clock', minUs: number, wallClockUs: number): string | undefined {
  if (method !== 'timestamp' || !(wallClockUs > 0) || minUs <= wallClockUs * 1.1) return undefined;
  return `GPU timestamps (fastest sample ${minUs.toFixed(1)} µs) exceed the wall clock around the same work (${wallClockUs.toFixed(1)} µs): the timestamps are not trustworthy on this adapter`;
}

