/**
 * One part of `gpu:check` as a child process with its own time limit: a hang or a driver crash costs
 * that part, never the check. The child gets a process group of its own so that everything it started
 * (the test runner's per-file processes, a CLI's worker) dies with it. Its output goes to the check's
 * log as it comes, and its last lines are kept for the summary.
 */
import { spawn } from 'node:child_process';
import type { WriteStream } from 'node:fs';

export type PartStatus = 'passed' | 'failed' | 'timed-out' | 'skipped';

export interface PartOutcome {
  name: string;
  status: PartStatus;
  seconds: number;
  limitSeconds: number;
  exitCode: number | null;
  /** One line: what the part showed, or why it failed or did not run. */
  summary: string;
}

export interface PartRun {
  outcome: PartOutcome;
  stdout: string;
  /** The last lines of stdout and stderr together. */
  tail: string[];
}

const TAIL_LINES = 30;

export function runPart(name: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd: string; limitSeconds: number; log: WriteStream; onLine?: (line: string) => void }): Promise<PartRun> {
  const started = performance.now();
  o.log.write(`\n===== ${name}: ${process.execPath} ${args.join(' ')} (limit ${o.limitSeconds} s)\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    const tail: string[] = [];
    const take = (stream: 'out' | 'err') => {
      let partial = '';
      return (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        o.log.write(text);
        if (stream === 'out') stdout += text;
        const lines = (partial + text).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
          o.onLine?.(line);
        }
      };
    };
    child.stdout.on('data', take('out'));
    child.stderr.on('data', take('err'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, o.limitSeconds * 1000);
    let ended = false;
    const done = (exitCode: number | null, error?: string): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      // Whatever the part left behind (a test's own children) goes with it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* the group is gone already */
      }
      const seconds = (performance.now() - started) / 1000;
      const status: PartStatus = timedOut ? 'timed-out' : exitCode === 0 ? 'passed' : 'failed';
      const summary = timedOut ? `stopped at its ${o.limitSeconds} s limit` : error ?? (exitCode === 0 ? 'ok' : `exited with ${exitCode}`);
      o.log.write(`===== ${name}: ${status} in ${seconds.toFixed(1)} s\n`);
      resolve({ outcome: { name, status, seconds, limitSeconds: o.limitSeconds, exitCode, summary }, stdout, tail });
    };
    child.on('error', (e) => done(null, `could not start: ${e.message}`));
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : null)));
  });
}

export function skippedPart(name: string, limitSeconds: number, why: string): PartRun {
  return { outcome: { name, status: 'skipped', seconds: 0, limitSeconds, exitCode: null, summary: why }, stdout: '', tail: [] };
}
