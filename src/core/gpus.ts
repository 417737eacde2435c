/**
 * GPU presets for budgets and rooflines: memory, DRAM bandwidth and dense peak FLOP/s, each with its
 * source. Capacities are the marketed size, which is binary (80 GB of HBM = 80 GiB of DRAM); the CUDA
 * runtime reports ~1.5% less, so where a public runtime log shows the visible total we use that.
 */
import { UsageError } from './errors';

export interface GpuPreset {
  id: string;
  name: string;
  vendor: 'NVIDIA' | 'AMD' | 'Apple';
  /** Memory the runtime can allocate from, in bytes. */
  memoryBytes: number;
  /** What the vendor markets, for labels ("80 GB"). */
  marketedGB: number;
  bandwidthGBps: number;
  /** Dense (no 2:4 sparsity) FP16/BF16 tensor peak with FP32 accumulation; null where the vendor publishes none. */
  bf16DenseTflops: number | null;
  fp32Tflops: number | null;
  /** Fraction of memory a runtime may use by default (vLLM's 0.9; macOS lets the GPU wire ~75% of RAM). */
  defaultUtilization: number;
  unified?: boolean;
  source: string;
  note?: string;
}

const GiB = 2 ** 30;

export const GPU_PRESETS: readonly GpuPreset[] = [
  {
    id: 'h100-sxm', name: 'H100 SXM 80GB', vendor: 'NVIDIA', memoryBytes: 80 * GiB, marketedGB: 80, bandwidthGBps: 3350, bf16DenseTflops: 989.4, fp32Tflops: 66.9, defaultUtilization: 0.9,
    source: 'https://www.nvidia.com/en-us/data-center/h100/ (BF16 1,979 TFLOPS with sparsity → 989.4 dense; 3.35 TB/s; FP32 67)',
  },
  {
    id: 'h100-pcie', name: 'H100 PCIe 80GB', vendor: 'NVIDIA', memoryBytes: 80 * GiB, marketedGB: 80, bandwidthGBps: 2000, bf16DenseTflops: 756.5, fp32Tflops: 51, defaultUtilization: 0.9,
    source: 'https://www.nvidia.com/en-us/data-center/h100/ (PCIe: BF16 1,513 TFLOPS with sparsity → 756.5 dense; 2 TB/s; FP32 51)',
  },
  {
    id: 'h200', name: 'H200 SXM 141GB', vendor: 'NVIDIA', memoryBytes: 141 * GiB, marketedGB: 141, bandwidthGBps: 4800, bf16DenseTflops: 989.4, fp32Tflops: 66.9, defaultUtilization: 0.9,
    source: 'https://www.nvidia.com/en-us/data-center/h200/ (141 GB HBM3e, 4.8 TB/s, BF16 1,979 TFLOPS with sparsity → 989.4 dense)',
    note: 'FP32 taken from the H100 SXM (same GH100 compute); NVIDIA\'s H200 page does not restate it.',
  },
  {
    id: 'b200', name: 'B200 180GB', vendor: 'NVIDIA', memoryBytes: 180 * GiB, marketedGB: 180, bandwidthGBps: 8000, bf16DenseTflops: 2250, fp32Tflops: 80, defaultUtilization: 0.9,
    source: 'https://www.nvidia.com/en-us/data-center/dgx-b200/ (1,440 GB and 64 TB/s over 8 GPUs → 180 GB, 8 TB/s each); HGX B200 at 1,000 W: BF16 2.25 PFLOPS dense, FP32 80 TFLOPS',
    note: 'Some listings say 192 GB (the raw HBM3e) or 7.7 TB/s; 180 GB is what DGX/HGX B200 expose.',
  },
  {
    id: 'a100-40', name: 'A100 SXM 40GB', vendor: 'NVIDIA', memoryBytes: Math.round(39.5 * GiB), marketedGB: 40, bandwidthGBps: 1555, bf16DenseTflops: 312, fp32Tflops: 19.5, defaultUtilization: 0.9,
    source: 'NVIDIA A100 datasheet (nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf): 40 GB HBM2, 1,555 GB/s, BF16 312 TFLOPS dense, FP32 19.5; visible 39.50 GiB per vLLM log (vllm-project/vllm#12330)',
  },
  {
    id: 'a100-80', name: 'A100 SXM 80GB', vendor: 'NVIDIA', memoryBytes: 80 * GiB, marketedGB: 80, bandwidthGBps: 2039, bf16DenseTflops: 312, fp32Tflops: 19.5, defaultUtilization: 0.9,
    source: 'NVIDIA A100 datasheet: 80 GB HBM2e, 2,039 GB/s (SXM), BF16 312 TFLOPS dense, FP32 19.5',
  },
  {
    id: 'l40s', name: 'L40S 48GB', vendor: 'NVIDIA', memoryBytes: 48 * GiB, marketedGB: 48, bandwidthGBps: 864, bf16DenseTflops: 362.05, fp32Tflops: 91.6, defaultUtilization: 0.9,
    source: 'https://www.nvidia.com/en-us/data-center/l40s/ (48 GB GDDR6, 864 GB/s, BF16 733 TFLOPS with sparsity → 362.05 dense, FP32 91.6)',
  },
  {
    id: 'l4', name: 'L4 24GB', vendor: 'NVIDIA', memoryBytes: 24 * GiB, marketedGB: 24, bandwidthGBps: 300, bf16DenseTflops: 121, fp32Tflops: 30.3, defaultUtilization: 0.9,
    source: 'https://www.nvidia.com/en-us/data-center/l4/ (24 GB GDDR6, 300 GB/s, FP16 242 TFLOPS with sparsity → 121 dense, FP32 30.3)',
  },
  {
    id: 'rtx-3090', name: 'GeForce RTX 3090 24GB', vendor: 'NVIDIA', memoryBytes: Math.round(23.58 * GiB), marketedGB: 24, bandwidthGBps: 936.2, bf16DenseTflops: 71, fp32Tflops: 35.58, defaultUtilization: 0.9,
    source: 'NVIDIA Ampere GA102 architecture whitepaper (24 GB GDDR6X, 936 GB/s, FP16 tensor with FP32 accumulate 71 TFLOPS dense, FP32 35.6); visible 23.58 GiB per vLLM log (vllm-project/vllm#10517)',
  },
  {
    id: 'rtx-4090', name: 'GeForce RTX 4090 24GB', vendor: 'NVIDIA', memoryBytes: 24 * GiB, marketedGB: 24, bandwidthGBps: 1008, bf16DenseTflops: 165.2, fp32Tflops: 82.6, defaultUtilization: 0.9,
    source: 'NVIDIA Ada Lovelace architecture whitepaper (24 GB GDDR6X, 1,008 GB/s, FP16/BF16 tensor with FP32 accumulate 165.2 TFLOPS dense, FP32 82.6)',
  },
  {
    id: 'rtx-5090', name: 'GeForce RTX 5090 32GB', vendor: 'NVIDIA', memoryBytes: 32 * GiB, marketedGB: 32, bandwidthGBps: 1792, bf16DenseTflops: 209.5, fp32Tflops: 104.8, defaultUtilization: 0.9,
    source: 'https://www.nvidia.com/en-us/geforce/graphics-cards/50-series/rtx-5090/ (32 GB GDDR7, 1,792 GB/s, FP32 104.8); FP16 tensor 838 TFLOPS sparse with FP16 accumulate → 209.5 dense with FP32 accumulate (GeForce half rate)',
    note: 'The FP32-accumulate tensor figure is derived from the sparse FP16-accumulate one; treat it as approximate.',
  },
  {
    id: 'mi300x', name: 'AMD Instinct MI300X 192GB', vendor: 'AMD', memoryBytes: 192 * GiB, marketedGB: 192, bandwidthGBps: 5300, bf16DenseTflops: 1307.4, fp32Tflops: 163.4, defaultUtilization: 0.9,
    source: 'https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html (192 GB HBM3, 5.3 TB/s, FP16/BF16 1,307.4 TFLOPS dense, FP32 vector 163.4)',
  },
  {
    id: 'm4-max', name: 'Apple M4 Max (128 GB unified)', vendor: 'Apple', memoryBytes: 128 * GiB, marketedGB: 128, bandwidthGBps: 546, bf16DenseTflops: null, fp32Tflops: null, defaultUtilization: 0.75, unified: true,
    source: 'https://www.apple.com/macbook-pro/specs/ (M4 Max 16-core CPU/40-core GPU: up to 128 GB unified memory, 546 GB/s)',
    note: 'Apple publishes no FLOP/s. macOS lets the GPU wire about 75% of unified memory by default (Metal recommendedMaxWorkingSetSize); the rest is shared with the system.',
  },
  {
    id: 'm3-max', name: 'Apple M3 Max (128 GB unified)', vendor: 'Apple', memoryBytes: 128 * GiB, marketedGB: 128, bandwidthGBps: 400, bf16DenseTflops: null, fp32Tflops: null, defaultUtilization: 0.75, unified: true,
    source: 'https://support.apple.com/kb/SP899 (M3 Max 16-core CPU/40-core GPU: up to 128 GB unified memory, 400 GB/s)',
    note: 'Apple publishes no FLOP/s; ~75% of unified memory is available to the GPU by default.',
  },
  {
    id: 'm2-ultra', name: 'Apple M2 Ultra (192 GB unified)', vendor: 'Apple', memoryBytes: 192 * GiB, marketedGB: 192, bandwidthGBps: 800, bf16DenseTflops: null, fp32Tflops: null, defaultUtilization: 0.75, unified: true,
    source: 'https://www.apple.com/mac-studio/specs/ (M2 Ultra: up to 192 GB unified memory, 800 GB/s)',
    note: 'Apple publishes no FLOP/s; ~75% of unified memory is available to the GPU by default.',
  },
];

