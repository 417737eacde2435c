// Combines the per-split partial results of attention.wgsl: O = Σ O_s·2^(m_s − M) / Σ l_s·2^(m_s − M).
// One workgroup per (batch, head, query) row; rows are laid out over x and y to stay under 65,535.
const DV: u32 = {{DV}}u;

{{MERGE_PARAMS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let row = wid.y * M.rowsPerY + wid.x;
  if (row >= M.rows) { return; }
  var mMax = -1.0e30;
  for (var s = 0u; s < M.numSplits; s++) { mMax = max(mMax, partML[row * M.numSplits + s].x); }
  var l = 0.0;
  for (var s = 0u; s < M.numSplits; s++) {
    let ml = partML[row * M.numSplits + s];
    l += ml.y * exp2(ml.x - mMax);
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = tid; d < DV; d += 64u) {
    var o = 0.0;
    for (var s = 0u; s < M.numSplits; s++) {
      let ml = partML[row * M.numSplits + s];
      o += partO[(row * M.numSplits + s) * DV + d] * exp2(ml.x - mMax);
    }
    outO[row * DV + d] = o * inv;
  }
}
