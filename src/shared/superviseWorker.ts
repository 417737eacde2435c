/**
 * The parent side of a worker process, for the profiler and the quality worker alike: forks the
 * bundled entry (ELECTRON_RUN_AS_NODE=1, so VS Code's Electron runs it as plain Node), keeps its last
 * log lines, and turns every way the child can end — a result, an error event, a crash, the timeout,
 * cancellation — into one settled promise. What the messages mean stays with each client.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export type WorkerEndKind = 'cancelled' | 'timeout' | 'crashed';

export interface WorkerHandle<Result> {
  /** Sends a message to the child. */
  send(message: object): void;
  /** Keeps a line among the last log lines (reported with a failure). */
  remember(line: string): void;
  /** The child's last log lines (stdout, stderr and remembered lines). */
  readonly logs: readonly string[];
  /** The child's answer: settles the run. */
  finish(result: Result): void;
  /** The child reported an error: reported when it exits (after its last messages are drained). */
  fail(error: Error): void;
}

export interface SuperviseOptions<Event, Result> {
  /** The bundled worker entry (dist/….mjs). */
  workerPath: string;
  /** Node (or Electron) binary; default: this process's. */
  execPath?: string;
  /** Extra environment for the child. */
  env?: Record<string, string | undefined>;
  timeoutMs: number;
  /**
   * 'total' (default): the run may take timeoutMs in all. 'idle': each event from the child restarts
   * the clock, so a long run that keeps reporting progress (a big checkpoint, layer by layer) is not cut
   * short, while a child that stops talking still is.
   */
  timeoutKind?: 'total' | 'idle';
  signal?: AbortSignal;
  /** Called with the child's pid once it is started. */
  onSpawn?: (pid: number) => void;
  /** The protocol's guard: other messages are logged as malformed and dropped. */
  isEvent: (m: unknown) => m is Event;
  onEvent: (event: Event, worker: WorkerHandle<Result>) => void;
  /** The client's error for each way a run ends without an answer (logs: the child's last lines). */
  error: (kind: WorkerEndKind, message: string, logs: readonly string[]) => Error;
  /** Words for messages: what the worker is ("the quality worker") and, per end, what the user reads. */
  name: string;
  cancelledMessage: string;
  timeoutMessage: (seconds: number) => string;
  /** Said after "exited … before finishing" (e.g. " (a GPU driver crash?)"). */
  crashHint?: string;
}

const KEEP_LOG_LINES = 40;

export function superviseWorker<Event, Result>(o: SuperviseOptions<Event, Result>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const logs: string[] = [];
    const remember = (line: string): void => {
      logs.push(line);
      if (logs.length > KEEP_LOG_LINES) logs.shift();
    };
    if (o.signal?.aborted) return reject(o.error('cancelled', o.cancelledMessage, []));

    if (!existsSync(o.workerPath)) return reject(o.error('crashed', `${o.name} is missing: ${o.workerPath} does not exist (a broken install or an unbuilt checkout: npm run build)`, []));
    let child: ChildProcess;
    try {
      child = fork(o.workerPath, [], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...o.env },
        execPath: o.execPath,
        execArgv: [],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    } catch (e) {
      return reject(o.error('crashed', `could not start ${o.name} ${o.workerPath}: ${e instanceof Error ? e.message : String(e)}`, []));
    }
    if (child.pid !== undefined) o.onSpawn?.(child.pid);
    let settled = false;
    let failure: Error | undefined;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const onAbort = (): void => {
      kill();
      finish(() => reject(o.error('cancelled', o.cancelledMessage, logs)));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const onTimeout = (): void => {
      kill();
      finish(() => reject(o.error('timeout', o.timeoutMessage(Math.round(o.timeoutMs / 1000)), logs)));
    };
    let timer = setTimeout(onTimeout, o.timeoutMs);
    const heardFromChild = (): void => {
      if (o.timeoutKind !== 'idle' || settled) return;
      clearTimeout(timer);
      timer = setTimeout(onTimeout, o.timeoutMs);
    };

    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => chunk.split('\n').filter((l) => l.trim().length > 0).forEach(remember));
    }
    const handle: WorkerHandle<Result> = {
      send: (message) => child.send(message),
      remember,
      logs,
      finish: (result) => {
        finish(() => resolve(result));
        // The answer is in: let the child go (our workers exit when the channel closes).
        if (child.connected) child.disconnect();
      },
      fail: (error) => {
        failure = error;
      },
    };
    child.on('message', (m: unknown) => {
      if (!o.isEvent(m)) {
        remember(`dropped a malformed message from ${o.name}`);
        return;
      }
      heardFromChild();
      o.onEvent(m, handle);
    });
    child.on('error', (e) => {
      kill();
      finish(() => reject(o.error('crashed', `${o.name} failed: ${e.message}`, logs)));
    });
    // 'close' comes after the IPC channel and stdio are drained, so a final error event is never lost.
    child.on('close', (code, signal) => {
      const last = logs.slice(-3).join(' | ');
      finish(() => reject(failure ?? o.error('crashed', `${o.name} exited ${signal ? `on signal ${signal}` : `with code ${code}`} before finishing${o.crashHint ?? ''}${last ? `; its last lines: ${last}` : ''}`, logs)));
    });
  });
}
