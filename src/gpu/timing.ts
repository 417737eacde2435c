/**
 * GPU timing per kernels.md: timestamp queries at pass boundaries (quantization off), K back-to-back
 * dispatches per pass so a pass lasts ≥ 200 µs, the empty-pass cost subtracted, warm-up passes, ≥ 30
 * samples → median, min, p90. Without `timestamp-query`: wall clock around onSubmittedWorkDone.
 */
import type { GpuContext } from './device';
import { timingDisagreement } from '../shared/measurement';

export interface TimingOptions {
  warmupPasses: number;
  samples: number;
  /** Aim for passes at least this long, so per-pass overhead stays small. */
  minPassUs: number;
  /** Cap on dispatches per pass. */
  maxRepeats: number;
  signal?: AbortSignal;
  /** Give up (TooSlowError) when the first pass shows that warm-up and samples would take longer. */
  maxSeconds?: number;
  /** Give up (DispatchTooLongError) when one repetition alone runs longer: an OS GPU watchdog may reset the device. */
  maxDispatchSeconds?: number;
}

/** One repetition of the work runs longer than an OS GPU watchdog allows. */
export class DispatchTooLongError extends Error {
  constructor(readonly seconds: number, limitSeconds: number) {
    super(`one run of this case's dispatches takes ${seconds.toFixed(2)} s, over the ${limitSeconds} s a GPU watchdog (Windows TDR: 2 s) allows`);
    this.name = 'DispatchTooLongError';
  }
}

/** The measured first pass shows the timing would exceed its time limit. */
export class TooSlowError extends Error {
  constructor(readonly passUs: number, readonly estimatedSeconds: number, limitSeconds: number) {
    super(`one run takes ${(passUs / 1e6).toFixed(2)} s here, so warm-up and samples would take ~${Math.round(estimatedSeconds)} s, over the ${limitSeconds} s limit per case`);
    this.name = 'TooSlowError';
  }
}

export const DEFAULT_TIMING: TimingOptions = { warmupPasses: 10, samples: 30, minPassUs: 200, maxRepeats: 64 };

export interface Timing {
  medianUs: number;
  minUs: number;
  p90Us: number;
  /** (p90 − min) / median. */
  spread: number;
  samples: number;
  repeatsPerPass: number;
  method: 'timestamp' | 'wall-clock';
  /** Cross-check: one wall-clock pass (submit → onSubmittedWorkDone) per repetition, µs; includes submission overhead. */
  wallClockUs: number;
  /** Set when the two disagree in the impossible direction: the GPU timestamps longer than the wall clock around them. */
  note?: string;
}

/** `encode(pass, i)` records the i-th repetition of the work into the pass. */
export type EncodeWork = (pass: GPUComputePassEncoder, repetition: number) => void;

export async function timeWork(ctx: GpuContext, encode: EncodeWork, options: TimingOptions): Promise<Timing> {
  const once = ctx.hasTimestamps ? timestampPass(ctx) : undefined;
  const measure = async (repeats: number): Promise<number> => {
    if (once) return once(encode, repeats);
    return wallClockPass(ctx, encode, repeats);
  };
  const empty = once ? await emptyPassUs(once) : 0;

  // Calibrate repetitions so one pass lasts ≥ minPassUs.
  let repeats = 1;
  for (;;) {
    options.signal?.throwIfAborted();
    const us = await measure(repeats);
    if (repeats === 1 && options.maxDispatchSeconds !== undefined && us / 1e6 > options.maxDispatchSeconds) throw new DispatchTooLongError(us / 1e6, options.maxDispatchSeconds);
    const estimatedSeconds = (Math.max(us, options.minPassUs) * (options.warmupPasses + options.samples)) / 1e6;
    if (options.maxSeconds !== undefined && estimatedSeconds > options.maxSeconds) throw new TooSlowError(us / repeats, estimatedSeconds, options.maxSeconds);
    if (us >= options.minPassUs || repeats >= options.maxRepeats) break;
    repeats = Math.min(options.maxRepeats, Math.max(repeats * 2, Math.ceil((repeats * options.minPassUs) / Math.max(us, 1))));
  }
  for (let i = 0; i < options.warmupPasses; i++) {
    options.signal?.throwIfAborted();
    await measure(repeats);
  }
  const samples: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    options.signal?.throwIfAborted();
    const us = await measure(repeats);
    samples.push(Math.max(0, us - empty) / repeats);
  }
  samples.sort((a, b) => a - b);
  const wallClockUs = (await wallClockPass(ctx, encode, repeats)) / repeats;
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  const median = at(0.5);
  const method = once ? 'timestamp' as const : 'wall-clock' as const;
  const note = timingDisagreement(method, samples[0]!, wallClockUs);
  return {
    medianUs: median,
    minUs: samples[0]!,
    p90Us: at(0.9),
    spread: median > 0 ? (at(0.9) - samples[0]!) / median : 0,
    samples: samples.length,
    repeatsPerPass: repeats,
    method,
    wallClockUs,
    ...(note ? { note } : {}),
  };
}

async function wallClockPass(ctx: GpuContext, encode: EncodeWork, repeats: number): Promise<number> {
  const t0 = performance.now();
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let i = 0; i < repeats; i++) encode(pass, i);
  pass.end();
  ctx.device.queue.submit([encoder.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) * 1000;
}

type PassTimer = (encode: EncodeWork, repeats: number) => Promise<number>;

function timestampPass(ctx: GpuContext): PassTimer {
  const { device } = ctx;
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return async (encode, repeats) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    for (let i = 0; i < repeats; i++) encode(pass, i);
    pass.end();
    encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    return Number(t[1]! - t[0]!) / 1000;
  };
}

async function emptyPassUs(timer: PassTimer): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 8; i++) xs.push(await timer(() => undefined, 0));
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}
