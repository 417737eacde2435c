/**
 * `node out/bench/tridiagonal.js [--n 4096] [--rows 8192] [--count 512] [--threads N] [--repeat 3]` (after
 * `npm run build:tests`): the two CPU stages of the MLA measurement that follow the tridiagonalization —
 * all eigenvalues of the tridiagonal T and the eigenvectors of its `count` largest — timed alone. T is
 * the Householder reduction of the Gram matrix of a random Gaussian rows × n matrix (the 7B MHA shape by
 * default: [W_k; W_v] is 8192 × 4096), built once (about 20 s) and cached in the temp directory, so later
 * runs time only the two stages. `--decay D` scales row i by (1 + i)^−D/2: a heavy-tailed spectrum like
 * real K/V weights', where hundreds of the top eigenvalues fall into one cluster of inverse iteration. Also prints the accuracy figures the stages promise: the largest
 * ‖T·v − λ·v‖ / ‖T‖ and the largest |vᵢ·vⱼ − δᵢⱼ| over the vectors.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { wasmKernels, jsKernels, defaultThreads } from '../src/quality/kernels';
import { Rng, tridiagonalize, tridiagonalEigenvalues, tridiagonalEigenvectors } from '../src/quality/linalg';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const n = Number(arg('n', '4096'));
const rows = Number(arg('rows', String(2 * n)));
const count = Number(arg('count', '512'));
const threads = Number(arg('threads', String(defaultThreads())));
const repeat = Number(arg('repeat', '3'));
/** Row i of the random matrix is scaled by (1 + i)^−decay/2, so the Gram's spectrum falls off like i^−decay (0: Marchenko–Pastur). */
const decay = Number(arg('decay', '0'));

function loadOrBuild(): { d: Float64Array; e: Float64Array } {
  const file = path.join(tmpdir(), `attention-lens-tridiagonal-${rows}x${n}${decay ? `-decay${decay}` : ''}.f64`);
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return { d: all.slice(0, n), e: all.slice(n, 2 * n) };
  }
  const kernels = wasmKernels(threads) ?? jsKernels;
  const t0 = performance.now();
  const result = kernels.withArena([rows * n, n * n, n, n, n, 4 * n], (arena) => {
    // Mᵀ (n × rows) so the Gram Mᵀ·M is A·Aᵀ of it, the kernel's form.
    const MT = arena.f64(n * rows);
    const rng = new Rng(7);
    for (let i = 0; i < n; i++) {
      const scale = 0.02 * (1 + i) ** (-decay / 2);
      for (let k = 0; k < rows; k++) MT[i * rows + k] = rng.gaussian() * scale;
    }
    const G = arena.f64(n * n);
    kernels.gemmABt(MT, rows, n, MT, rows, n, rows, G, n, true);
    const d = arena.f64(n), e = arena.f64(n), hInv = arena.f64(n), work = arena.f64(4 * n);
    tridiagonalize(kernels, G, n, d, e, hInv, work);
    return { d: d.slice(), e: e.slice() };
  });
  const all = new Float64Array(2 * n);
  all.set(result.d, 0);
  all.set(result.e, n);
  writeFileSync(file, new Uint8Array(all.buffer));
  console.log(`built T (Gram of ${rows} × ${n}) in ${((performance.now() - t0) / 1000).toFixed(1)} s, cached at ${file}`);
  return result;
}

function main(): void {
  const { d, e } = loadOrBuild();
  let tNorm = 0;
  for (let i = 0; i < n; i++) tNorm = Math.max(tNorm, Math.abs(d[i]!) + Math.abs(e[i]!) + Math.abs(e[i + 1] ?? 0));
  console.log(`n ${n}, ${count} vectors, ${threads} thread(s), ‖T‖∞ ${tNorm.toExponential(3)}`);
  const valueMs: number[] = [];
  const vectorMs: number[] = [];
  let values: Float64Array = new Float64Array(0);
  const vectors = new Float64Array(count * n);
  for (let r = 0; r < repeat; r++) {
    // Evict the one-entry eigenvalue cache, so every repeat computes them.
    tridiagonalEigenvalues(new Float64Array(1), new Float64Array(1));
    let t = performance.now();
    values = tridiagonalEigenvalues(d, e);
    valueMs.push(performance.now() - t);
    t = performance.now();
    tridiagonalEigenvectors(d, e, count, vectors, { threads });
    vectorMs.push(performance.now() - t);
  }
  let residual = 0;
  for (let v = 0; v < count; v++) {
    const x = vectors.subarray(v * n, (v + 1) * n);
    const lambda = values[v]!;
    let r2 = 0;
    for (let i = 0; i < n; i++) {
      const tx = d[i]! * x[i]! + (i > 0 ? e[i]! * x[i - 1]! : 0) + (i + 1 < n ? e[i + 1]! * x[i + 1]! : 0);
      r2 += (tx - lambda * x[i]!) ** 2;
    }
    residual = Math.max(residual, Math.sqrt(r2) / tNorm);
  }
  let orth = 0;
  for (let a = 0; a < count; a++) {
    for (let b = a; b < count; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += vectors[a * n + i]! * vectors[b * n + i]!;
      orth = Math.max(orth, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  const fmt = (ms: number[]): string => `${ms.map((x) => x.toFixed(0)).join(' / ')} ms (best ${Math.min(...ms).toFixed(0)})`;
  console.log(`eigenvalues:  ${fmt(valueMs)}`);
  console.log(`eigenvectors: ${fmt(vectorMs)}`);
  console.log(`λ_max ${values[0]!.toExponential(6)}, λ_${count} ${values[count - 1]!.toExponential(6)}, λ_min ${values[n - 1]!.toExponential(6)}`);
  console.log(`max ‖T·v − λ·v‖/‖T‖ ${residual.toExponential(2)}, max |VᵀV − I| ${orth.toExponential(2)}`);
}

main();
