/** The command table: each palette command, lens and hover link goes through here. */
import * as vscode from 'vscode';
import { COMMANDS } from './commandIds';
import { exportReport } from './exportReport';
import type { Log } from './log';
import type { ModelDocuments } from './modelDocuments';
import { chooseGpu, chooseKvDtype, chooseProfileAdapter, chooseRuntime } from './pickers';
import type { Profiler } from './profiler';
import type { ReportDocuments } from './reportDocuments';
import type { ReportPanels } from './reportPanel';
import type { ModelsView, RunsView } from './sidebar';
import type { ReportAssets } from '../shared/reportPage';
import type { QualityRunner } from './qualityRunner';
import { resolveConfig } from './workspaceConfigs';
import { copyLaunchCommand, isLaunchRuntime } from './launchCommand';

export interface CommandServices {
  documents: ModelDocuments;
  reports: ReportDocuments;
  panels: ReportPanels;
  profiler: Profiler;
  models: ModelsView;
  runs: RunsView;
  assets: () => Promise<ReportAssets>;
  quality: QualityRunner;
  log: Log;
}

export function registerCommands({ documents, reports, panels, profiler, models, runs, assets, quality, log }: CommandServices): vscode.Disposable[] {
  const withConfig = (purpose: string, run: (uri: vscode.Uri) => Promise<unknown>) => async (arg?: unknown): Promise<void> => {
    try {
      const uri = await resolveConfig(documents, arg, purpose);
      if (uri) await run(uri);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.error(`${purpose}: ${message}${e instanceof Error && e.stack ? `\n${e.stack}` : ''}`);
      const a = await vscode.window.showErrorMessage(`Attention Lens: ${purpose} failed: ${message}`, 'Show Logs');
      if (a) log.show(true);
    }
  };
  const table: Record<string, (...args: unknown[]) => unknown> = {
    [COMMANDS.openReport]: withConfig('open report', (uri) => panels.show(uri)),
    [COMMANDS.showKvReport]: withConfig('show KV report', (uri) => reports.open(uri, 'report')),
    [COMMANDS.refreshModels]: () => {
      models.refresh();
      runs.refresh();
    },
    [COMMANDS.compareVariants]: withConfig('compare variants', (uri) => reports.open(uri, 'variants')),
    [COMMANDS.showBudget]: withConfig('show KV budget', (uri) => reports.open(uri, 'budget')),
    [COMMANDS.profile]: withConfig('profile', (uri) => profiler.profile(uri)),
    [COMMANDS.measureQuality]: withConfig('measure quality', (uri) => quality.measure(uri)),
    [COMMANDS.exportReport]: withConfig('export report', (uri) => exportReport({ documents, profiler, quality, assets, log }, uri)),
    // (config, runtime): a runtime given (vllm, sglang, llamacpp) skips the pick.
    [COMMANDS.copyLaunchCommand]: (arg?: unknown, runtime?: unknown) => withConfig('copy launch command', (uri) => copyLaunchCommand(documents, log, uri, isLaunchRuntime(runtime) ? runtime : undefined))(arg),
    [COMMANDS.chooseGpu]: chooseGpu,
    [COMMANDS.chooseKvDtype]: chooseKvDtype,
    [COMMANDS.chooseRuntime]: chooseRuntime,
    [COMMANDS.chooseProfileAdapter]: () => chooseProfileAdapter(profiler.workerPath, log),
    [COMMANDS.showLogs]: () => log.show(),
  };
  return Object.entries(table).map(([id, run]) => vscode.commands.registerCommand(id, run));
}
