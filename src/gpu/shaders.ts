/**
 * WGSL sources with their template values filled in. Shapes (head dims, tile sizes, rows per
 * workgroup) are compile-time constants so loops unroll and workgroup arrays are sized exactly.
 */
import attentionSource from '../../shaders/attention.wgsl';
import decodeSource from '../../shaders/decode.wgsl';
import decode2Source from '../../shaders/decode2.wgsl';
import mergeSource from '../../shaders/merge.wgsl';
import merge2Source from '../../shaders/merge2.wgsl';
import mergeParamsSource from '../../shaders/mergeParams.wgsl';
import paramsSource from '../../shaders/params.wgsl';
import prefillSource from '../../shaders/prefill.wgsl';
import tile2Source from '../../shaders/tile2.wgsl';
import mlaMatrixSource from '../../shaders/mlaMatrix.wgsl';
import peaksSource from '../../shaders/peaks.wgsl';

export type StorageType = 'f16' | 'f32';

/**
 * One of the adapter's subgroup-matrix configurations (M × K by K × N into M × N, f32 results) as a
 * kernel uses it: subgroups of `subgroupSize` invocations — a size the adapter never varies — and
 * `emulated`, the same kernel with the matrix operations written in plain WGSL (tests, on adapters
 * without subgroup matrices).
 */
export interface MatrixShape {
  m: number;
  n: number;
  k: number;
  component: 'f16' | 'f32';
  subgroupSize: number;
  subgroups: number;
  emulated: boolean;
}

export interface AttentionShape {
  /**
   * decode: decode.wgsl (one query, K/V read from memory by one thread each); prefill: prefill.wgsl
   * (register micro-tiles); tiled: attention.wgsl (the general kernel: MLA prefill, the tiled MLA option);
   * decode2, tile2 and mlaMatrix: the v2 generation (decode2.wgsl for MHA/GQA/MQA decode, tile2.wgsl for
   * prefill and MLA absorbed decode, mlaMatrix.wgsl for MLA absorbed decode on subgroup matrices).
   */
  kernel: 'decode' | 'decode2' | 'prefill' | 'tiled' | 'tile2' | 'mlaMatrix';
  /** mlaMatrix.wgsl: the subgroup-matrix shape it multiplies, and its subgroups. */
  matrix?: MatrixShape;
  /**
   * decode2.wgsl: lanes per token row (16-byte loads side by side), and whether their partial dots are
   * summed with subgroup shuffles (else through workgroup memory).
   */
  lanes?: number;
  subgroups?: boolean;
  /** decode2.wgsl: consecutive tokens a lane group reads per step. */
  tokensPerLane?: number;
  /** prefill.wgsl, tile2.wgsl: rows × keys of the score block, rows × vec4 columns of the output block per thread. */
  micro?: { rs: number; cs: number; ro: number; do: number };
  /** tile2.wgsl: vec4s of the head dim staged per step (dk/4: Q staged once), and V tokens staged at a time. */
  dkChunk4?: number;
  vTokens?: number;
  /**
   * tile2.wgsl: Q, K and V staged as f16 and multiplied in f16 with f32 sums (MLA absorbed decode where
   * K/V are stored in f16, so shader-f16 is on); else staged and multiplied in f32.
   */
  f16Products?: boolean;
  /** tile2.wgsl: the next K chunk or V block loaded into registers before the math on the current one. */
  prefetch?: boolean;
  storage: StorageType;
  workgroupSize: number;
  tileTokens: number;
  dk: number;
  dv: number;
  /** Query heads per workgroup (all of a KV head's group when it fits). */
  headsPerGroupBlock: number;
  /** Queries per workgroup: 1 for decode, more for prefill. */
  queriesPerBlock: number;
  /** MLA: V is the first dv values of the K row. */
  sharedKv: boolean;
}

/** params.wgsl with the kernel's KV element type and partial-output element type filled in. */
function paramsFor(storage: StorageType, partType: 'f32' | 'vec4<f32>', queryType = 'vec4<f32>'): string {
  return fill(paramsSource, { KV_T: storage, PART_T: partType, Q_T: queryType });
}

function fill(source: string, values: Record<string, string | number | boolean>): string {
  const out = source.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    if (!(key in values)) throw new Error(`shader template value ${key} missing`);
    return String(values[key]);
  });
  return out;
}

