/**
 * The hot loops of the weight measurement, twice: a WebAssembly module with 128-bit SIMD (f64x2),
 * assembled here byte by byte (no toolchain, no dependency), and plain JavaScript with the same
 * results (the fallback, and the reference the tests compare against). All in Float64.
 *
 * WebAssembly works on its own linear memory, so every large array lives in an arena: `withArena`
 * reserves the bytes a computation needs up front (growing the memory before any view exists — a grow
 * detaches old views) and hands out Float64Array views of it, valid only inside the callback.
 *
 * With threads > 1 the memory is shared and helper worker_threads (started once, unref'd, blocked on
 * Atomics.wait between commands) take a share of the A·Bᵀ column blocks, of the rows of each
 * tridiagonalization step and of the back-transformed vectors; results equal the single-thread ones up
 * to the order of floating-point sums.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface Arena {
  /** A zeroed Float64Array of n elements inside the arena. */
  f64(n: number): Float64Array;
}

export interface Kernels {
  readonly kind: 'wasm-simd' | 'js';
  /** Threads the heavy loops run on (1: this thread only). */
  readonly threads: number;
  /** Runs fn with an arena holding arrays of these element counts (8-byte elements, 16-byte aligned). */
  withArena<T>(counts: number[], fn: (arena: Arena) => T): T;
  /**
   * C[i·ldc + j] += Σ_k A[i·lda + k] · B[j·ldb + k] for i < aRows, j < bRows, k < k: A·Bᵀ with both
   * operands row-major (rows of both are contiguous in k). `lower`: only blocks on or below the diagonal
   * are guaranteed (for a Gram matrix A·Aᵀ; entries with j ≤ i are exact, some above are also written).
   */
  gemmABt(A: Float64Array, lda: number, aRows: number, B: Float64Array, ldb: number, bRows: number, k: number, C: Float64Array, ldc: number, lower?: boolean): void;
  /**
   * Rows 0 … rows−1 of one fused Householder step (linalg.tridiagonalize), on the lower triangle of the
   * n-stride matrix A: with f = uPrev[j], g = q[j], row j gets the previous step's rank-2 update
   * A[j][k] −= f·q[k] + g·uPrev[k] (k < j; the diagonal −= 2·f·g), then feeds the next step's
   * product: p[k] += A[j][k]·u[j] (k < j) and p[j] += Σ_{k<j} A[j][k]·u[k] + A[j][j]·u[j].
   * p must be zero over 0 … rows−1 on entry. Pass zero vectors for a missing update or reflector.
   */
  tridiagRows(A: Float64Array, n: number, rows: number, q: Float64Array, uPrev: Float64Array, u: Float64Array, p: Float64Array): void;
  /**
   * x ← P_{n−1}···P_1·x for each of the `count` rows x of Z (count × n), P_i = I − hInv[i]·u_i·u_iᵀ with
   * u_i = A[i][0 … i−1]: the Householder vectors tridiagonalize left in A's rows.
   */
  backTransform(A: Float64Array, n: number, hInv: Float64Array, Z: Float64Array, count: number): void;
}

// ───────────────────────── JavaScript ─────────────────────────

class JsArena implements Arena {
  private used = 0;
  constructor(private readonly buffer: ArrayBufferLike, private readonly base: number, private readonly limit: number) {}
  f64(n: number): Float64Array {
    const bytes = align16(n * 8);
    if (this.base + this.used + bytes > this.limit) throw new Error(`arena overflow: ${n} doubles`);
    const view = new Float64Array(this.buffer, this.base + this.used, n);
    view.fill(0);
    this.used += bytes;
    return view;
  }
}

const align16 = (b: number): number => Math.ceil(b / 16) * 16;
export const arenaBytes = (counts: number[]): number => counts.reduce((s, n) => s + align16(n * 8), 0);

/** Reflectors are applied in blocks of this many, so a block stays in cache while every vector passes. */
const REFLECTOR_BLOCK = 64;