const ALIASES: Record<string, string> = {
  h100: 'h100-sxm', 'h100-80': 'h100-sxm', 'h100-sxm5': 'h100-sxm', h200: 'h200', 'h200-sxm': 'h200',
  a100: 'a100-80', 'a100-80gb': 'a100-80', 'a100-40gb': 'a100-40', '3090': 'rtx-3090', '4090': 'rtx-4090', '5090': 'rtx-5090',
  rtx3090: 'rtx-3090', rtx4090: 'rtx-4090', rtx5090: 'rtx-5090', mi300: 'mi300x', m4max: 'm4-max', m3max: 'm3-max', m2ultra: 'm2-ultra',
};

export function findGpu(name: string): GpuPreset {
  const key = name.trim().toLowerCase().replace(/[\s_]+/g, '-');
  const id = ALIASES[key] ?? key;
  const preset = GPU_PRESETS.find((g) => g.id === id);
  if (!preset) throw new UsageError(`unknown GPU "${name}"; choose one of ${GPU_PRESETS.map((g) => g.id).join(', ')}, or pass --gpu-mem GIB`);
  return preset;
}

/** A GPU known only by its memory size (--gpu-mem). */
export function customGpu(memoryGiB: number): GpuPreset {
  if (!Number.isFinite(memoryGiB) || memoryGiB <= 0 || memoryGiB > 1 << 20) {
    throw new UsageError(`--gpu-mem ${memoryGiB}: give the GPU memory in GiB, a number between 0 and 1048576`);
  }
  return {
    id: 'custom', name: `${memoryGiB} GiB GPU`, vendor: 'NVIDIA', memoryBytes: Math.round(memoryGiB * GiB), marketedGB: memoryGiB,
    bandwidthGBps: 0, bf16DenseTflops: null, fp32Tflops: null, defaultUtilization: 0.9, source: 'given with --gpu-mem',
  };
}
