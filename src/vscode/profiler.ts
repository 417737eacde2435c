/**
 * "Profile Attention Config": builds the plan in the engine, runs it in the worker process (never in
 * the extension host), shows real steps in a cancellable notification, and opens the measured table
 * with every case's derivation. Failures say what happened and offer the log and the settings.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildProfilePlan } from '../core/profilePlan';
import { UsageError } from '../core/errors';
import { profileCaseDerivation, renderProfile } from '../core/text/renderProfile';
import { ProfileError, runProfile } from '../gpu/workerClient';
import type { ProfileReport } from '../shared/profileProtocol';
import type { Log } from './log';
import type { ModelDocuments } from './modelDocuments';
import type { ReportDocuments } from './reportDocuments';
import { requireTrust } from './trust';

/** Past runs kept for the report and sidebar: the newest first, at most this many. */
const KEEP_RUNS = 20;
export const PROFILE_RUNS_KEY = 'attentionLens.profileRuns';

export interface StoredProfileRun {
  config: string;
  report: ProfileReport;
}

/** A stored run that still has the fields we read (one stored by an older version or edited by hand may not). */
function isStoredRun(r: unknown): r is StoredProfileRun {
  if (typeof r !== 'object' || r === null) return false;
  const { config, report } = r as { config?: unknown; report?: { results?: unknown; device?: { adapter?: unknown } } };
  return typeof config === 'string' && Array.isArray(report?.results) && typeof report?.device?.adapter === 'string';
}

export class Profiler implements vscode.Disposable {
  private running = false;
  private readonly finished = new vscode.EventEmitter<{ config: vscode.Uri; report: ProfileReport }>();
  /** Fires after a run's results are stored, for the report panel and the sidebar. */
  readonly onDidFinish = this.finished.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly documents: ModelDocuments,
    private readonly reports: ReportDocuments,
    private readonly log: Log,
  ) {}

  async profile(configUri: vscode.Uri): Promise<void> {
    if (!(await requireTrust('profiling'))) return;
    if (this.running) {
      void vscode.window.showInformationMessage('Attention Lens: a profile is already running; wait for it or cancel it from its notification.');
      return;
    }
    const analysis = await this.documents.analyzedForRun(configUri, 'profile');
    if (!analysis) return;
    const settings = this.documents.current.profile;
    let plan;
    try {
      plan = buildProfilePlan(analysis.report.spec, settings.plan);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      void this.fail(`the profile settings were refused: ${e.message}`, []);
      return;
    }
    const name = analysis.input.file;
    this.log.info(`profile ${name}: ${plan.cases.length} cases, contexts ${plan.contexts.join(', ')}, modes ${plan.modes.join('+')}`);
    this.running = true;
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Attention Lens: profiling ${name}`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          progress.report({ message: 'starting the GPU worker…' });
          let done = 0;
          return runProfile(plan, settings.settings, {
            workerPath: this.workerPath,
            timeoutMs: settings.timeoutSeconds * 1000,
            signal: abort.signal,
            onEvent: (e) => {
              if (e.type === 'device') {
                this.log.info(`adapter ${e.device.adapter} (${e.device.backend}), KV in ${e.device.storage}, ${e.device.timing} timing`);
                progress.report({ message: `${e.device.adapter}: measuring peaks…` });
              } else if (e.type === 'progress') {
                const increment = e.total > 0 ? ((e.done - done) / e.total) * 100 : 0;
                done = e.done;
                progress.report({ message: `${e.done}/${e.total - 1} ${e.message}`, increment });
              } else if (e.type === 'log') {
                if (e.level === 'warn') this.log.warn(e.message);
                else this.log.info(e.message);
              } else if (e.type === 'error') this.log.error(`${e.code}: ${e.message}`);
            },
          });
        },
      );
      this.log.info(`profile ${name}: done on ${report.device.adapter}, ${report.results.length} results`);
      await this.remember(configUri, report);
      this.finished.fire({ config: configUri, report });
      const stamp = new Date(report.finishedAt).toISOString().slice(0, 16).replace('T', ' ');
      await this.reports.openResult(configUri, 'profile', renderProfile(name, report, (r) => profileCaseDerivation(plan, report, r)), stamp);
      const failed = report.results.filter((r) => r.status === 'failed');
      if (failed.length > 0) void this.fail(`${failed.length} kernel(s) failed the correctness check against the CPU reference; their timings are not shown`, []);
    } catch (e) {
      if (e instanceof ProfileError) {
        if (e.code === 'cancelled') {
          this.log.info(`profile ${name}: cancelled; the worker was stopped`);
          void vscode.window.showInformationMessage('Attention Lens: profiling cancelled; the GPU worker was stopped.');
        } else void this.fail(e.message, e.logs);
        return;
      }
      throw e;
    } finally {
      this.running = false;
    }
  }
  /** dist/worker.mjs: the profiler's child process (also lists the adapters for the quick pick). */
  get workerPath(): string {
    return this.context.asAbsolutePath(path.join('dist', 'worker.mjs'));
  }


  private async fail(message: string, logs: readonly string[]): Promise<void> {
    this.log.error(`profile: ${message}`);
    for (const line of logs) this.log.error(`  worker: ${line}`);
    const a = await vscode.window.showErrorMessage(`Attention Lens: ${message}`, 'Show Logs', 'Open Settings');
    if (a === 'Show Logs') this.log.show(true);
    else if (a === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'attentionLens.profile');
  }

  /** Stored runs of one config, newest first. */
  runsFor(configUri: vscode.Uri): ProfileReport[] {
    return this.runs().filter((r) => r.config === configUri.toString()).map((r) => r.report);
  }

  /** Every stored run, newest first. */
  runs(): StoredProfileRun[] {
    const runs = this.context.workspaceState.get<unknown>(PROFILE_RUNS_KEY, []);
    // Stored by an older version or edited by hand: keep only what still has the fields we read.
    return Array.isArray(runs) ? (runs as unknown[]).filter(isStoredRun) : [];
  }

  dispose(): void {
    this.finished.dispose();
  }

  private async remember(configUri: vscode.Uri, report: ProfileReport): Promise<void> {
    await this.context.workspaceState.update(PROFILE_RUNS_KEY, [{ config: configUri.toString(), report }, ...this.runs()].slice(0, KEEP_RUNS));
  }
}