/** The kernel generation a kernel belongs to: v2's are decode2, tile2 and mlaMatrix, the rest are v1's. */
export function generationOf(kernel: AttentionShape['kernel']): 'v1' | 'v2' {
  return kernel === 'decode2' || kernel === 'tile2' || kernel === 'mlaMatrix' ? 'v2' : 'v1';
}

/** The type a kernel multiplies in (its sums are f32): f16 for tile2's f16 products and mlaMatrix's f16 matrices. */
export function productsOf(shape: AttentionShape): 'f16' | 'f32' {
  return shape.f16Products || shape.matrix?.component === 'f16' ? 'f16' : 'f32';
}

export function rowsOf(shape: AttentionShape): number {
  return shape.headsPerGroupBlock * shape.queriesPerBlock;
}

/** Accumulators per thread: the R × dv output spread over the workgroup. */
export function accumulatorsOf(shape: AttentionShape): number {
  return (rowsOf(shape) * shape.dv) / shape.workgroupSize;
}

/** Workgroup memory the shape needs, in bytes (f32 tiles). */
export function workgroupBytes(shape: AttentionShape): number {
  const r = rowsOf(shape);
  if (shape.kernel === 'decode2') {
    const lanes = shape.lanes ?? 1;
    const groups = shape.workgroupSize / lanes;
    const u = shape.tokensPerLane ?? 1;
    return 4 * (2 * groups + groups * shape.dv + (shape.subgroups ? 1 : u * r * shape.workgroupSize));
  }
  if (shape.kernel === 'tile2') {
    const t = tile2Sizes(shape);
    const stagedVec4Bytes = shape.f16Products ? 8 : 16;
    return stagedVec4Bytes * (t.qs + t.stage) + 4 * (r * (shape.tileTokens + 1) + 4 * r + t.red);
  }
  if (shape.kernel === 'mlaMatrix' && shape.matrix) {
    const mx = shape.matrix;
    const ct = mx.component === 'f16' ? 2 : 4;
    const rescaleTiles = rescaleTilesInScores(shape) ? 0 : mx.subgroups * mx.m * mx.n;
    return ct * (shape.tileTokens * (shape.dk + 8) + r * shape.tileTokens) + 4 * (mx.subgroups * r * shape.tileTokens + rescaleTiles + 3 * r + 1);
  }
  if (shape.kernel === 'decode') return 4 * (r * shape.dk + r * shape.workgroupSize + 2 * r + 5 * shape.workgroupSize);
  if (shape.kernel === 'prefill') return 4 * (r * shape.dk + shape.tileTokens * Math.max(shape.dk, shape.dv) + r * shape.tileTokens + 5 * r);
  const kt = shape.tileTokens * shape.dk;
  const vt = shape.sharedKv ? 4 : shape.tileTokens * shape.dv;
  return 4 * (kt + vt + r * shape.dk + r * shape.tileTokens + 5 * r) + 8;
}

/** Template values every attention kernel takes: the shared params/bindings, storage and the shape. */
function commonValues(shape: AttentionShape, partType: 'f32' | 'vec4<f32>'): Record<string, string | number> {
  return {
    PARAMS: paramsFor(shape.storage, partType),
    ENABLE_F16: shape.storage === 'f16' ? 'enable f16;' : '',
    KV_T: shape.storage,
    WG: shape.workgroupSize,
    TILE: shape.tileTokens,
    DK4: shape.dk / 4,
    DV4: shape.dv / 4,
    GB: shape.headsPerGroupBlock,
    QB: shape.queriesPerBlock,
  };
}

export function decodeWgsl(shape: AttentionShape): string {
  const dv4 = shape.dv / 4;
  if (shape.dk % 4 !== 0 || shape.dv % 4 !== 0) throw new Error(`head dims must be multiples of 4 (got ${shape.dk}/${shape.dv})`);
  if (shape.workgroupSize % dv4 !== 0) throw new Error(`decode workgroup ${shape.workgroupSize} must be a multiple of dv/4 = ${dv4}`);
  return fill(decodeSource, { ...commonValues(shape, 'vec4<f32>'), SHARED_KV: shape.sharedKv });
}

/** Elements of K/V in one 16-byte load: 8 packed halves, or 4 floats. */
export function elementsPerLoad(storage: StorageType): number {
  return storage === 'f16' ? 8 : 4;
}

