/**
 * The `attentionLens.*` settings, read in one place and turned into the engine's options. Every
 * provider asks here, so a setting means the same thing in a lens, a hover and a command.
 */
import * as vscode from 'vscode';
import { DEFAULT_PROFILE_CONTEXTS, type ProfileMode, type ProfileOptions } from '../core/profilePlan';
import type { ReportOptions } from '../core/report';
import type { Runtime } from '../core/kvDtypes';
import { DEFAULT_PROFILE_SETTINGS, DEFAULT_PROFILE_TIMEOUT_S, type ProfileSettings } from '../shared/profileProtocol';
import type { QualityDevice } from '../shared/qualityProtocol';

export const SECTION = 'attentionLens';

export interface EditorSettings {
  report: ReportOptions;
  codeLens: boolean;
  hovers: boolean;
  diagnostics: boolean;
  /** Globs (besides config.json) whose JSON files are read as model configs when they hold model keys. */
  include: string[];
  profile: { plan: ProfileOptions; settings: ProfileSettings; timeoutSeconds: number };
  /** Where the weight measurement's heavy math runs. */
  quality: { device: QualityDevice };
}

type Backend = NonNullable<ProfileSettings['backend']>;

export function readSettings(scope?: vscode.ConfigurationScope): EditorSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const memoryGiB = positive(c.get<number | null>('gpu.memoryGiB', null));
  const utilization = c.get<number | null>('gpu.utilization', null);
  const contextTokens = positiveInt(c.get<number | null>('kv.contextTokens', null));
  const report: ReportOptions = {
    gpu: c.get<string>('gpu.preset', 'h100-sxm'),
    kvDtype: c.get<string>('kv.dtype', 'auto'),
    runtime: c.get<Runtime>('kv.runtime', 'hf'),
    batch: positiveInt(c.get<number>('kv.batch', 1)) ?? 1,
    tp: positiveInt(c.get<number>('kv.tensorParallelSize', 1)) ?? 1,
    ...(memoryGiB !== undefined ? { gpuMemGiB: memoryGiB } : {}),
    ...(typeof utilization === 'number' && utilization > 0 && utilization <= 1 ? { utilization } : {}),
    ...(contextTokens !== undefined ? { contextTokens } : {}),
  };
  const contexts = (c.get<unknown[]>('profile.contexts', DEFAULT_PROFILE_CONTEXTS) ?? [])
    .map((n) => positiveInt(typeof n === 'number' ? n : undefined))
    .filter((n): n is number => n !== undefined);
  const mode = c.get<ProfileMode | 'both'>('profile.mode', 'decode');
  const variants = c.get<'own' | 'all'>('profile.variants', 'all');
  const backend = c.get<Backend>('profile.backend', 'default');
  const adapter = (c.get<string>('profile.adapter', '') ?? '').trim();
  const device = c.get<string>('quality.device', 'auto');
  return {
    report,
    codeLens: c.get<boolean>('editor.codeLens', true),
    hovers: c.get<boolean>('editor.hovers', true),
    diagnostics: c.get<boolean>('editor.diagnostics', true),
    include: c.get<string[]>('files.include', []) ?? [],
    profile: {
      plan: { contexts: contexts.length > 0 ? contexts : DEFAULT_PROFILE_CONTEXTS, mode, variants, batch: report.batch ?? 1 },
      settings: { ...DEFAULT_PROFILE_SETTINGS, ...(backend !== 'default' ? { backend } : {}), ...(adapter ? { adapter } : {}) },
      timeoutSeconds: positive(c.get<number>('profile.workerTimeoutSeconds', DEFAULT_PROFILE_TIMEOUT_S)) ?? DEFAULT_PROFILE_TIMEOUT_S,
    },
    quality: { device: device === 'gpu' || device === 'cpu' ? device : 'auto' },
  };
}

/** A one-line summary of the choices the numbers follow, for tooltips and report headers. */
export function describeChoices(report: ReportOptions): string {
  const gpu = report.gpuMemGiB !== undefined ? `${report.gpuMemGiB} GiB GPU` : report.gpu ?? 'h100-sxm';
  return `GPU ${gpu} · KV ${report.kvDtype ?? 'auto'} · runtime ${report.runtime ?? 'hf'}${(report.tp ?? 1) > 1 ? ` · TP ${report.tp}` : ''}${(report.batch ?? 1) > 1 ? ` · batch ${report.batch}` : ''}`;
}

function positive(x: number | null | undefined): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : undefined;
}

function positiveInt(x: number | null | undefined): number | undefined {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0 ? x : undefined;
}
