// Combines the per-split partial results of decode2.wgsl: O = Σ O_s·2^(m_s − M) / Σ l_s·2^(m_s − M).
// One workgroup per (batch, head) row. Unlike merge.wgsl, which has every thread rescan the splits'
// maxima and recompute each split's weight for each of its output columns, the row's threads reduce
// the maxima once, keep each split's weight in workgroup memory, and then each thread sums its columns
// over the splits (consecutive threads, consecutive columns: coalesced reads of partO).
const DV: u32 = {{DV}}u;
const WG: u32 = 64u;
const MAX_SPLITS: u32 = {{MAX_SPLITS}}u;

{{MERGE_PARAMS}}

var<workgroup> weight: array<f32, MAX_SPLITS>;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let row = wid.y * M.rowsPerY + wid.x;
  // Uniform per workgroup: the whole workgroup leaves together.
  if (row >= M.rows) { return; }
  let base = row * M.numSplits;

  // The row's maximum over the splits.
  var mMax = -1.0e30;
  for (var s = tid; s < M.numSplits; s += WG) { mMax = max(mMax, partML[base + s].x); }
  red[tid] = mMax;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (tid < half) { red[tid] = max(red[tid], red[tid + half]); }
    workgroupBarrier();
  }
  let rowMax = red[0];
  workgroupBarrier();

  // Each split's weight, once; and the row sum Σ l_s·w_s.
  var l = 0.0;
  for (var s = tid; s < M.numSplits; s += WG) {
    let ml = partML[base + s];
    let w = exp2(ml.x - rowMax);
    weight[s] = w;
    l = fma(ml.y, w, l);
  }
  red[tid] = l;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (tid < half) { red[tid] += red[tid + half]; }
    workgroupBarrier();
  }
  let total = red[0];
  let inv = select(0.0, 1.0 / total, total > 0.0);

  for (var d = tid; d < DV; d += WG) {
    var o = 0.0;
    for (var s = 0u; s < M.numSplits; s++) { o = fma(partO[(base + s) * DV + d], weight[s], o); }
    outO[row * DV + d] = o * inv;
  }
}
