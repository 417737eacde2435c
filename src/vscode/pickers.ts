/**
 * Choose GPU / KV dtype / runtime: quick picks over the engine's own tables (GPU presets, KV dtypes,
 * runtimes) that write the `attentionLens.*` setting; every lens, hover and report follows at once.
 * A setting is written where it already lives (workspace or user), user settings otherwise.
 */
import * as vscode from 'vscode';
import { bytes } from '../core/format';
import { GPU_PRESETS } from '../core/gpus';
import { KV_DTYPE_NAMES, KV_DTYPES, type Runtime } from '../core/kvDtypes';
import { runtimeName } from '../core/report';
import { SECTION } from './settings';
import type { Log } from './log';
import { listAdaptersInWorker } from '../gpu/workerClient';
import { describeAdapters } from '../gpu/host/adapterText';

interface Pick<T> extends vscode.QuickPickItem {
  value: T;
}

export async function chooseGpu(): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const current = c.get<number | null>('gpu.memoryGiB', null) ? 'custom' : c.get<string>('gpu.preset', 'h100-sxm');
  const items: Pick<string>[] = GPU_PRESETS.map((g) => ({
    value: g.id,
    label: g.name,
    description: `${bytes(g.memoryBytes)} · ${g.bandwidthGBps.toLocaleString('en-US')} GB/s${g.id === current ? ' · current' : ''}`,
    detail: g.note,
  }));
  items.push({ value: 'custom', label: '$(edit) Custom memory…', description: current === 'custom' ? `${c.get<number>('gpu.memoryGiB')} GiB · current` : 'a GPU known by its memory size' });
  const pick = await vscode.window.showQuickPick(items, { title: 'Attention Lens: GPU for budgets', placeHolder: 'The GPU whose memory the budgets and "fits" figures use', matchOnDescription: true });
  if (!pick) return;
  if (pick.value !== 'custom') {
    await update('gpu.preset', pick.value);
    await update('gpu.memoryGiB', undefined);
    return;
  }
  const text = await vscode.window.showInputBox({
    title: 'Attention Lens: GPU memory',
    prompt: 'GPU memory in GiB (e.g. 48 for an RTX 6000 Ada, 192 for a B200)',
    value: String(c.get<number | null>('gpu.memoryGiB', null) ?? 80),
    validateInput: (v) => (memoryOf(v) === undefined ? 'Give a number of GiB greater than 0 and at most 1048576' : undefined),
  });
  const gib = text === undefined ? undefined : memoryOf(text);
  if (gib !== undefined) await update('gpu.memoryGiB', gib);
}

export async function chooseKvDtype(): Promise<void> {
  const current = vscode.workspace.getConfiguration(SECTION).get<string>('kv.dtype', 'auto');
  const items: Pick<string>[] = [
    { value: 'auto', label: 'auto', description: current === 'auto' ? 'current' : undefined, detail: "The runtime's default: the model's dtype (bf16/fp16), fp32 when the config names none" },
    ...KV_DTYPE_NAMES.map((d) => ({
      value: d,
      label: d,
      description: `${KV_DTYPES[d].runtimes.map(runtimeName).join(', ')}${d === current ? ' · current' : ''}`,
      detail: KV_DTYPES[d].note,
    })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Attention Lens: KV-cache dtype', placeHolder: 'How K and V are stored in the cache' });
  if (pick) await update('kv.dtype', pick.value);
}

export async function chooseRuntime(): Promise<void> {
  const current = vscode.workspace.getConfiguration(SECTION).get<Runtime>('kv.runtime', 'hf');
  const details: Record<Runtime, string> = {
    hf: 'Exact bytes, no paging: the DynamicCache of transformers',
    vllm: '16-token pages, a sliding-window reserve, tensor-parallel head rules',
    llamacpp: 'Cells padded to 256, iSWA for sliding layers, MLA stored K-only or K+V',
  };
  const items: Pick<Runtime>[] = (['hf', 'vllm', 'llamacpp'] as const).map((r) => ({
    value: r, label: runtimeName(r), description: r === current ? 'current' : r, detail: details[r],
  }));
  const pick = await vscode.window.showQuickPick(items, { title: 'Attention Lens: serving runtime', placeHolder: 'Whose allocation rules the KV figures follow' });
  if (pick) await update('kv.runtime', pick.value);
}

/**
 * Choose Profiling Adapter: Dawn's adapters, listed by the profiler's worker (this process loads no
 * WebGPU) on the machine the extension runs on — the remote host under Remote-SSH or a dev container.
 */
export async function chooseProfileAdapter(workerPath: string, log: Log): Promise<void> {
  const list = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Attention Lens: listing WebGPU adapters…' }, () => listAdaptersInWorker({ workerPath, timeoutMs: 60_000 }));
  log.info(`adapters: ${describeAdapters(list.adapters) || 'none'}; default ${list.chosen?.name ?? 'none'}`);
  if (list.adapters.length === 0) {
    void vscode.window.showWarningMessage('Attention Lens: Dawn found no WebGPU adapter on this machine. On Linux install the GPU driver with its Vulkan ICD (or Mesa 23+\'s lavapipe to run on the CPU).');
    return;
  }
  const current = (vscode.workspace.getConfiguration(SECTION).get<string>('profile.adapter', '') ?? '').trim();
  const items: Pick<string>[] = [
    { value: '', label: 'Default', description: `${list.chosen?.name ?? 'none opens'}${current === '' ? ' · current' : ''}`, detail: "Dawn's high-performance choice: a discrete GPU before an integrated one, a GPU before a software adapter" },
    ...list.adapters.map((a) => ({
      // The name, not the index: it survives an adapter added or removed.
      value: a.name,
      label: `${a.index}: ${a.name}`,
      description: `${a.backend}${a.chosen ? ' · the default' : ''}${current !== '' && a.name.toLowerCase().includes(current.toLowerCase()) ? ' · current' : ''}`,
      detail: a.software ? 'A software adapter: profiling it measures this machine\'s CPU, not a GPU' : undefined,
    })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Attention Lens: adapter to profile on', placeHolder: 'The WebGPU adapter the profiler opens' });
  if (pick) await update('profile.adapter', pick.value === '' ? undefined : pick.value);
}

/** Writes where the user keeps the setting: a workspace value stays in the workspace. */
async function update(key: string, value: unknown): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const where = c.inspect(key);
  const target = where?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
    : where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await c.update(key, value, target);
}

function memoryOf(text: string): number | undefined {
  const n = Number(text.trim());
  return Number.isFinite(n) && n > 0 && n <= 1 << 20 ? n : undefined;
}
