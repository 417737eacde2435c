/**
 * The profiler's child process (dist/worker.mjs). All GPU work happens here, never in the editor or
 * the CLI process: a driver crash or a hang costs one report. Protocol: src/shared/profileProtocol.ts —
 * one `run` request in; ready, device, progress, log, result, done or error events out. The parent
 * cancels by killing this process and enforces its own timeout.
 */
import { NoAdapterError, openGpu, type Backend, type GpuContext } from './device';
import { chosenAdapter, listAdapters } from './host/adapters';
import { isSoftwareAdapter, resolveAdapter } from './host/adapterText';
import { diagnoseHost } from './host/vulkanHost';
import { runPlan } from './profile';
import { isWorkerRequest, type WorkerEvent, type WorkerErrorCode } from '../shared/profileProtocol';

const send = (event: WorkerEvent): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });

/** Test hook: a folder standing for "/" when the host is diagnosed (fake /proc and ICD folders). */
const HOST_ROOT = process.env.ATTENTION_LENS_HOST_ROOT || '/';
/** Test hook: crash | hang | device-lost, to exercise the parent's handling of each. */
const fault = process.env.ATTENTION_LENS_WORKER_FAULT;

let ctx: GpuContext | undefined;
let finished = false;

async function fail(code: WorkerErrorCode, message: string): Promise<never> {
  finished = true;
  await send({ type: 'error', code, message });
  process.exit(1);
}

async function handle(message: unknown): Promise<void> {
  if (!isWorkerRequest(message)) return fail('bad-request', 'the profiler worker got a malformed request');
  if (message.type === 'list-adapters') return listAll();
  const { plan, settings } = message;
  try {
    let adapter: string | undefined;
    let backend: Backend | undefined = settings.backend;
    if (settings.adapter !== undefined) {
      const chosen = resolveAdapter(settings.adapter, await listAdapters());
      if ('error' in chosen) return fail('no-adapter', `--adapter / attentionLens.profile.adapter "${settings.adapter}": ${chosen.error}`);
      adapter = chosen.entry.name;
      backend = chosen.entry.backend as Backend;
    }
    ctx = await openGpu({ backend, forceF32: settings.forceF32, adapter, matrices: settings.matrices });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!(e instanceof NoAdapterError)) return fail('gpu-error', message);
    // Why, for this host: an NVIDIA GPU without its Vulkan ICD, a container without the graphics
    // capability, a library the driver cannot find — with the command that fixes it.
    const { advice } = diagnoseHost({ error: message }, HOST_ROOT);
    return fail('no-adapter', advice ? `${message} This host: ${advice}.` : message);
  }
  // A software adapter where a GPU is present measures the CPU: say so, and why the GPU did not open.
  const software = isSoftwareAdapter({ vendor: ctx.vendor, architecture: ctx.architecture, description: ctx.adapterName });
  const host = software ? diagnoseHost({ name: ctx.adapterName, backend: ctx.backend, software: true }, HOST_ROOT) : undefined;
  const gpuPresent = host?.nvidiaPresent === true;
  const softwareAdvice = host?.advice ?? '';
  void ctx.lost.then((reason) => {
    if (!finished) void fail('device-lost', `the GPU device was lost during profiling (${reason}); the results so far were kept. If this repeats, update the GPU driver or profile shorter contexts.`);
  });
  if (fault === 'device-lost') ctx.device.destroy();
  if (fault === 'crash') process.abort();
  if (fault === 'hang') await new Promise(() => undefined);

  try {
    if (gpuPresent) await send({ type: 'log', level: 'warn', message: `profiling ${ctx.adapterName}, a software adapter: these figures are this machine's CPU, not its GPU — ${softwareAdvice}` });
    const report = await runPlan(ctx, plan, settings, (e) => void send(e));
    if (gpuPresent) report.notes.push(`${ctx.adapterName} is a software adapter: these figures are the CPU's, not the GPU's. ${softwareAdvice}`);
    finished = true;
    await send({ type: 'done', report });
  } catch (e) {
    // A lost device makes pending GPU calls reject; the lost handler reports it with its reason.
    const lostFirst = await Promise.race([ctx.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
    if (lostFirst) return;
    return fail('gpu-error', e instanceof Error ? e.message : String(e));
  }
  ctx.destroy();
  // With the device destroyed and Dawn's instance dropped, the process ends on its own; should a driver
  // keep it alive anyway, leave after a grace period (the parent already has the result).
  process.disconnect?.();
  setTimeout(() => process.exit(0), 5000).unref();
}

/** Every adapter Dawn offers, numbered as --adapter takes them, and the one a profile opens by default. */
async function listAll(): Promise<void> {
  try {
    const list = await listAdapters();
    const chosen = await chosenAdapter();
    const chosenIndex = chosen ? list.findIndex((a) => chosen.name.toLowerCase().includes(a.name.toLowerCase()) || a.name.toLowerCase().includes(chosen.name.toLowerCase().split(':')[0]!.trim())) : -1;
    finished = true;
    await send({ type: 'adapters', adapters: list.map((a, index) => ({ index, name: a.name, backend: a.backend, chosen: index === chosenIndex, software: isSoftwareAdapter({ description: a.name }) })), chosen: chosen ? { name: chosen.name, software: chosen.software } : null });
  } catch (e) {
    return fail('gpu-error', e instanceof Error ? e.message : String(e));
  }
  process.disconnect?.();
  setTimeout(() => process.exit(0), 5000).unref();
}

if (!process.send) {
  process.stderr.write('attention-lens worker: start me with child_process.fork (the CLI and the extension do)\n');
  process.exit(2);
}
process.once('message', (m) => void handle(m));
// The parent went away (killed, cancelled): stop, whatever is running.
process.on('disconnect', () => {
  if (!finished) process.exit(0);
});
void send({ type: 'ready' });