/**
 * decode2.wgsl. f16 K/V are bound as vec4<u32> and unpacked in the shader, so the kernel needs no
 * shader-f16; only the subgroup path needs the `subgroups` feature.
 */
export function decode2Wgsl(shape: AttentionShape): string {
  const lanes = shape.lanes;
  const per = elementsPerLoad(shape.storage);
  if (!lanes || shape.dk % (lanes * per) !== 0 || shape.dv % (lanes * per) !== 0) {
    throw new Error(`decode v2 needs head dims that are multiples of ${lanes ?? '?'} lanes × ${per} (got ${shape.dk}/${shape.dv})`);
  }
  if (shape.workgroupSize % lanes !== 0 || shape.dv / 4 > shape.workgroupSize) throw new Error(`decode v2 workgroup ${shape.workgroupSize} must be a multiple of ${lanes} lanes and cover dv/4 = ${shape.dv / 4}`);
  const lk = shape.dk / (lanes * per);
  const lv = shape.dv / (lanes * per);
  const packed = shape.storage === 'f16';
  const u = shape.tokensPerLane ?? 1;
  const quad = packed
    ? '  let h = select(raw.xy, raw.zw, j == 1u);\n  return vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y));'
    : '  return raw;';
  const reduce = shape.subgroups
    ? [
        '    for (var u = 0u; u < U; u++) {',
        '      for (var r = 0u; r < R; r++) {',
        '        var x = s[u][r];',
        '        for (var mask = L / 2u; mask > 0u; mask >>= 1u) { x += subgroupShuffleXor(x, mask); }',
        '        s[u][r] = x;',
        '      }',
        '    }',
      ].join('\n')
    : [
        '    for (var u = 0u; u < U; u++) {',
        '      for (var r = 0u; r < R; r++) { redS[(u * R + r) * WG + tid] = s[u][r]; }',
        '    }',
        '    workgroupBarrier();',
        '    for (var u = 0u; u < U; u++) {',
        '      for (var r = 0u; r < R; r++) {',
        '        var x = 0.0;',
        '        for (var j = 0u; j < L; j++) { x += redS[(u * R + r) * WG + g * L + j]; }',
        '        s[u][r] = x;',
        '      }',
        '    }',
        '    workgroupBarrier();',
      ].join('\n');
  return fill(decode2Source, {
    PARAMS: fill(paramsSource, { KV_T: packed ? 'u32' : 'f32', PART_T: 'vec4<f32>', Q_T: 'vec4<f32>' }),
    ENABLE_SUBGROUPS: shape.subgroups ? 'enable subgroups;' : '',
    WG: shape.workgroupSize,
    L: lanes,
    GB: shape.headsPerGroupBlock,
    QK: (lk * per) / 4,
    QV: (lv * per) / 4,
    LK: lk,
    LV: lv,
    U: u,
    QPR: per / 4,
    RED_SIZE: shape.subgroups ? 1 : u * rowsOf(shape) * shape.workgroupSize,
    RAW_T: packed ? 'vec4<u32>' : 'vec4<f32>',
    QUAD: quad,
    REDUCE: reduce,
  });
}

export function prefillWgsl(shape: AttentionShape): string {
  const m = shape.micro;
  if (!m) throw new Error('prefill shape without its micro-tile');
  return fill(prefillSource, {
    ...commonValues(shape, 'vec4<f32>'),
    RS: m.rs,
    CS: m.cs,
    RO: m.ro,
    DO: m.do,
  });
}

/**
 * prefill.wgsl's per-thread blocks for R rows, BC keys and dv/4 output columns over WG threads: the
 * R × BC scores and the R × dv/4 outputs each split evenly, or undefined when they do not.
 */
export function prefillMicroTile(rows: number, keys: number, dv4: number, threads: number): AttentionShape['micro'] {
  const split = (a: number, b: number): [number, number] | undefined => {
    const per = (a * b) / threads;
    if (!Number.isInteger(per) || per < 1) return undefined;
    for (const inner of [2, 1, 4]) {
      const outer = per / inner;
      if (Number.isInteger(outer) && a % outer === 0 && b % inner === 0 && (a / outer) * (b / inner) === threads) return [outer, inner];
    }
    return undefined;
  };
  const s = split(rows, keys);
  const o = split(rows, dv4);
  return s && o ? { rs: s[0], cs: s[1], ro: o[0], do: o[1] } : undefined;
}

