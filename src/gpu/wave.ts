/**
 * The adapter's wave, measured: how many workgroups of the attention kernels' size (128 threads, 16 KiB
 * of workgroup memory) run at once. A fixed FMA chain per workgroup is timed at 1, 2, 4, … workgroups;
 * the time stays flat while they all fit and steps up when a second wave is needed; the step is then
 * found by bisection. Split-K launches are sized from it (attention.ts chooseSplits): whole waves, not
 * a fixed 1,024 workgroups that leave a 132-SM GPU's last wave mostly idle.
 */
import type { GpuContext } from './device';
import { peaksWgsl } from './shaders';
import { timeWork, type TimingOptions } from './timing';

export interface WaveMeasurement {
  /** Workgroups of 128 threads and 16 KiB that ran at once. */
  workgroups: number;
  /** How it follows from the measured times. */
  line: string;
}

/** A dispatch counts as one wave while it takes at most this much longer than a single workgroup. */
const ONE_WAVE = 1.5;
const MAX_WORKGROUPS = 16384;

export async function measureWave(ctx: GpuContext, options: TimingOptions, software: boolean): Promise<WaveMeasurement> {
  const { device } = ctx;
  const module = device.createShaderModule({ code: peaksWgsl('f32') });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'wave_probe' } });
  // Long enough that a workgroup's run dwarfs launch costs; a CPU adapter runs far fewer iterations.
  const iterations = software ? 2048 : 32768;
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([64, iterations, 0, 0]));
  const dst = device.createBuffer({ size: 64 * 16, usage: GPUBufferUsage.STORAGE });
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: params } }, { binding: 2, resource: { buffer: dst } }] });
  const maxWorkgroups = Math.min(MAX_WORKGROUPS, ctx.limits.maxComputeWorkgroupsPerDimension);
  const timing = { ...options, warmupPasses: 1, samples: Math.min(options.samples, 5) };
  const times = new Map<number, number>();
  const time = async (workgroups: number): Promise<number> => {
    const known = times.get(workgroups);
    if (known !== undefined) return known;
    const t = await timeWork(ctx, (pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(workgroups);
    }, timing);
    times.set(workgroups, t.medianUs);
    return t.medianUs;
  };
  try {
    ctx.throwIfErrored();
    const single = await time(1);
    const fits = async (w: number): Promise<boolean> => (await time(w)) <= ONE_WAVE * single;
    let lo = 1;
    while (lo * 2 <= maxWorkgroups && (await fits(lo * 2))) lo *= 2;
    let hi = Math.min(lo * 2, maxWorkgroups + 1);
    // Invariant: lo fits in one wave, hi does not (or is past the limit).
    while (hi - lo > Math.max(1, Math.floor(lo / 64))) {
      const mid = Math.floor((lo + hi) / 2);
      if (await fits(mid)) lo = mid;
      else hi = mid;
    }
    ctx.throwIfErrored();
    const over = times.get(hi);
    return {
      workgroups: lo,
      line: `wave = ${lo} workgroup${lo === 1 ? '' : 's'} of 128 threads × 16 KiB: 1 took ${single.toFixed(1)} µs${lo === 1 ? '' : `, ${lo} took ${times.get(lo)!.toFixed(1)} µs`}${over === undefined ? ` (${maxWorkgroups} probed at most)` : `, ${hi} took ${over.toFixed(1)} µs (> ${ONE_WAVE}× one workgroup's)`}`,
    };
  } finally {
    params.destroy();
    dst.destroy();
  }
}