function jsTridiagRows(A: Float64Array, n: number, rows: number, q: Float64Array, uPrev: Float64Array, u: Float64Array, p: Float64Array, j0 = 0): void {
  for (let j = j0; j < rows; j++) {
    const rj = j * n;
    const f = uPrev[j]!, g = q[j]!, uj = u[j]!;
    let s = 0;
    for (let k = 0; k < j; k++) {
      const a = A[rj + k]! - f * q[k]! - g * uPrev[k]!;
      A[rj + k] = a;
      s += a * u[k]!;
      p[k] = p[k]! + a * uj;
    }
    const diag = A[rj + j]! - 2 * f * g;
    A[rj + j] = diag;
    p[j] = p[j]! + s + diag * uj;
  }
}

export const jsKernels: Kernels = {
  kind: 'js',
  threads: 1,
  withArena(counts, fn) {
    const bytes = Math.max(16, arenaBytes(counts));
    return fn(new JsArena(new ArrayBuffer(bytes), 0, bytes));
  },
  gemmABt(A, lda, aRows, B, ldb, bRows, k, C, ldc, lower = false) {
    for (let i = 0; i < aRows; i++) {
      const a = i * lda;
      const jEnd = lower ? Math.min(bRows, i + 1) : bRows;
      for (let j = 0; j < jEnd; j++) {
        const b = j * ldb;
        let s = 0;
        for (let t = 0; t < k; t++) s += A[a + t]! * B[b + t]!;
        C[i * ldc + j] = C[i * ldc + j]! + s;
      }
    }
  },
  tridiagRows(A, n, rows, q, uPrev, u, p) {
    jsTridiagRows(A, n, rows, q, uPrev, u, p);
  },
  backTransform(A, n, hInv, Z, count) {
    for (let i0 = 1; i0 < n; i0 += REFLECTOR_BLOCK) {
      const i1 = Math.min(n, i0 + REFLECTOR_BLOCK);
      for (let v = 0; v < count; v++) {
        const x = v * n;
        for (let i = i0; i < i1; i++) {
          const c = hInv[i]!;
          if (c === 0) continue;
          const ui = i * n;
          let s = 0;
          for (let k = 0; k < i; k++) s += A[ui + k]! * Z[x + k]!;
          s *= c;
          for (let k = 0; k < i; k++) Z[x + k] = Z[x + k]! - s * A[ui + k]!;
        }
      }
    }
  },
};

// ───────────────────────── WebAssembly assembler ─────────────────────────

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
type Code = number | Code[];
const simd = (opcode: number, ...imm: number[]): number[] => [0xfd, ...uleb(opcode), ...imm];
const O = {
  i32: (v: number) => [0x41, ...sleb(v)],
  add: 0x6a, sub: 0x6b, mul: 0x6c, shl: 0x74, ltS: 0x48, geS: 0x4e, and: 0x71,
  block: [0x02, 0x40], loop: [0x03, 0x40], end: 0x0b, br: (d: number) => [0x0c, ...uleb(d)], brIf: (d: number) => [0x0d, ...uleb(d)],
  ifVoid: [0x04, 0x40],
  f64Load: [0x2b, 3, 0], f64Store: [0x39, 3, 0],
  fadd: 0xa0, fsub: 0xa1, fmul: 0xa2, f64c: (v: number) => { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, v, true); return [0x44, ...new Uint8Array(b.buffer)]; },
  vLoad: simd(0x00, 4, 0), vStore: simd(0x0b, 4, 0), vZero: simd(0x0c, ...new Array<number>(16).fill(0)),
  splat: simd(0x14), lane: (l: number) => simd(0x21, l), vadd: simd(0xf0), vsub: simd(0xf1), vmul: simd(0xf2),
};

interface Func {
  name: string;
  params: number[];
  results: number[];
  locals: number[];
  code: Code[];
}

function assemble(funcs: Func[], shared: boolean): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  const bodies = funcs.map((f) => {
    const groups: [number, number][] = [];
    for (const t of f.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body = [...vec(groups.map(([n, t]) => [...uleb(n), t])), ...(f.code.flat(Infinity as 1) as number[]), O.end];
    return [...uleb(body.length), ...body];
  });
  // Memory import env.mem: limits min 1, max 65536 pages (shared needs a maximum).
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, ...limits]])),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

