/**
 * "Export Report": the report to a file the user names — a self-contained HTML page (the panel's page
 * with its data inlined: opens offline in any browser), the report data as JSON, or text. The stored
 * weight measurement of the config, if any, goes in with the profile runs. Never the config itself.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildReportData } from '../core/reportData';
import { buildVariantsReport } from '../core/report';
import { renderKvReport, renderVariants } from '../core/text/render';
import { renderBudget } from '../core/text/renderBudget';
import { exportPage, type ReportAssets } from '../shared/reportPage';
import type { Log } from './log';
import type { ModelDocuments } from './modelDocuments';
import type { Profiler } from './profiler';
import { measurementFor, type Measurements } from './reportPanel';
import { GENERATOR } from '../shared/version';

export interface ExportServices {
  documents: ModelDocuments;
  profiler: Profiler;
  quality: Measurements;
  assets: () => Promise<ReportAssets>;
  log: Log;
}

export async function exportReport({ documents, profiler, quality, assets, log }: ExportServices, configUri: vscode.Uri): Promise<void> {
  const document = await vscode.workspace.openTextDocument(configUri);
  const analysis = documents.analyze(document);
  if (!analysis?.report) {
    void vscode.window.showErrorMessage(`Attention Lens: nothing to export: ${analysis?.problem ?? 'not a model config'}`);
    return;
  }
  const model = path.basename(path.dirname(configUri.path)) || 'model';
  const target = await vscode.window.showSaveDialog({
    title: 'Attention Lens: export report',
    defaultUri: vscode.Uri.joinPath(configUri, '..', `${model}.attention-report.html`),
    filters: { 'HTML report': ['html'], JSON: ['json'], Text: ['txt'] },
  });
  if (!target) return;
  if (target.toString() === configUri.toString()) {
    void vscode.window.showErrorMessage('Attention Lens: that is the config itself; choose another file name (the config is never overwritten).');
    return;
  }
  const options = documents.current.report;
  const extension = path.extname(target.path).toLowerCase();
  let text: string;
  if (extension === '.txt') {
    text = [renderKvReport(analysis.report, true), renderVariants(buildVariantsReport(analysis.input, options), false), renderBudget(analysis.input, options, analysis.report)].join('\n\n');
  } else {
    const measurement = measurementFor(quality, configUri, log);
    const data = { ...buildReportData({ input: analysis.input, options, runs: profiler.runsFor(configUri), measurement, generator: GENERATOR }), source: configUri.toString() };
    text = extension === '.json' ? JSON.stringify(data, null, 2) : exportPage(await assets(), data);
  }
  try {
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(`${text}\n`));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(`export to ${target.fsPath} failed: ${message}`);
    void vscode.window.showErrorMessage(`Attention Lens: could not write ${target.fsPath}: ${message}`);
    return;
  }
  log.info(`exported ${analysis.input.file} to ${target.fsPath}`);
  const a = await vscode.window.showInformationMessage(`Attention Lens: report written to ${vscode.workspace.asRelativePath(target, true)}`, 'Open');
  if (a) await vscode.commands.executeCommand(extension === '.html' ? 'revealFileInOS' : 'vscode.open', target);
}
