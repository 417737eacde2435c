/**
 * The quality worker's protocol (parent ⇄ child process over Node IPC): one `run` request in; ready,
 * progress, done or error out. The weights are read and the math runs in the child, so a huge or
 * hostile checkpoint costs one process, never the editor. Types plus runtime guards.
 */

export interface QualityRunRequest {
  type: 'run';
  /** The config file (its folder holds the safetensors). */
  configFile: string;
  configText: string;
  /** CLI grammar: gqa-4, mqa, mla-256, kv-int8, kv-int4, kv-fp8. */
  targets: string[];
  calibrationTokens: number;
  /** Where the heavy math runs (default 'auto': WebGPU on a hardware adapter, else the CPU). */
  device?: QualityDevice;
}

/** auto: WebGPU on a hardware adapter, the CPU otherwise; gpu: WebGPU even on a software adapter; cpu: never WebGPU. */
export type QualityDevice = 'auto' | 'gpu' | 'cpu';

/** What ran the heavy math (the MLA eigenproblems). */
export type QualityBackendJson =
  | { kind: 'cpu'; kernels: string }
  /** gpuLayers measured on the adapter; cpuLayers finished on the CPU after a loss or a limit (see notes). */
  | { kind: 'webgpu'; adapter: string; api: string; software: boolean; gpuLayers: number; cpuLayers: number; cpuKernels: string };

export interface QualityLayerResult {
  layer: number;
  kRelError: number;
  vRelError: number;
  energyRetained?: number;
}

export interface QualityConversion {
  target: string;
  kRelError: number;
  vRelError: number;
  energyRetained?: number;
  rank99?: number;
  perLayer: QualityLayerResult[];
  /** What the number is: weight-space error, not accuracy. */
  what: string;
}

export interface WeightsInfo {
  found: boolean;
  files: string[];
  dtype: string;
  layersRead: number;
  tensorsRead?: string[];
  bytesRead?: number;
}

export interface WeightsMeasurementJson {
  weights: WeightsInfo;
  conversions: QualityConversion[];
  notes: string[];
  backend?: QualityBackendJson;
}

export type QualityEvent =
  | { type: 'ready' }
  | { type: 'progress'; done: number; total: number; message: string }
  | { type: 'done'; result: WeightsMeasurementJson }
  | { type: 'error'; code: 'bad-input' | 'bad-request' | 'internal'; message: string };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

export function isQualityRunRequest(x: unknown): x is QualityRunRequest {
  return isObject(x) && x.type === 'run' && isStr(x.configFile) && isStr(x.configText) && Array.isArray(x.targets) && x.targets.every(isStr)
    && isNum(x.calibrationTokens) && Number.isInteger(x.calibrationTokens) && x.calibrationTokens >= 1
    && (x.device === undefined || x.device === 'auto' || x.device === 'gpu' || x.device === 'cpu');
}

export function isQualityEvent(x: unknown): x is QualityEvent {
  if (!isObject(x)) return false;
  switch (x.type) {
    case 'ready': return true;
    case 'progress': return isNum(x.done) && isNum(x.total) && isStr(x.message);
    case 'done': return isObject(x.result) && isObject(x.result.weights) && Array.isArray(x.result.conversions) && Array.isArray(x.result.notes);
    case 'error': return (x.code === 'bad-input' || x.code === 'bad-request' || x.code === 'internal') && isStr(x.message);
    default: return false;
  }
}