/** A function builder with named locals. */
function fn(fname: string, params: [string, number][], results: number[], locals: [string, number][], body: (l: (n: string) => { get: number[]; set: number[]; tee: number[] }) => Code[]): Func {
  const index = new Map<string, number>();
  [...params, ...locals].forEach(([n], i) => index.set(n, i));
  const l = (n: string) => {
    const i = index.get(n);
    if (i === undefined) throw new Error(`wasm local ${n}`);
    return { get: [0x20, ...uleb(i)], set: [0x21, ...uleb(i)], tee: [0x22, ...uleb(i)] };
  };
  return { name: fname, params: params.map(([, t]) => t), results, locals: locals.map(([, t]) => t), code: body(l) };
}

/** `while (cond) { body }` with cond leaving an i32 that is nonzero to continue. */
const whileLoop = (cond: Code[], body: Code[]): Code[] => [O.block, O.loop, cond, 0x45 /* i32.eqz */, O.brIf(1), body, O.br(0), O.end, O.end];

function buildModule(shared: boolean): Uint8Array {
  // gemm(a, lda, b, ldb, c, ldc, m, n, k): byte addresses, leading dims in elements; m % 2 = n % 4 = k % 2 = 0.
  const gemm = fn('gemm', [['a', I32], ['lda', I32], ['b', I32], ['ldb', I32], ['c', I32], ['ldc', I32], ['m', I32], ['n', I32], ['k', I32]], [],
    [['i', I32], ['j', I32], ['kk', I32], ['kend', I32], ['pa0', I32], ['pa1', I32], ['pb0', I32], ['pb1', I32], ['pb2', I32], ['pb3', I32], ['pc', I32],
      ['x0', V128], ['x1', V128], ['y0', V128], ['y1', V128], ['y2', V128], ['y3', V128],
      ['c00', V128], ['c01', V128], ['c02', V128], ['c03', V128], ['c10', V128], ['c11', V128], ['c12', V128], ['c13', V128]],
    (l) => {
      const rowBytes = (ld: string): Code[] => [l(ld).get, O.i32(3), O.shl];
      return [
        O.i32(0), l('i').set, l('k').get, O.i32(3), O.shl, l('kend').set,
        whileLoop([l('i').get, l('m').get, O.ltS], [
          l('a').get, l('i').get, l('lda').get, O.mul, O.i32(3), O.shl, O.add, l('pa0').tee, rowBytes('lda'), O.add, l('pa1').set,
          O.i32(0), l('j').set,
          whileLoop([l('j').get, l('n').get, O.ltS], [
            l('b').get, l('j').get, l('ldb').get, O.mul, O.i32(3), O.shl, O.add, l('pb0').tee,
            rowBytes('ldb'), O.add, l('pb1').tee, rowBytes('ldb'), O.add, l('pb2').tee, rowBytes('ldb'), O.add, l('pb3').set,
            ['c00', 'c01', 'c02', 'c03', 'c10', 'c11', 'c12', 'c13'].map((c) => [O.vZero, l(c).set]),
            O.i32(0), l('kk').set,
            whileLoop([l('kk').get, l('kend').get, O.ltS], [
              l('pa0').get, l('kk').get, O.add, O.vLoad, l('x0').set,
              l('pa1').get, l('kk').get, O.add, O.vLoad, l('x1').set,
              [0, 1, 2, 3].map((q) => [l(`pb${q}`).get, l('kk').get, O.add, O.vLoad, l(`y${q}`).set]),
              [0, 1].map((r) => [0, 1, 2, 3].map((q) => [l(`c${r}${q}`).get, l(`x${r}`).get, l(`y${q}`).get, O.vmul, O.vadd, l(`c${r}${q}`).set])),
              l('kk').get, O.i32(16), O.add, l('kk').set,
            ]),
            [0, 1].map((r) => [0, 1, 2, 3].map((q) => [
              l('c').get, l('i').get, O.i32(r), O.add, l('ldc').get, O.mul, l('j').get, O.add, O.i32(q), O.add, O.i32(3), O.shl, O.add, l('pc').tee,
              l('pc').get, O.f64Load, l(`c${r}${q}`).get, O.lane(0), O.fadd, l(`c${r}${q}`).get, O.lane(1), O.fadd, O.f64Store,
            ])),
            l('j').get, O.i32(4), O.add, l('j').set,
          ]),
          l('i').get, O.i32(2), O.add, l('i').set,
        ]),
      ];
    });

  // rowUpdateSymv(row, q, u, f, g, u2, p, uj, len) -> s
  const rus = fn('rus', [['row', I32], ['q', I32], ['u', I32], ['f', F64], ['g', F64], ['u2', I32], ['p', I32], ['uj', F64], ['len', I32]], [F64],
    [['off', I32], ['end', I32], ['vf', V128], ['vg', V128], ['vuj', V128], ['acc', V128], ['a', V128], ['sa', F64], ['s', F64]],
    (l) => [
      l('f').get, O.splat, l('vf').set, l('g').get, O.splat, l('vg').set, l('uj').get, O.splat, l('vuj').set, O.vZero, l('acc').set,
      l('len').get, O.i32(-2), O.and, O.i32(3), O.shl, l('end').set,
      O.i32(0), l('off').set,
      whileLoop([l('off').get, l('end').get, O.ltS], [
        // a = row - f*q - g*u
        l('row').get, l('off').get, O.add, O.vLoad,
        l('vf').get, l('q').get, l('off').get, O.add, O.vLoad, O.vmul, O.vsub,
        l('vg').get, l('u').get, l('off').get, O.add, O.vLoad, O.vmul, O.vsub, l('a').set,
        l('row').get, l('off').get, O.add, l('a').get, O.vStore,
        l('acc').get, l('a').get, l('u2').get, l('off').get, O.add, O.vLoad, O.vmul, O.vadd, l('acc').set,
        l('p').get, l('off').get, O.add, l('p').get, l('off').get, O.add, O.vLoad, l('a').get, l('vuj').get, O.vmul, O.vadd, O.vStore,
        l('off').get, O.i32(16), O.add, l('off').set,
      ]),
      l('acc').get, O.lane(0), l('acc').get, O.lane(1), O.fadd, l('s').set,
      // odd tail
      l('len').get, O.i32(1), O.and, O.ifVoid,
      l('row').get, l('end').get, O.add, O.f64Load,
      l('f').get, l('q').get, l('end').get, O.add, O.f64Load, O.fmul, O.fsub,
      l('g').get, l('u').get, l('end').get, O.add, O.f64Load, O.fmul, O.fsub, l('sa').set,
      l('row').get, l('end').get, O.add, l('sa').get, O.f64Store,
      l('s').get, l('sa').get, l('u2').get, l('end').get, O.add, O.f64Load, O.fmul, O.fadd, l('s').set,
      l('p').get, l('end').get, O.add, l('p').get, l('end').get, O.add, O.f64Load, l('sa').get, l('uj').get, O.fmul, O.fadd, O.f64Store,
      O.end,
      l('s').get,
    ]);

  // reflect(u, x, len, c): x -= c (u·x) u
  const reflect = fn('reflect', [['u', I32], ['x', I32], ['len', I32], ['c', F64]], [],
    [['off', I32], ['end', I32], ['acc', V128], ['vs', V128], ['s', F64]],
    (l) => [
      O.vZero, l('acc').set,
      l('len').get, O.i32(-2), O.and, O.i32(3), O.shl, l('end').set,
      O.i32(0), l('off').set,
      whileLoop([l('off').get, l('end').get, O.ltS], [
        l('acc').get, l('u').get, l('off').get, O.add, O.vLoad, l('x').get, l('off').get, O.add, O.vLoad, O.vmul, O.vadd, l('acc').set,
        l('off').get, O.i32(16), O.add, l('off').set,
      ]),
      l('acc').get, O.lane(0), l('acc').get, O.lane(1), O.fadd, l('s').set,
      l('len').get, O.i32(1), O.and, O.ifVoid,
      l('s').get, l('u').get, l('end').get, O.add, O.f64Load, l('x').get, l('end').get, O.add, O.f64Load, O.fmul, O.fadd, l('s').set,
      O.end,
      l('s').get, l('c').get, O.fmul, l('s').set,
      l('s').get, O.splat, l('vs').set,
      O.i32(0), l('off').set,
      whileLoop([l('off').get, l('end').get, O.ltS], [
        l('x').get, l('off').get, O.add,
        l('x').get, l('off').get, O.add, O.vLoad, l('vs').get, l('u').get, l('off').get, O.add, O.vLoad, O.vmul, O.vsub, O.vStore,
        l('off').get, O.i32(16), O.add, l('off').set,
      ]),
      l('len').get, O.i32(1), O.and, O.ifVoid,
      l('x').get, l('end').get, O.add,
      l('x').get, l('end').get, O.add, O.f64Load, l('s').get, l('u').get, l('end').get, O.add, O.f64Load, O.fmul, O.fsub, O.f64Store,
      O.end,
    ]);
  // rows(A, n, rows, q, uPrev, u, p, j0): Kernels.tridiagRows for rows j0 … rows−1, calling rus (function 1).
  const rows = fn('rows', [['A', I32], ['n', I32], ['rows', I32], ['q', I32], ['up', I32], ['u', I32], ['p', I32], ['j0', I32]], [],
    [['j', I32], ['row', I32], ['at', I32], ['f', F64], ['g', F64], ['uj', F64], ['s', F64], ['diag', F64]],
    (l) => [
      l('j0').get, l('j').set,
      whileLoop([l('j').get, l('rows').get, O.ltS], [
        l('j').get, O.i32(3), O.shl, l('at').set,
        l('up').get, l('at').get, O.add, O.f64Load, l('f').set,
        l('q').get, l('at').get, O.add, O.f64Load, l('g').set,
        l('u').get, l('at').get, O.add, O.f64Load, l('uj').set,
        l('A').get, l('j').get, l('n').get, O.mul, O.i32(3), O.shl, O.add, l('row').set,
        l('row').get, l('q').get, l('up').get, l('f').get, l('g').get, l('u').get, l('p').get, l('uj').get, l('j').get, [0x10, 1], l('s').set,
        // diagonal
        l('row').get, l('at').get, O.add, O.f64Load, O.f64c(2), l('f').get, O.fmul, l('g').get, O.fmul, O.fsub, l('diag').set,
        l('row').get, l('at').get, O.add, l('diag').get, O.f64Store,
        l('p').get, l('at').get, O.add,
        l('p').get, l('at').get, O.add, O.f64Load, l('s').get, O.fadd, l('diag').get, l('uj').get, O.fmul, O.fadd, O.f64Store,
        l('j').get, O.i32(1), O.add, l('j').set,
      ]),
    ]);
  return assemble([gemm, rus, reflect, rows], shared);
}


