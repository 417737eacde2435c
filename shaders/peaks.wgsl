// The device's own limits, which every kernel result is a percentage of.
// copy: grid-stride vec4 copy (reads N, writes N bytes). read_sum: grid-stride vec4 reduction (reads N bytes,
// writes nothing that counts), four loads in flight per thread. fma: independent FMA chains in registers.
{{ENABLE_F16}}
struct PeakParams {
  count: u32,
  iterations: u32,
  pad0: u32,
  pad1: u32,
};

@group(0) @binding(0) var<uniform> PP: PeakParams;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<{{T}}>>;

@compute @workgroup_size(256)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < PP.count; i += stride) {
    dst[i] = vec4<{{T}}>(src[i]);
  }
}

// Decode only reads K and V: its bound is the read rate, which on HBM parts exceeds half the copy rate.
// Four independent accumulators keep four 16-byte loads in flight per thread.
@compute @workgroup_size(256)
fn read_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 256u;
  var a = vec4<f32>(0.0);
  var b = vec4<f32>(0.0);
  var c = vec4<f32>(0.0);
  var d = vec4<f32>(0.0);
  var i = gid.x;
  for (; i + 3u * stride < PP.count; i += 4u * stride) {
    a += src[i];
    b += src[i + stride];
    c += src[i + 2u * stride];
    d += src[i + 3u * stride];
  }
  for (; i < PP.count; i += stride) { a += src[i]; }
  let r = a + b + c + d;
  // Never true for the data written (zeros): keeps the loads alive without a store per thread.
  if (r.x == -1.0) { dst[gid.x % arrayLength(&dst)] = vec4<{{T}}>(r); }
}

@compute @workgroup_size(256)
fn fma_chain(@builtin(global_invocation_id) gid: vec3<u32>) {
  // Four independent vec4 chains: 16 FMAs (32 FLOPs) per iteration per thread, enough ILP to fill a pipe.
  let seed = {{T}}(gid.x % 7u) * {{T}}(0.001);
  var a = vec4<{{T}}>(seed);
  var b = vec4<{{T}}>(seed + {{T}}(0.1));
  var c = vec4<{{T}}>(seed + {{T}}(0.2));
  var d = vec4<{{T}}>(seed + {{T}}(0.3));
  let m = vec4<{{T}}>({{T}}(0.999));
  let k = vec4<{{T}}>({{T}}(0.0001));
  for (var i = 0u; i < PP.iterations; i++) {
    a = fma(a, m, k);
    b = fma(b, m, k);
    c = fma(c, m, k);
    d = fma(d, m, k);
  }
  let r = a + b + c + d;
  if (r.x == {{T}}(-1.0)) { dst[gid.x % PP.count] = r; }
}

// The adapter's wave: how many workgroups run at once. Each workgroup holds 16 KiB of workgroup memory
// and 128 threads (the size of the attention kernels') and runs a fixed FMA chain; the dispatch time
// stays flat while the workgroups fit at once and steps up when they do not.
var<workgroup> waveScratch: array<vec4<f32>, 1024>;

@compute @workgroup_size(128)
fn wave_probe(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  for (var i = tid; i < 1024u; i += 128u) { waveScratch[i] = vec4<f32>(f32(i)); }
  workgroupBarrier();
  var a = waveScratch[(tid * 8u) % 1024u];
  let m = vec4<f32>(0.999);
  let k = vec4<f32>(0.0001);
  for (var i = 0u; i < PP.iterations; i++) { a = fma(a, m, k); }
  if (a.x == -1.0) { dst[wid.x % PP.count] = vec4<{{T}}>(a); }
}