/** tile2.wgsl's workgroup arrays, in elements: Q (vec4s; 1 when staged by chunks), the stage (vec4s), the reduction (f32s). */
function tile2Sizes(shape: AttentionShape): { qs: number; stage: number; red: number } {
  const r = rowsOf(shape);
  const dk4 = shape.dk / 4;
  const dc4 = shape.dkChunk4 ?? dk4;
  const resident = dc4 === dk4;
  const qk = (resident ? 0 : r * (dc4 + 1)) + shape.tileTokens * (dc4 + 1);
  const cg = shape.tileTokens / (shape.micro?.cs ?? 1);
  return {
    qs: resident ? r * (dk4 + 1) : 1,
    stage: Math.max(qk, (shape.vTokens ?? 1) * (shape.dv / 4)),
    red: shape.subgroups ? 1 : r * cg,
  };
}

/**
 * tile2.wgsl. A score row's CG threads sum or maximize with subgroup shuffles when CG is within the
 * adapter's subgroup (the caller decides), else through workgroup memory.
 */
export function tile2Wgsl(shape: AttentionShape): string {
  const m = shape.micro;
  if (!m) throw new Error('tile2 shape without its micro-tile');
  const dk4 = shape.dk / 4;
  const dc4 = shape.dkChunk4 ?? dk4;
  const vt = shape.vTokens ?? 1;
  const cg = shape.tileTokens / m.cs;
  if (dk4 % dc4 !== 0 || shape.tileTokens % vt !== 0 || !Number.isInteger(cg)) throw new Error(`tile2: chunk ${dc4} of ${dk4}, ${vt} V tokens of ${shape.tileTokens}, ${m.cs} keys per thread do not divide evenly`);
  if (shape.subgroups && (cg & (cg - 1)) !== 0) throw new Error(`tile2: subgroup reductions need a power-of-two row group (got ${cg})`);
  if (shape.f16Products && shape.storage !== 'f16') throw new Error('tile2: f16 products need K/V stored in f16 (shader-f16)');
  const reduce = (op: 'max' | '+'): string => {
    const combine = (a: string, b: string): string => (op === 'max' ? `max(${a}, ${b})` : `${a} + ${b}`);
    if (shape.subgroups) {
      return [
        '  for (var r = 0u; r < RS; r++) {',
        `    for (var mask = CG / 2u; mask > 0u; mask >>= 1u) { y[r] = ${combine('y[r]', 'subgroupShuffleXor(y[r], mask)')}; }`,
        '  }',
      ].join('\n');
    }
    return [
      '  for (var r = 0u; r < RS; r++) { redS[(sr0 + r) * CG + cg] = x[r]; }',
      '  workgroupBarrier();',
      '  for (var r = 0u; r < RS; r++) {',
      `    var a = ${op === 'max' ? 'NEG' : '0.0'};`,
      `    for (var j = 0u; j < CG; j++) { a = ${combine('a', 'redS[(sr0 + r) * CG + j]')}; }`,
      '    y[r] = a;',
      '  }',
    ].join('\n');
  };
  const sizes = tile2Sizes(shape);
  return fill(tile2Source, {
    ...commonValues(shape, 'vec4<f32>'),
    ENABLE_SUBGROUPS: shape.subgroups ? 'enable subgroups;' : '',
    SUBGROUPS: shape.subgroups === true,
    RS: m.rs,
    CS: m.cs,
    RO: m.ro,
    DO: m.do,
    DC4: dc4,
    VT: vt,
    Q_RESIDENT: dc4 === dk4,
    SHARED_KV: shape.sharedKv,
    STAGE_T: shape.f16Products ? 'vec4<f16>' : 'vec4<f32>',
    F16_PRODUCTS: shape.f16Products === true,
    PREFETCH: shape.prefetch === true,
    PF: Math.max(Math.ceil((shape.tileTokens * dc4) / shape.workgroupSize), Math.ceil((vt * (shape.dv / 4)) / shape.workgroupSize)),
    QS_SIZE: sizes.qs,
    STAGE_SIZE: sizes.stage,
    RED_SIZE: sizes.red,
    ROW_MAX: reduce('max'),
    ROW_SUM: reduce('+'),
  });
}