// ───────────────────────── WebAssembly kernels ─────────────────────────

interface WasmExports {
  gemm(a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number): void;
  rus(row: number, q: number, u: number, f: number, g: number, u2: number, p: number, uj: number, len: number): number;
  reflect(u: number, x: number, len: number, c: number): void;
  rows(A: number, n: number, rows: number, q: number, uPrev: number, u: number, p: number, j0: number): void;
}

/** Blocking of the A·Bᵀ kernel: K_BLOCK values of k (a 2 KiB row slice), J_BLOCK rows of B (128 KiB, L2). */
const K_BLOCK = 256;
const J_BLOCK = 64;
const PAGE = 65536;
/** Largest n whose tridiagonal steps are split across threads (each helper thread owns a p of this size). */
const PARALLEL_MAX_N = 16384;
/** WebAssembly memory32 tops out at 4 GiB (minus our scratch). */
export const MAX_ARENA_BYTES = 4 * 2 ** 30 - 2 * 2 ** 20;

/** The slice of the WebAssembly JS API used here (the project's lib settings carry no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (): WasmApi => {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('no WebAssembly in this runtime');
  return api;
};

/**
 * The helper threads' code (a worker_threads eval script: self-contained, so bundling cannot break it).
 * Control block (Int32Array): [0] commands finished, [1] commands failed, [2 + w] command sequence of
 * worker w; each worker has 16 doubles of arguments at w·16. Commands: 1 A·Bᵀ on its share of the
 * column blocks, 2 tridiagonal rows j0 … j1−1 into its own p, 3 back-transform of vectors v0 … v1−1.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, module, ctrl, args, index } = workerData;
const x = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const C = new Int32Array(ctrl);
const F = new Float64Array(args);
const K_BLOCK = ${K_BLOCK}, J_BLOCK = ${J_BLOCK}, R_BLOCK = ${REFLECTOR_BLOCK};
let seen = 0;
for (;;) {
  Atomics.wait(C, 2 + index, seen);
  seen = Atomics.load(C, 2 + index);
  const a = index * 16;
  try {
    const cmd = F[a];
    if (cmd === 1) {
      const A = F[a + 1], lda = F[a + 2], B = F[a + 3], ldb = F[a + 4], Cc = F[a + 5], ldc = F[a + 6], aE = F[a + 7], bQ = F[a + 8], kE = F[a + 9], lower = F[a + 10], W = F[a + 11];
      for (let j0 = 0, blk = 0; j0 < bQ; j0 += J_BLOCK, blk++) {
        const r = blk % (2 * W);
        if ((r < W ? r : 2 * W - 1 - r) !== index) continue;
        const jb = Math.min(J_BLOCK, bQ - j0), i0 = lower ? j0 : 0;
        if (i0 >= aE) continue;
        for (let k0 = 0; k0 < kE; k0 += K_BLOCK) x.gemm(A + (i0 * lda + k0) * 8, lda, B + (j0 * ldb + k0) * 8, ldb, Cc + (i0 * ldc + j0) * 8, ldc, aE - i0, jb, Math.min(K_BLOCK, kE - k0));
      }
    } else if (cmd === 2) {
      const A = F[a + 1], n = F[a + 2], j0 = F[a + 3], j1 = F[a + 4], q = F[a + 5], up = F[a + 6], u = F[a + 7], p = F[a + 8];
      new Float64Array(memory.buffer, p, j1).fill(0);
      x.rows(A, n, j1, q, up, u, p, j0);
    } else if (cmd === 3) {
      const A = F[a + 1], n = F[a + 2], h = F[a + 3], Z = F[a + 4], v0 = F[a + 5], v1 = F[a + 6];
      const H = new Float64Array(memory.buffer, h, n);
      for (let i0 = 1; i0 < n; i0 += R_BLOCK) {
        const i1 = Math.min(n, i0 + R_BLOCK);
        for (let v = v0; v < v1; v++) for (let i = i0; i < i1; i++) { const c = H[i]; if (c !== 0) x.reflect(A + i * n * 8, Z + v * n * 8, i, c); }
      }
    }
  } catch (e) {
    Atomics.add(C, 1, 1);
  }
  Atomics.add(C, 0, 1);
  Atomics.notify(C, 0);
}
`;

interface Pool {
  ctrl: Int32Array;
  args: Float64Array;
  /** Byte offset of helper w's p vector (w ≥ 1): scratch at the start of the memory. */
  scratch: number;
}

