// The launch parameters and bindings shared by attention.wgsl, decode.wgsl and prefill.wgsl (one
// layout: src/gpu/attention.ts writes it). Q_T and PART_T: how a kernel addresses the queries and the
// partial outputs.
struct Params {
  batch: u32,
  qHeads: u32,
  kvHeads: u32,
  numQueries: u32,
  maxLen: u32,
  numSplits: u32,
  splitTokens: u32,
  window: u32,
  chunk: u32,
  headBlocks: u32,
  qBlocks: u32,
  scaleLog2: f32,
  // K/V larger than one storage binding come in chunks of whole (sequence, KV head) rows: this
  // dispatch's buffers hold chunkHeads KV heads from kvHeadBase of the sequences from batchBase —
  // or, when one row is larger than a binding, tokens [tokenBase, tokenBase + chunkLen) of one row.
  chunkHeads: u32,
  kvHeadBase: u32,
  batchBase: u32,
  // Tokens per row in this dispatch's buffers (maxLen unless the chunk is a token range).
  chunkLen: u32,
  tokenBase: u32,
  // This dispatch's splits: splitBase .. splitBase + dispatchSplits of numSplits.
  splitBase: u32,
  dispatchSplits: u32,
  // Always 0 (the struct's size is a multiple of 16 bytes); mlaMatrix's emulation adds it to loop bounds.
  pad0: u32,
};

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> seqLens: array<u32>;
@group(0) @binding(2) var<storage, read> Q: array<{{Q_T}}>;
@group(0) @binding(3) var<storage, read> K: array<vec4<{{KV_T}}>>;
@group(0) @binding(4) var<storage, read> V: array<vec4<{{KV_T}}>>;
@group(0) @binding(5) var<storage, read_write> partO: array<{{PART_T}}>;
@group(0) @binding(6) var<storage, read_write> partML: array<vec2<f32>>;

// Decode's token range for its one query, at position len − 1: causal ∩ the window or chunk ∩ this
// split; (0, 0) when empty. From uniform values only, so loops over it stay in uniform control flow.
fn decodeRange(len: u32, split: u32) -> vec2<u32> {
  var lo = 0u;
  if (len > 0u) {
    let pos = len - 1u;
    if (P.window > 0u && len > P.window) { lo = len - P.window; }
    if (P.chunk > 0u) { lo = (pos / P.chunk) * P.chunk; }
  }
  lo = max(lo, split * P.splitTokens);
  let hi = min(len, split * P.splitTokens + P.splitTokens);
  return select(vec2<u32>(0u, 0u), vec2<u32>(lo, hi), lo < hi);
}

// Prefill's token range for query q of numQueries at the end of a len-token sequence (position
// len − numQueries + q): causal ∩ the window or chunk ∩ [splitLo, splitHi); (0, 0) when empty or when
// q is past the queries. From uniform values only, like decodeRange.
fn queryRange(len: u32, q: u32, splitLo: u32, splitHi: u32) -> vec2<u32> {
  if (q >= P.numQueries || len < P.numQueries) { return vec2<u32>(0u, 0u); }
  let pos = len - P.numQueries + q;
  var lo = 0u;
  let hi = min(pos + 1u, splitHi);
  if (P.window > 0u && pos + 1u > P.window) { lo = pos + 1u - P.window; }
  if (P.chunk > 0u) { lo = (pos / P.chunk) * P.chunk; }
  lo = max(lo, splitLo);
  return select(vec2<u32>(0u, 0u), vec2<u32>(lo, hi), lo < hi);
}
