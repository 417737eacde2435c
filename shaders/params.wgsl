// The launch parameters shared by attention.wgsl and decode.wgsl (one layout: src/gpu/attention.ts writes it).
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
  // dispatch's buffers hold chunkHeads KV heads from kvHeadBase of the sequences from batchBase.
  chunkHeads: u32,
  kvHeadBase: u32,
  batchBase: u32,
  pad0: u32,
};