class WasmKernels implements Kernels {
  readonly kind = 'wasm-simd' as const;
  readonly threads: number;
  private readonly memory: WasmMemory;
  private readonly x: WasmExports;
  private readonly pool: Pool | undefined;
  /** Arena start: after 16 bytes and the helpers' scratch. */
  private readonly base: number;
  private inArena = false;
  /**
   * The buffer the running arena's views were made from. V8 hands out a new SharedArrayBuffer object for
   * a shared memory whenever any WebAssembly memory in the process grows (separateKernels' growing
   * inside symmetricEigen's arena, say), so the views' buffer can differ from memory.buffer while still
   * being the same memory.
   */
  private arenaBuffer: ArrayBufferLike | undefined;

  constructor(threads: number) {
    const api = wasmApi();
    this.threads = Math.max(1, Math.floor(threads));
    const shared = this.threads > 1;
    this.memory = new api.Memory({ initial: 1, maximum: 65536, ...(shared ? { shared: true } : {}) });
    const module = new api.Module(buildModule(shared));
    this.x = new api.Instance(module, { env: { mem: this.memory } }).exports as WasmExports;
    const scratchBytes = shared ? (this.threads - 1) * PARALLEL_MAX_N * 8 : 0;
    this.base = 16 + scratchBytes;
    if (shared) {
      const ctrlBuf = new SharedArrayBuffer(4 * (2 + this.threads));
      const argsBuf = new SharedArrayBuffer(8 * 16 * this.threads);
      for (let w = 1; w < this.threads; w++) {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory: this.memory, module, ctrl: ctrlBuf, args: argsBuf, index: w } });
        worker.unref();
      }
      this.pool = { ctrl: new Int32Array(ctrlBuf), args: new Float64Array(argsBuf), scratch: 16 };
      this.ensure(this.base);
    }
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  withArena<T>(counts: number[], fn: (arena: Arena) => T): T {
    if (this.inArena) throw new Error('nested arenas are not supported');
    const bytes = arenaBytes(counts);
    if (bytes > MAX_ARENA_BYTES) throw new RangeError(`needs ${(bytes / 2 ** 30).toFixed(1)} GiB of working memory, beyond WebAssembly's 4 GiB`);
    this.ensure(this.base + bytes);
    this.inArena = true;
    this.arenaBuffer = this.memory.buffer;
    try {
      return fn(new JsArena(this.arenaBuffer, this.base, this.base + bytes));
    } finally {
      this.inArena = false;
      this.arenaBuffer = undefined;
    }
  }

  private addr(v: Float64Array): number {
    if (v.buffer !== this.memory.buffer && (this.arenaBuffer === undefined || v.buffer !== this.arenaBuffer)) throw new Error('kernel operand outside the arena');
    return v.byteOffset;
  }

  /** Runs `mine` here while helpers 1 … threads−1 run the command their args describe; waits for all. */
  private parallel(fill: (w: number, args: Float64Array, at: number) => void, mine: () => void): void {
    const pool = this.pool!;
    const { ctrl, args } = pool;
    Atomics.store(ctrl, 0, 0);
    Atomics.store(ctrl, 1, 0);
    for (let w = 1; w < this.threads; w++) {
      fill(w, args, w * 16);
      Atomics.add(ctrl, 2 + w, 1);
      Atomics.notify(ctrl, 2 + w);
    }
    mine();
    let done: number;
    while ((done = Atomics.load(ctrl, 0)) < this.threads - 1) Atomics.wait(ctrl, 0, done);
    if (Atomics.load(ctrl, 1) > 0) throw new Error('a kernel thread failed');
  }

  gemmABt(A: Float64Array, lda: number, aRows: number, B: Float64Array, ldb: number, bRows: number, k: number, C: Float64Array, ldc: number, lower = false): void {
    const aE = aRows & ~1;
    const bQ = bRows & ~3;
    const kE = k & ~1;
    const a = this.addr(A), b = this.addr(B), c = this.addr(C);
    if (aE > 0 && bQ > 0 && kE > 0) {
      const W = this.threads;
      const blocks = (owner: number, parts: number): void => {
        for (let j0 = 0, blk = 0; j0 < bQ; j0 += J_BLOCK, blk++) {
          const r = blk % (2 * parts);
          if ((r < parts ? r : 2 * parts - 1 - r) !== owner) continue;
          const jb = Math.min(J_BLOCK, bQ - j0);
          const i0 = lower ? j0 : 0; // j0 is a multiple of 4: even
          if (i0 >= aE) continue;
          for (let k0 = 0; k0 < kE; k0 += K_BLOCK) {
            this.x.gemm(a + (i0 * lda + k0) * 8, lda, b + (j0 * ldb + k0) * 8, ldb, c + (i0 * ldc + j0) * 8, ldc, aE - i0, jb, Math.min(K_BLOCK, kE - k0));
          }
        }
      };
      if (W > 1 && this.pool && aE * bQ * kE >= 2 ** 22) {
        this.parallel((_, args, at) => args.set([1, a, lda, b, ldb, c, ldc, aE, bQ, kE, lower ? 1 : 0, W], at), () => blocks(0, W));
      } else {
        blocks(0, 1);
      }
    }
    // Edges in JavaScript: the odd last k, the columns past the last group of 4, the odd last row.
    const dot = (i: number, j: number, t0: number, t1: number): number => {
      let s = 0;
      for (let t = t0; t < t1; t++) s += A[i * lda + t]! * B[j * ldb + t]!;
      return s;
    };
    for (let i = 0; i < aRows; i++) {
      const jEnd = lower ? Math.min(bRows, i + 1) : bRows;
      if (i < aE) {
        if (kE < k) for (let j = 0; j < Math.min(bQ, jEnd); j++) C[i * ldc + j] = C[i * ldc + j]! + dot(i, j, kE, k);
        for (let j = bQ; j < jEnd; j++) C[i * ldc + j] = C[i * ldc + j]! + dot(i, j, 0, k);
      } else {
        for (let j = 0; j < jEnd; j++) C[i * ldc + j] = C[i * ldc + j]! + dot(i, j, 0, k);
      }
    }
  }

  tridiagRows(A: Float64Array, n: number, rows: number, q: Float64Array, uPrev: Float64Array, u: Float64Array, p: Float64Array): void {
    const args = [this.addr(A), n, rows, this.addr(q), this.addr(uPrev), this.addr(u), this.addr(p)] as const;
    const T = this.threads;
    if (T === 1 || !this.pool || rows < 384 || n > PARALLEL_MAX_N) {
      this.x.rows(...args, 0);
      return;
    }
    // Equal-work row ranges (row j costs j): bounds at rows·sqrt(t/T).
    const bound = (t: number): number => (t >= T ? rows : Math.round(rows * Math.sqrt(t / T)));
    const scratch = (w: number): number => this.pool!.scratch + (w - 1) * PARALLEL_MAX_N * 8;
    this.parallel(
      (w, buf, at) => buf.set([2, args[0], n, bound(w), bound(w + 1), args[3], args[4], args[5], scratch(w)], at),
      () => this.x.rows(args[0], n, bound(1), args[3], args[4], args[5], args[6], 0),
    );
    const mem = this.memory.buffer;
    for (let w = 1; w < T; w++) {
      const j1 = bound(w + 1);
      const pw = new Float64Array(mem, scratch(w), j1);
      for (let k = 0; k < j1; k++) p[k] = p[k]! + pw[k]!;
    }
  }

  backTransform(A: Float64Array, n: number, hInv: Float64Array, Z: Float64Array, count: number): void {
    const a = this.addr(A), h = this.addr(hInv), z = this.addr(Z);
    const run = (v0: number, v1: number): void => {
      for (let i0 = 1; i0 < n; i0 += REFLECTOR_BLOCK) {
        const i1 = Math.min(n, i0 + REFLECTOR_BLOCK);
        for (let v = v0; v < v1; v++) {
          for (let i = i0; i < i1; i++) {
            const c = hInv[i]!;
            if (c !== 0) this.x.reflect(a + i * n * 8, z + v * n * 8, i, c);
          }
        }
      }
    };
    const T = this.threads;
    if (T === 1 || !this.pool || count < 2 * T || n < 256) {
      run(0, count);
      return;
    }
    const bound = (t: number): number => Math.round((count * t) / T);
    this.parallel((w, buf, at) => buf.set([3, a, n, h, z, bound(w), bound(w + 1)], at), () => run(0, bound(1)));
  }
}

