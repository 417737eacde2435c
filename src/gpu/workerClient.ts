/**
 * The parent side of the profiler worker, shared by the CLI and the extension. It imports no WebGPU:
 * it forks dist/worker.mjs through shared/superviseWorker (which owns the child's life: crash, timeout,
 * cancellation), sends the plan when the worker is ready, relays its events, and turns the worker's
 * error event into a ProfileError with the child's last log lines.
 */
import type { ProfilePlan } from '../core/profilePlan';
import { isWorkerEvent, type AdapterListing, type ProfileReport, type ProfileSettings, type WorkerErrorCode, type WorkerEvent, type WorkerRequest } from '../shared/profileProtocol';
import { superviseWorker } from '../shared/superviseWorker';

export type ProfileErrorCode = WorkerErrorCode | 'timeout' | 'cancelled' | 'crashed';

export class ProfileError extends Error {
  constructor(readonly code: ProfileErrorCode, message: string, readonly logs: readonly string[] = []) {
    super(message);
    this.name = 'ProfileError';
  }
}

export interface RunProfileOptions {
  /** Path of dist/worker.mjs. */
  workerPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onEvent?: (event: WorkerEvent) => void;
  /** Extra environment for the child (e.g. VK_ICD_FILENAMES, a test fault). */
  env?: Record<string, string | undefined>;
  /** Called with the child's pid once it is started. */
  onSpawn?: (pid: number) => void;
  /** Node (or Electron) binary; default: this process's. */
  execPath?: string;
}

export function runProfile(plan: ProfilePlan, settings: ProfileSettings, options: RunProfileOptions): Promise<ProfileReport> {
  return askWorker(options, { type: 'run', plan, settings }, {
    cancelled: 'profiling was cancelled',
    timeout: (s) => `profiling took longer than ${s} s and was stopped; give it more time (CLI --timeout, setting attentionLens.profile.workerTimeoutSeconds) or fewer contexts`,
  }, (m) => (m.type === 'done' ? m.report : undefined));
}

export interface AdapterList {
  adapters: AdapterListing[];
  /** The adapter a profile opens by default (Dawn's high-performance choice), or null when none opens. */
  chosen: { name: string; software: boolean } | null;
}

/** Dawn's adapters, listed in the worker (this process loads no WebGPU), numbered as --adapter takes them. */
export function listAdaptersInWorker(options: Omit<RunProfileOptions, 'onEvent'>): Promise<AdapterList> {
  return askWorker(options, { type: 'list-adapters' }, {
    cancelled: 'listing the adapters was cancelled',
    timeout: (s) => `listing the adapters took longer than ${s} s (a driver that hangs on open?)`,
  }, (m) => (m.type === 'adapters' ? { adapters: m.adapters, chosen: m.chosen } : undefined));
}

/**
 * One request to dist/worker.mjs: sent when the worker is ready, its log lines kept for errors, its
 * events relayed, its error event turned into a ProfileError, and the event `resultOf` maps ending it.
 */
function askWorker<T>(options: RunProfileOptions, request: WorkerRequest, messages: { cancelled: string; timeout: (seconds: number) => string }, resultOf: (m: WorkerEvent) => T | undefined): Promise<T> {
  return superviseWorker<WorkerEvent, T>({
    ...options,
    name: 'the profiler worker',
    isEvent: isWorkerEvent,
    error: (kind, message, lines) => new ProfileError(kind, message, lines),
    cancelledMessage: messages.cancelled,
    timeoutMessage: messages.timeout,
    crashHint: ' (a GPU driver crash?)',
    onEvent: (m, worker) => {
      if (m.type === 'log') worker.remember(m.message);
      if (m.type === 'ready') worker.send(request);
      else if (m.type === 'error') worker.fail(new ProfileError(m.code, m.message, worker.logs));
      else {
        const result = resultOf(m);
        if (result !== undefined) worker.finish(result);
      }
      if (m.type !== 'ready') options.onEvent?.(m);
    },
  });
}
