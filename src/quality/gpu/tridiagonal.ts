/**
 * Householder tridiagonalization of the symmetric n×n matrix in a GPU buffer, the same reflectors and
 * layout as linalg.ts's tridiagonalize: on return row i of A holds u_i in its first i columns and scal
 * holds hInv | e | d. Two forms with that one contract:
 *
 * - 'blocked' (the default; LAPACK DSYTRD with DLATRD panels, in this project's step order n−1 … 1):
 *   the steps run in panels of nb; within a panel the leading block is not touched, each step's
 *   mat-vec is corrected by the panel's accumulated u_j, q_j instead (tridiagonalPanel.wgsl), and once
 *   per panel the leading block takes A ← A − V·Wᵀ − W·Vᵀ as one tiled product of inner size 2·nb
 *   (matmul.wgsl). Memory traffic ≈ n³/3 floats for the mat-vecs + 2·n³/(3·nb) for the updates,
 *   against ≈ n³ for the per-column form, and half the flops run as a matmul.
 * - 'per-column' (the reference, tridiagonal.wgsl): reflector, A·u, q and a rank-2 update of the
 *   leading block per step.
 *
 * Steps read their i (and panel) from their own 256-byte uniform slot (dynamic offset), so many are
 * encoded per command buffer; nothing is read back until the end, when d, e and hInv come back as
 * Float64Arrays.
 */
import source from './tridiagonal.wgsl';
import panelSource from './tridiagonalPanel.wgsl';
import { encodeMatmuls, rowMajor, transposed } from './matmul';
import { type GpuSession, UNIFORM_SLOT_BYTES } from './session';

/** Steps per command buffer (per-column form): few submits, yet short enough for a display driver's watchdog. */
const STEPS_PER_SUBMIT = 64;
/** Steps per panel (blocked form): the update's inner size is 2·nb, half the matmul tile's width at 32. */
export const TRIDIAGONAL_PANEL = 32;
/** The panel kernels let one lane of 32 carry each previous step's correction (matvecPanel). */
const MAX_PANEL = 32;

/** Blocked panels (the default) or one column at a time (the reference, for tests and the bench). */
export type TridiagonalKind = 'blocked' | 'per-column';

export interface Tridiagonal {
  d: Float64Array;
  e: Float64Array;
  hInv: Float64Array;
  /** hInv | e | d on the GPU (3n f32), for the back-transform. */
  scal: GPUBuffer;
}

export function tridiagonalizeOnGpu(s: GpuSession, A: GPUBuffer, n: number, kind: TridiagonalKind = 'blocked', nb = TRIDIAGONAL_PANEL): Promise<Tridiagonal> {
  if (kind === 'per-column') return tridiagonalizePerColumn(s, A, n);
  if (!(nb >= 1 && nb <= MAX_PANEL)) throw new Error(`tridiagonal panel ${nb}: choose 1 … ${MAX_PANEL}`);
  return tridiagonalizeBlocked(s, A, n, nb);
}

/** d, e, hInv from scal (the last submission's result): nothing else is read back. */
/** Both forms end alike: the diagonal copied out of A (uniform slot 0), then d, e, 1/h read back. */
async function copyDiagonalAndRead(s: GpuSession, group: GPUBindGroup, diagonal: GPUComputePipeline, scal: GPUBuffer, n: number): Promise<Tridiagonal> {
  s.submit((encoder) => {
    const pass = encoder.beginComputePass();
    pass.setBindGroup(0, group, [0]);
    pass.setPipeline(diagonal);
    pass.dispatchWorkgroups(Math.ceil(n / 256));
    pass.end();
  });
  return readScal(s, scal, n);
}

async function readScal(s: GpuSession, scal: GPUBuffer, n: number): Promise<Tridiagonal> {
  const back = await s.read(scal, 3 * n);
  const hInv = Float64Array.from(back.subarray(0, n));
  const e = Float64Array.from(back.subarray(n, 2 * n));
  const d = Float64Array.from(back.subarray(2 * n, 3 * n));
  hInv[0] = 0;
  e[0] = 0;
  return { d, e, hInv, scal };
}