/** mlaMatrix.wgsl: whether the rescale's tiles fit in the partial scores' second and later slots. */
function rescaleTilesInScores(shape: AttentionShape): boolean {
  const mx = shape.matrix!;
  return (mx.subgroups - 1) * shape.headsPerGroupBlock * shape.tileTokens >= mx.subgroups * mx.m * mx.n;
}

/** mlaMatrix.wgsl's matrix operations on the adapter's subgroup matrices. */
const MATRIX_FNS = `alias LeftM = subgroup_matrix_left<CT, SK, SM>;
alias RightM = subgroup_matrix_right<CT, SN, SK>;
alias ResultM = subgroup_matrix_result<f32, SN, SM>;
fn zeroM() -> ResultM { return ResultM(); }
fn loadQ(at: u32) -> LeftM { return subgroupMatrixLoad<LeftM, row_major>(&Q, at, DK); }
fn loadP(at: u32) -> LeftM { return subgroupMatrixLoad<LeftM, row_major>(&pS, at, BC); }
// Kᵀ: column n of the SK × SN block is token n's row.
fn loadKT(at: u32) -> RightM { return subgroupMatrixLoad<RightM, col_major>(&kS, at, DKP); }
fn loadV(at: u32) -> RightM { return subgroupMatrixLoad<RightM, row_major>(&kS, at, DKP); }
fn mma(a: LeftM, b: RightM, c: ResultM) -> ResultM { return subgroupMatrixMultiplyAccumulate(a, b, c); }
fn loadX(at: u32) -> ResultM { return subgroupMatrixLoad<ResultM, row_major>(&OX_ARRAY, at, SN); }
fn storeS(at: u32, m: ResultM, lane: u32) { subgroupMatrixStore<row_major>(&sP, at, m, BC); }
fn storeX(at: u32, m: ResultM, lane: u32) { subgroupMatrixStore<row_major>(&OX_ARRAY, at, m, SN); }
fn storeO(at: u32, m: ResultM, stride: u32, lane: u32) { subgroupMatrixStore<row_major>(&partO, at, m, stride); }`;

/**
 * The same operations in plain WGSL, by the documented semantics (row-major: element [r, c] at
 * at + r · stride + c; column-major: at + c · stride + r): every invocation of an SG-wide group holds
 * and computes the whole matrix, and its first invocation stores it.
 */
const EMULATED_MATRIX_FNS = `alias LeftM = array<f32, SM * SK>;
alias RightM = array<f32, SK * SN>;
alias ResultM = array<f32, SM * SN>;
// Loop bounds the compiler cannot see (P.pad0 is 0): unrolled, the emulation takes lavapipe a minute to compile.
fn dyn(n: u32) -> u32 { return n + P.pad0; }
fn zeroM() -> ResultM { return ResultM(); }
fn loadQ(at: u32) -> LeftM {
  var m: LeftM;
  for (var r = 0u; r < dyn(SM); r++) { for (var c = 0u; c < dyn(SK); c++) { m[r * SK + c] = f32(Q[at + r * DK + c]); } }
  return m;
}
fn loadP(at: u32) -> LeftM {
  var m: LeftM;
  for (var r = 0u; r < dyn(SM); r++) { for (var c = 0u; c < dyn(SK); c++) { m[r * SK + c] = f32(pS[at + r * BC + c]); } }
  return m;
}
fn loadKT(at: u32) -> RightM {
  var m: RightM;
  for (var k = 0u; k < dyn(SK); k++) { for (var n = 0u; n < dyn(SN); n++) { m[k * SN + n] = f32(kS[at + n * DKP + k]); } }
  return m;
}
fn loadV(at: u32) -> RightM {
  var m: RightM;
  for (var k = 0u; k < dyn(SK); k++) { for (var n = 0u; n < dyn(SN); n++) { m[k * SN + n] = f32(kS[at + k * DKP + n]); } }
  return m;
}
fn mma(a: LeftM, b: RightM, c: ResultM) -> ResultM {
  var o = c;
  for (var r = 0u; r < dyn(SM); r++) {
    for (var n = 0u; n < dyn(SN); n++) {
      var x = o[r * SN + n];
      for (var k = 0u; k < dyn(SK); k++) { x = fma(a[r * SK + k], b[k * SN + n], x); }
      o[r * SN + n] = x;
    }
  }
  return o;
}
fn loadX(at: u32) -> ResultM {
  var m: ResultM;
  for (var i = 0u; i < dyn(SM * SN); i++) { m[i] = OX_ARRAY[at + i]; }
  return m;
}
fn storeS(at: u32, m: ResultM, lane: u32) {
  if (lane == 0u) { for (var r = 0u; r < dyn(SM); r++) { for (var n = 0u; n < dyn(SN); n++) { sP[at + r * BC + n] = m[r * SN + n]; } } }
}
fn storeX(at: u32, m: ResultM, lane: u32) {
  if (lane == 0u) { for (var i = 0u; i < dyn(SM * SN); i++) { OX_ARRAY[at + i] = m[i]; } }
}
fn storeO(at: u32, m: ResultM, stride: u32, lane: u32) {
  if (lane == 0u) { for (var r = 0u; r < dyn(SM); r++) { for (var n = 0u; n < dyn(SN); n++) { partO[at + r * stride + n] = m[r * SN + n]; } } }
}`;

