/**
 * "Measure Quality on Local Weights": when safetensors sit next to a config, the quality worker reads
 * only the K/V projections and measures what each conversion would change in them; the results are
 * kept per config (workspace state) for hovers and the report, and shown with the published evidence.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { evidenceFor } from '../core/evidence';
import { defaultQualityTargets } from '../core/qualityTargets';
import { renderQuality } from '../core/text/renderQuality';
import { QualityRunError, runQuality } from '../quality/client';
import type { WeightsMeasurementJson } from '../shared/qualityProtocol';
import type { Log } from './log';
import type { ModelDocuments } from './modelDocuments';
import type { ReportDocuments } from './reportDocuments';
import { requireTrust } from './trust';

const KEY = 'attentionLens.qualityRuns';
const CALIBRATION_TOKENS = 256;

/** A stored measurement: the worker's result and when it finished (the report shows the date). */
export type StoredMeasurement = WeightsMeasurementJson & { measuredAt?: string };

export class QualityRunner implements vscode.Disposable {
  private running = false;
  private readonly finished = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with the config's URI once a measurement of it is stored (the report panel redraws). */
  readonly onDidFinish = this.finished.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly documents: ModelDocuments,
    private readonly reports: ReportDocuments,
    private readonly log: Log,
  ) {}

  /** The last measurement of a config, if one was made in this workspace. */
  measuredFor(configUri: vscode.Uri): StoredMeasurement | undefined {
    const runs = this.context.workspaceState.get<unknown>(KEY, {});
    const run = (runs as Record<string, unknown>)[configUri.toString()] as StoredMeasurement | undefined;
    return run && Array.isArray(run.conversions) && typeof run.weights === 'object' ? run : undefined;
  }

  async measure(configUri: vscode.Uri): Promise<void> {
    if (!(await requireTrust('measuring the weights'))) return;
    if (this.running) {
      void vscode.window.showInformationMessage('Attention Lens: a measurement is already running.');
      return;
    }
    const analysis = await this.documents.analyzedForRun(configUri, 'measure the weights of');
    if (!analysis) return;
    const { spec } = analysis.report;
    const targets = defaultQualityTargets(spec);
    const name = analysis.input.file;
    this.running = true;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Attention Lens: measuring ${name} on its weights`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let done = 0;
          return runQuality({ configFile: configUri.fsPath, configText: analysis.input.text, targets, calibrationTokens: CALIBRATION_TOKENS, device: this.documents.current.quality.device }, {
            workerPath: this.context.asAbsolutePath(path.join('dist', 'qualityWorker.mjs')),
            timeoutMs: this.documents.current.profile.timeoutSeconds * 1000,
            signal: abort.signal,
            onProgress: (d, total, message) => {
              progress.report({ message: `${d}/${total} ${message}`, increment: total > 0 ? ((d - done) / total) * 100 : 0 });
              done = d;
            },
          });
        },
      );
      const runs = this.context.workspaceState.get<Record<string, unknown>>(KEY, {});
      const stored: StoredMeasurement = { ...result, measuredAt: new Date().toISOString() };
      await this.context.workspaceState.update(KEY, { ...runs, [configUri.toString()]: stored });
      this.finished.fire(configUri);
      this.log.info(`quality ${name}: ${result.weights.found ? `${result.weights.layersRead} layers read from ${result.weights.files.length} file(s)` : 'no weights found'}`);
      const params = analysis.report.json.model.params;
      const evidence = targets.map((target) => ({ target, rows: evidenceFor(target, { params, kvHeads: spec.kvHeads, qHeads: spec.qHeads }) }));
      await this.reports.openResult(configUri, 'quality', renderQuality(name, result, evidence), new Date().toISOString().slice(0, 16).replace('T', ' '));
      this.documents.refresh(configUri);
    } catch (e) {
      if (!(e instanceof QualityRunError)) throw e;
      if (e.code === 'cancelled') {
        void vscode.window.showInformationMessage('Attention Lens: measurement cancelled; the worker was stopped.');
        return;
      }
      this.log.error(`quality ${name}: ${e.message}`);
      const a = await vscode.window.showErrorMessage(`Attention Lens: ${e.message}`, 'Show Logs');
      if (a) this.log.show(true);
    } finally {
      this.running = false;
    }
  }

  dispose(): void {
    this.finished.dispose();
  }
}
