// The merge passes' parameters and bindings (merge.wgsl, merge2.wgsl; src/gpu/attention.ts writes them).
struct MergeParams {
  rows: u32,
  numSplits: u32,
  rowsPerY: u32,
  pad: u32,
};

@group(0) @binding(0) var<uniform> M: MergeParams;
@group(0) @binding(1) var<storage, read> partO: array<f32>;
@group(0) @binding(2) var<storage, read> partML: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> outO: array<f32>;
