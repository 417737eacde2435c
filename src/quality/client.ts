/**
 * The parent side of the quality worker, shared by the CLI and the extension: forks
 * dist/qualityWorker.mjs through shared/superviseWorker (which owns the child's life: crash, timeout,
 * cancellation), sends the request when the worker is ready, relays progress, and turns the worker's
 * error event into a QualityRunError.
 */
import { isQualityEvent, type QualityEvent, type QualityRunRequest, type WeightsMeasurementJson } from '../shared/qualityProtocol';
import { superviseWorker } from '../shared/superviseWorker';

export class QualityRunError extends Error {
  constructor(readonly code: 'bad-input' | 'bad-request' | 'internal' | 'timeout' | 'cancelled' | 'crashed', message: string) {
    super(message);
    this.name = 'QualityRunError';
  }
}

export interface RunQualityOptions {
  workerPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
  execPath?: string;
}

export function runQuality(request: Omit<QualityRunRequest, 'type'>, options: RunQualityOptions): Promise<WeightsMeasurementJson> {
  return superviseWorker<QualityEvent, WeightsMeasurementJson>({
    ...options,
    name: 'the quality worker',
    isEvent: isQualityEvent,
    error: (kind, message) => new QualityRunError(kind, message),
    cancelledMessage: 'the measurement was cancelled',
    // A big checkpoint takes many minutes on a CPU, layer after layer: the limit is on silence, not on the whole run.
    timeoutKind: 'idle',
    timeoutMessage: (s) => `the quality worker reported no progress for ${s} s and was stopped; measure fewer targets (the mla-R ones are the slow ones) or give it more time`,
    onEvent: (m, worker) => {
      if (m.type === 'ready') worker.send({ type: 'run', ...request });
      else if (m.type === 'progress') options.onProgress?.(m.done, m.total, m.message);
      else if (m.type === 'done') worker.finish(m.result);
      else if (m.type === 'error') worker.fail(new QualityRunError(m.code, m.message));
    },
  });
}