async function tridiagonalizeBlocked(s: GpuSession, A: GPUBuffer, n: number, nb: number): Promise<Tridiagonal> {
  const { device } = s;
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 } },
      ...[1, 2, 3, 4, 5].map((binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' as const } })),
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipe = (entry: string): GPUComputePipeline => s.pipeline('tridiagonal-blocked', () => `${source}\n${panelSource}`, entry, pipelineLayout);
  const correct = pipe('correct'), house = pipe('house'), dots = pipe('dotsPanel'), matvec = pipe('matvecPanel'), kq = pipe('kqPanel'), diagonal = pipe('diagonal');

  // Panels from the bottom: [bot, top] with top = n − 1 − nb·k; the last one ends at step 1.
  const panels: { bot: number; top: number }[] = [];
  for (let top = n - 1; top >= 1; top -= nb) panels.push({ bot: Math.max(1, top - nb + 1), top });
  // Slot i holds step i's (i, n, bot, top); slot 0 serves the final diagonal copy.
  const slots = new Uint32Array((Math.max(1, n) * UNIFORM_SLOT_BYTES) / 4);
  slots.set([0, n, 0, 0]);
  for (const { bot, top } of panels) for (let i = bot; i <= top; i++) slots.set([i, n, bot, top], (i * UNIFORM_SLOT_BYTES) / 4);
  const owned: GPUBuffer[] = [];
  const keep = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  const scal = s.storage(3 * n * 4, 'hInv | e | d');
  try {
    const steps = keep(s.uniform(slots, 'tridiagonal steps'));
    const p = keep(s.storage(n * 4, 'p'));
    // [W; V] and [V; W] of the panel (q rows, then u rows; size·n floats each half): the update is
    // [V; W]ᵀ·[W; V] = V·Wᵀ + W·Vᵀ in one product. The kernels write W into the first.
    const WV = keep(s.storage(2 * nb * n * 4, 'panel [W; V]'));
    const VW = keep(s.storage(2 * nb * n * 4, 'panel [V; W]'));
    const dotBuffer = keep(s.storage(2 * nb * 4, 'panel dots'));
    const group = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: steps, size: 16 } }, ...[A, p, WV, scal, dotBuffer].map((buffer, k) => ({ binding: k + 1, resource: { buffer } }))] });
    for (const { bot, top } of panels) {
      const size = top - bot + 1;
      s.submit((encoder) => {
        const pass = encoder.beginComputePass();
        for (let i = top; i >= bot; i--) {
          pass.setBindGroup(0, group, [i * UNIFORM_SLOT_BYTES]);
          if (i < top) {
            pass.setPipeline(correct);
            pass.dispatchWorkgroups(Math.ceil((i + 1) / 256));
          }
          pass.setPipeline(house);
          pass.dispatchWorkgroups(1);
          if (i < top) {
            pass.setPipeline(dots);
            pass.dispatchWorkgroups(2 * (top - i));
          }
          // Run at i = 1 too (hInv[1] = 0, so q = 0): the panel's W row must not hold an older panel's q.
          pass.setPipeline(matvec);
          pass.dispatchWorkgroups(Math.ceil(i / 8));
          pass.setPipeline(kq);
          pass.dispatchWorkgroups(1);
        }
        pass.end();
        // The update of the leading bot×bot block. bot = 1 leaves A[0][0], which d[0] needs too.
        const rowBytes = n * 4;
        encoder.copyBufferToBuffer(A, bot * rowBytes, WV, size * rowBytes, size * rowBytes);
        encoder.copyBufferToBuffer(A, bot * rowBytes, VW, 0, size * rowBytes);
        encoder.copyBufferToBuffer(WV, 0, VW, size * rowBytes, size * rowBytes);
        keep(encodeMatmuls(s, encoder, [{ M: bot, N: bot, K: 2 * size, A: transposed(VW, n), B: rowMajor(WV, n), C: { buffer: A, ld: n }, alpha: -1, accumulate: true }]));
      });
      s.check();
    }
    return await copyDiagonalAndRead(s, group, diagonal, scal, n);
  } catch (err) {
    scal.destroy();
    throw err;
  } finally {
    // Destroyed buffers still serve the work already submitted.
    for (const b of owned) b.destroy();
  }
}

/** The per-column reference: four dispatches per step, the leading block updated every step. */
async function tridiagonalizePerColumn(s: GpuSession, A: GPUBuffer, n: number): Promise<Tridiagonal> {
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
    return await copyDiagonalAndRead(s, group, diagonal, scal, n);
  } catch (err) {
    scal.destroy();
    throw err;
  } finally {
    steps.destroy();
    p.destroy();
    q.destroy();
  }
}
