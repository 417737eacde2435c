/**
 * Householder tridiagonalization of the symmetric n×n matrix in a GPU buffer (tridiagonal.wgsl), the
 * same reflectors and layout as linalg.ts's tridiagonalize: on return row i of A holds u_i in its
 * first i columns and scal holds hInv | e | d. Steps are encoded STEPS_PER_SUBMIT at a time, each
 * reading its i from its own 256-byte uniform slot (dynamic offset); nothing is read back until the
 * end, when d, e and hInv come back as Float64Arrays.
 */
import source from './tridiagonal.wgsl';
import { type GpuSession, UNIFORM_SLOT_BYTES } from './session';

/** Steps per command buffer: few submits, yet short enough for a display driver's watchdog. */
const STEPS_PER_SUBMIT = 64;

export interface Tridiagonal {
  d: Float64Array;
  e: Float64Array;
  hInv: Float64Array;
  /** hInv | e | d on the GPU (3n f32), for the back-transform. */
  scal: GPUBuffer;
}

export async function tridiagonalizeOnGpu(s: GpuSession, A: GPUBuffer, n: number): Promise<Tridiagonal> {
  const { device } = s;
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 } },
      ...[1, 2, 3, 4].map((binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' as const } })),
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipe = (entry: string): GPUComputePipeline => s.pipeline('tridiagonal', () => source, entry, pipelineLayout);
  const house = pipe('house'), matvec = pipe('matvec'), kq = pipe('kq'), update = pipe('update'), diagonal = pipe('diagonal');

  // Slot i holds step i's (i, n); slot 0 serves the final diagonal copy.
  const slots = new Uint32Array((n * UNIFORM_SLOT_BYTES) / 4);
  for (let i = 0; i < n; i++) slots.set([i, n], (i * UNIFORM_SLOT_BYTES) / 4);
  const steps = s.uniform(slots, 'tridiagonal steps');
  const p = s.storage(n * 4, 'p');
  const q = s.storage(n * 4, 'q');
  const scal = s.storage(3 * n * 4, 'hInv | e | d');
  try {
    const group = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: steps, size: 16 } }, ...[A, p, q, scal].map((buffer, k) => ({ binding: k + 1, resource: { buffer } }))] });
    for (let top = n - 1; top >= 1; top -= STEPS_PER_SUBMIT) {
      const bottom = Math.max(1, top - STEPS_PER_SUBMIT + 1);
      s.submit((encoder) => {
        const pass = encoder.beginComputePass();
        for (let i = top; i >= bottom; i--) {
          pass.setBindGroup(0, group, [i * UNIFORM_SLOT_BYTES]);
          pass.setPipeline(house);
          pass.dispatchWorkgroups(1);
          if (i === 1) continue; // no reflector at i = 1: house records e[1] and hInv[1] = 0
          pass.setPipeline(matvec);
          pass.dispatchWorkgroups(Math.ceil(i / 8));
          pass.setPipeline(kq);
          pass.dispatchWorkgroups(1);
          pass.setPipeline(update);
          pass.dispatchWorkgroups(Math.ceil(i / 16), Math.ceil(i / 16));
        }
        pass.end();
      });
      s.check();
    }
    s.submit((encoder) => {
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, group, [0]);
      pass.setPipeline(diagonal);
      pass.dispatchWorkgroups(Math.ceil(n / 256));
      pass.end();
    });
    const back = await s.read(scal, 3 * n);
    const hInv = Float64Array.from(back.subarray(0, n));
    const e = Float64Array.from(back.subarray(n, 2 * n));
    const d = Float64Array.from(back.subarray(2 * n, 3 * n));
    hInv[0] = 0;
    e[0] = 0;
    return { d, e, hInv, scal };
  } catch (err) {
    scal.destroy();
    throw err;
  } finally {
    steps.destroy();
    p.destroy();
    q.destroy();
  }
}
