/**
 * Extension entry: wiring only. Activation is cheap (no file is read until a JSON document is open);
 * every surface reads the one cached analysis per document in ModelDocuments.
 */
import * as vscode from 'vscode';
import { AttentionCodeLensProvider } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { AttentionDiagnostics } from './vscode/diagnostics';
import { AttentionHoverProvider } from './vscode/hover';
import { createLog } from './vscode/log';
import { ModelDocuments } from './vscode/modelDocuments';
import { Profiler } from './vscode/profiler';
import { ReportDocuments, SCHEME } from './vscode/reportDocuments';
import { loadReportAssets } from './vscode/reportAssets';
import { ReportPanels } from './vscode/reportPanel';
import { QualityRunner } from './vscode/qualityRunner';
import { ModelsView, RunsView } from './vscode/sidebar';
import { AttentionStatusBar } from './vscode/statusBar';

const JSON_FILES: vscode.DocumentSelector = [
  { language: 'json', scheme: 'file' },
  { language: 'jsonc', scheme: 'file' },
  { language: 'json', scheme: 'untitled' },
  { language: 'json', scheme: 'vscode-remote' },
];

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const log = createLog();
  const documents = new ModelDocuments(log);
  const reports = new ReportDocuments(documents);
  const profiler = new Profiler(context, documents, reports, log);
  const lenses = new AttentionCodeLensProvider(documents);
  const assets = loadReportAssets(context.asAbsolutePath('dist'));
  const quality = new QualityRunner(context, documents, reports, log);
  const panels = new ReportPanels(context, documents, profiler, quality, assets, log);
  const models = new ModelsView(documents);
  const runs = new RunsView(profiler);
  context.subscriptions.push(
    log,
    documents,
    reports,
    profiler,
    quality,
    panels,
    models,
    runs,
    lenses,
    vscode.window.registerTreeDataProvider('attentionLens.models', models),
    vscode.window.registerTreeDataProvider('attentionLens.runs', runs),
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, reports),
    vscode.languages.registerCodeLensProvider(JSON_FILES, lenses),
    vscode.languages.registerHoverProvider(JSON_FILES, new AttentionHoverProvider(documents, quality)),
    new AttentionDiagnostics(documents),
    new AttentionStatusBar(documents),
    ...registerCommands({ documents, reports, panels, profiler, models, runs, assets, quality, log }),
  );
  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export function deactivate(): void {}