/**
 * mlaMatrix.wgsl for the shape's subgroup-matrix configuration, on the adapter's matrices or emulated.
 * The real path turns WGSL's subgroup-matrix uniformity check off: the kernel's subgroups each take
 * their own DK steps and output tiles, uniform per subgroup — which is what the operations need — but
 * not per workgroup, which is what the check proves.
 */
export function mlaMatrixWgsl(shape: AttentionShape): string {
  const mx = shape.matrix;
  if (!mx || !shape.sharedKv || shape.queriesPerBlock !== 1) throw new Error('mlaMatrix runs MLA absorbed decode (shared latent rows, one query) with a subgroup-matrix shape');
  const r = shape.headsPerGroupBlock;
  const outputTiles = ((r / mx.m) * (shape.dv / mx.n)) / mx.subgroups;
  const fits = r % mx.m === 0 && shape.tileTokens % mx.n === 0 && shape.tileTokens % mx.k === 0 && shape.dk % mx.k === 0 && shape.dk % 4 === 0 && shape.dv % mx.n === 0 && Number.isInteger(outputTiles);
  if (!fits) throw new Error(`mlaMatrix: ${r} heads × ${shape.tileTokens} tokens, head dims ${shape.dk}/${shape.dv} do not tile by ${mx.m} × ${mx.n} × ${mx.k} over ${mx.subgroups} subgroups`);
  if (shape.workgroupSize !== mx.subgroupSize * mx.subgroups) throw new Error(`mlaMatrix: ${shape.workgroupSize} threads are not ${mx.subgroups} subgroups of ${mx.subgroupSize}`);
  const f16 = shape.storage === 'f16' || mx.component === 'f16';
  const inScores = rescaleTilesInScores(shape);
  const ox = inScores ? 'sP' : 'oX';
  return fill(mlaMatrixSource, {
    OX_DECL: inScores ? '// (here: in sP)' : 'var<workgroup> oX: array<f32, NSG * SM * SN>;',
    OX_BASE: inScores ? shape.headsPerGroupBlock * shape.tileTokens : 0,
    OX: ox,
    ENABLE_F16: f16 ? 'enable f16;' : '',
    ENABLE_MATRIX: mx.emulated ? `alias CT = ${mx.component};` : `enable subgroups;\nenable chromium_experimental_subgroup_matrix;\ndiagnostic(off, chromium_experimental.subgroup_matrix_uniformity);\nalias CT = ${mx.component};`,
    SG: mx.subgroupSize,
    NSG: mx.subgroups,
    SM: mx.m,
    SN: mx.n,
    SK: mx.k,
    GB: r,
    TILE: shape.tileTokens,
    DK: shape.dk,
    DV: shape.dv,
    PARAMS: paramsFor(shape.storage, 'f32', mx.component),
    MATRIX_FNS: (mx.emulated ? EMULATED_MATRIX_FNS : MATRIX_FNS).replaceAll('OX_ARRAY', ox),
    SUBGROUP_BUILTINS: mx.emulated ? '' : ', @builtin(subgroup_id) sg: u32, @builtin(subgroup_invocation_id) lane: u32',
    SUBGROUP_IDS: mx.emulated ? '  let sg = tid / SG;\n  let lane = tid % SG;' : '',
  });
}

export function kernelWgsl(shape: AttentionShape): string {
  if (shape.kernel === 'decode2') return decode2Wgsl(shape);
  if (shape.kernel === 'mlaMatrix') return mlaMatrixWgsl(shape);
  if (shape.kernel === 'tile2') return tile2Wgsl(shape);
  return shape.kernel === 'decode' ? decodeWgsl(shape) : shape.kernel === 'prefill' ? prefillWgsl(shape) : attentionWgsl(shape);
}

