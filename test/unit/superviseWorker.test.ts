/**
 * The worker supervisor on a scripted child (a few lines of plain Node, behaviour chosen by env):
 * every way a run ends — an answer, an error event reported once the child exits, a crash with its last
 * lines, a hang stopped by the timeout, a cancellation — settles once, and the child is gone after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { superviseWorker, type WorkerEndKind } from '../../src/shared/superviseWorker';

const script = path.join(mkdtempSync(path.join(tmpdir(), 'attention-lens-supervise-')), 'child.mjs');
writeFileSync(script, `
const mode = process.env.MODE;
process.on('message', (m) => {
  if (mode === 'answer') process.send({ type: 'done', value: m.x * 2 });
  if (mode === 'error') { process.send({ type: 'error', message: 'bad weights' }); setTimeout(() => process.exit(0), 20); }
  if (mode === 'crash') { console.error('about to fail: line 1'); console.error('the last words'); setTimeout(() => process.abort(), 20); }
  if (mode === 'malformed') { process.send({ nonsense: true }); process.send({ type: 'done', value: 1 }); }
});
process.on('disconnect', () => process.exit(0)); // as our workers do
process.send({ type: 'ready' });
if (mode === 'hang' || mode === 'cancel') setInterval(() => {}, 1000);
// Talks every 100 ms for 1 s, then answers: longer than a 400 ms limit in all, never silent for 400 ms.
if (mode === 'chatty') {
  let n = 0;
  const t = setInterval(() => {
    if (++n < 10) process.send({ type: 'progress' });
    else { clearInterval(t); process.send({ type: 'done', value: 7 }); }
  }, 100);
}
`);

type Event = { type: 'ready' } | { type: 'progress' } | { type: 'done'; value: number } | { type: 'error'; message: string };
const isEvent = (m: unknown): m is Event => typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';

class TestError extends Error {
  constructor(readonly kind: WorkerEndKind | 'worker', message: string, readonly logs: readonly string[] = []) {
    super(message);
  }
}

function run(mode: string, extra: { timeoutMs?: number; signal?: AbortSignal; timeoutKind?: 'total' | 'idle' } = {}): { result: Promise<number>; pid: Promise<number> } {
  let gotPid!: (pid: number) => void;
  const pid = new Promise<number>((r) => (gotPid = r));
  const result = superviseWorker<Event, number>({
    workerPath: script, env: { MODE: mode }, timeoutMs: extra.timeoutMs ?? 10_000, ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.timeoutKind ? { timeoutKind: extra.timeoutKind } : {}),
    onSpawn: gotPid, isEvent, name: 'the test worker',
    error: (kind, message, logs) => new TestError(kind, message, logs),
    cancelledMessage: 'cancelled by the user',
    timeoutMessage: (s) => `took longer than ${s} s`,
    onEvent: (m, worker) => {
      if (m.type === 'ready') worker.send({ x: 21 });
      else if (m.type === 'done') worker.finish(m.value);
      else if (m.type === 'error') worker.fail(new TestError('worker', m.message));
    },
  });
  return { result, pid };
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

test('an answer settles the run', async () => {
  assert.equal(await run('answer').result, 42);
});

test("the worker's own error is reported when it exits, not as a crash", async () => {
  await assert.rejects(run('error').result, (e: unknown) => e instanceof TestError && e.kind === 'worker' && e.message === 'bad weights');
});

test('a crash is reported with how it ended and its last lines', async () => {
  await assert.rejects(run('crash').result, (e: unknown) =>
    e instanceof TestError && e.kind === 'crashed' && /^the test worker exited on signal SIGABRT before finishing; its last lines: /.test(e.message) && e.logs.includes('the last words'));
});

test('a malformed message is dropped and logged; the run goes on', async () => {
  assert.equal(await run('malformed').result, 1);
});

test('a hang is stopped by the timeout and the child killed', async () => {
  const r = run('hang', { timeoutMs: 300 });
  await assert.rejects(r.result, (e: unknown) => e instanceof TestError && e.kind === 'timeout' && e.message === 'took longer than 0 s');
  const pid = await r.pid;
  await new Promise((d) => setTimeout(d, 100));
  assert.ok(gone(pid), 'the child was killed');
});

test('an idle limit is restarted by every event: a run that keeps reporting outlives it; the total limit does not', async () => {
  assert.equal(await run('chatty', { timeoutMs: 400, timeoutKind: 'idle' }).result, 7);
  await assert.rejects(run('chatty', { timeoutMs: 400 }).result, (e: unknown) => e instanceof TestError && e.kind === 'timeout');
  await assert.rejects(run('hang', { timeoutMs: 300, timeoutKind: 'idle' }).result, (e: unknown) => e instanceof TestError && e.kind === 'timeout');
});

test('cancelling kills the child; an already aborted signal starts nothing', async () => {
  const ac = new AbortController();
  const r = run('cancel', { signal: ac.signal });
  const pid = await r.pid;
  ac.abort();
  await assert.rejects(r.result, (e: unknown) => e instanceof TestError && e.kind === 'cancelled');
  await new Promise((d) => setTimeout(d, 100));
  assert.ok(gone(pid));
  await assert.rejects(run('answer', { signal: AbortSignal.abort() }).result, (e: unknown) => e instanceof TestError && e.kind === 'cancelled');
});

test('a worker file that does not exist is a crash naming it', async () => {
  const r = superviseWorker<Event, number>({
    workerPath: path.join(tmpdir(), 'no-such-worker.mjs'), timeoutMs: 5000, isEvent, name: 'the test worker',
    error: (kind, message) => new TestError(kind, message), cancelledMessage: '', timeoutMessage: () => '', onEvent: () => {},
  });
  await assert.rejects(r, (e: unknown) => e instanceof TestError && e.kind === 'crashed' && /^the test worker is missing: .*no-such-worker\.mjs does not exist/.test(e.message));
});