/** Threads for the heavy loops: ATTENTION_LENS_THREADS, else the machine's cores up to 8. */
export function defaultThreads(): number {
  const env = Number(process.env.ATTENTION_LENS_THREADS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 64);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, cores));
}

const cache = new Map<number, Kernels>();
/**
 * The fastest kernels this runtime has: WebAssembly SIMD on `threads` threads (default
 * defaultThreads()), else JavaScript. ATTENTION_LENS_KERNELS=js forces JavaScript.
 */
export function defaultKernels(threads = defaultThreads()): Kernels {
  if (process.env.ATTENTION_LENS_KERNELS === 'js') return jsKernels;
  return wasmKernels(threads) ?? jsKernels;
}

/** WebAssembly kernels on `threads` threads (one instance per thread count, reused), or undefined when this runtime cannot build them. */
export function wasmKernels(threads = 1): Kernels | undefined {
  const hit = cache.get(threads);
  if (hit) return hit;
  try {
    const k = new WasmKernels(threads);
    cache.set(threads, k);
    return k;
  } catch {
    if (threads > 1) return wasmKernels(1);
    return undefined;
  }
}

const separateCache = new Map<number, Kernels>();
/**
 * Kernels for a stage that needs an arena of its own while a caller may be inside withArena on the
 * shared instance (linalg's inverse iteration runs inside symmetricEigen's arena; arenas do not nest):
 * WebAssembly SIMD with its own memory and its own helper threads, one instance per thread count,
 * reused; JavaScript under ATTENTION_LENS_KERNELS=js or where WebAssembly is missing.
 */
export function separateKernels(threads = defaultThreads()): Kernels {
  if (process.env.ATTENTION_LENS_KERNELS === 'js') return jsKernels;
  const hit = separateCache.get(threads);
  if (hit) return hit;
  let k: Kernels;
  try {
    k = new WasmKernels(threads);
  } catch {
    k = threads > 1 ? separateKernels(1) : jsKernels;
  }
  separateCache.set(threads, k);
  return k;
}