export function attentionWgsl(shape: AttentionShape): string {
  if (shape.dk % 4 !== 0 || shape.dv % 4 !== 0) throw new Error(`head dims must be multiples of 4 (got ${shape.dk}/${shape.dv})`);
  const acc = accumulatorsOf(shape);
  if (!Number.isInteger(acc) || acc < 1) throw new Error(`rows × dv (${rowsOf(shape)} × ${shape.dv}) must be a multiple of the workgroup size ${shape.workgroupSize}`);
  const r = rowsOf(shape);
  return fill(attentionSource, {
    ...commonValues(shape, 'f32'),
    ACC: acc,
    SHARED_KV: shape.sharedKv,
    KT_SIZE: (shape.tileTokens * shape.dk) / 4,
    VT_SIZE: shape.sharedKv ? 1 : (shape.tileTokens * shape.dv) / 4,
    QS_SIZE: (r * shape.dk) / 4,
    SS_SIZE: r * shape.tileTokens,
  });
}

export function mergeWgsl(dv: number): string {
  return fill(mergeSource, { DV: dv, MERGE_PARAMS: mergeParamsSource });
}

/** merge2.wgsl holds one weight per split in workgroup memory: at most this many splits. */
export const MERGE2_MAX_SPLITS = 2048;

export function merge2Wgsl(dv: number): string {
  return fill(merge2Source, { DV: dv, MAX_SPLITS: MERGE2_MAX_SPLITS, MERGE_PARAMS: mergeParamsSource });
}

/**
 * The subgroup-matrix peak: per subgroup, four independent multiply-accumulate chains on the shape
 * mlaMatrix.wgsl uses, operands loaded once from workgroup memory; the results are stored only when
 * PP.pad0 is 1 (never), which keeps the chains alive. Four subgroups a workgroup, as in the kernel.
 */
export function matrixPeakWgsl(config: Omit<MatrixShape, 'subgroups'>): string {
  const { m, n, k, component: ct, subgroupSize } = config;
  return `${ct === 'f16' ? 'enable f16;\n' : ''}enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium_experimental.subgroup_matrix_uniformity);
struct PeakParams { count: u32, iterations: u32, pad0: u32, pad1: u32 };
@group(0) @binding(0) var<uniform> PP: PeakParams;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
alias LeftM = subgroup_matrix_left<${ct}, ${k}, ${m}>;
alias RightM = subgroup_matrix_right<${ct}, ${n}, ${k}>;
alias ResultM = subgroup_matrix_result<f32, ${n}, ${m}>;
var<workgroup> operands: array<${ct}, ${m * k + k * n}>;
@compute @workgroup_size(${subgroupSize * 4})
fn matrix_chain(@builtin(subgroup_id) sg: u32) {
  let a = subgroupMatrixLoad<LeftM, row_major>(&operands, 0u, ${k}u);
  let b = subgroupMatrixLoad<RightM, row_major>(&operands, ${m * k}u, ${n}u);
  var c0 = ResultM();
  var c1 = ResultM();
  var c2 = ResultM();
  var c3 = ResultM();
  for (var i = 0u; i < PP.iterations; i++) {
    c0 = subgroupMatrixMultiplyAccumulate(a, b, c0);
    c1 = subgroupMatrixMultiplyAccumulate(a, b, c1);
    c2 = subgroupMatrixMultiplyAccumulate(a, b, c2);
    c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);
  }
  if (PP.pad0 == 1u) {
    subgroupMatrixStore<row_major>(&dst, sg * ${4 * m * n}u, c0, ${n}u);
    subgroupMatrixStore<row_major>(&dst, sg * ${4 * m * n}u + ${m * n}u, c1, ${n}u);
    subgroupMatrixStore<row_major>(&dst, sg * ${4 * m * n}u + ${2 * m * n}u, c2, ${n}u);
    subgroupMatrixStore<row_major>(&dst, sg * ${4 * m * n}u + ${3 * m * n}u, c3, ${n}u);
  }
}
`;
}

export function peaksWgsl(type: StorageType): string {
  return fill(peaksSource, { ENABLE_F16: type === 'f16' ? 'enable f16;' : '', T: type });
}
