/**
 * The report panel: one webview per config, opened only on a user action (a lens, the palette, the
 * sidebar) or restored by the serializer after a reload. The extension builds ReportData in the engine
 * and posts it; the page only draws. The panel's own controls (GPU, KV dtype, runtime, batch, TP)
 * change that panel only; until they are touched it follows the attentionLens.* settings. The latest
 * weight measurement of the config (Measure Quality on Local Weights) is drawn beside the published
 * evidence. Every incoming message is checked before it is trusted.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildReportData } from '../core/reportData';
import { readMeasurement, type MeasurementInput } from '../core/reportMeasured';
import type { ReportOptions } from '../core/report';
import { ConfigError, UsageError } from '../core/errors';
import type { ProfileReport } from '../shared/profileProtocol';
import { reportHtml } from '../shared/reportHtml';
import { isReportData, isViewMessage, type HostMessage, type ReportChoices, type ReportData, type ReportLaunch } from '../shared/reportProtocol';
import { GENERATOR } from '../shared/version';
import type { Log } from './log';
import type { ModelDocuments } from './modelDocuments';
import type { Profiler } from './profiler';
import type { QualityRunner } from './qualityRunner';
import { exportPage, newNonce, type ReportAssets } from '../shared/reportPage';
import { ggufsBeside, launchInput } from './launchCommand';

export const REPORT_VIEW_TYPE = 'attentionLens.report';

interface OpenReport {
  panel: vscode.WebviewPanel;
  config: vscode.Uri;
  /** Set once the user touches the panel's controls; until then the settings rule. */
  choices: ReportChoices | undefined;
  ready: boolean;
  /** A redraw is queued: several causes in one turn (an edit, a finished profile or measurement) send one. */
  queued: boolean;
  /** The data the page shows: a copied launch command is the one on screen. */
  data?: ReportData;
}

/** What the panel reads of the quality runner: the stored measurement and when a new one lands. */
export type Measurements = Pick<QualityRunner, 'measuredFor' | 'onDidFinish'>;

/** The stored measurement of a config, checked like a file would be; a malformed one is left out with a log line. */
export function measurementFor(quality: Measurements, config: vscode.Uri, log: Log): MeasurementInput | undefined {
  const stored = quality.measuredFor(config);
  if (!stored) return undefined;
  const m = readMeasurement(stored);
  if (typeof m === 'string') {
    log.warn(`the stored measurement of ${config.fsPath} is not drawn: ${m}`);
    return undefined;
  }
  return m;
}

export class ReportPanels implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private readonly open = new Map<string, OpenReport>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly documents: ModelDocuments,
    private readonly profiler: Profiler,
    private readonly quality: Measurements,
    private readonly assets: () => Promise<ReportAssets>,
    private readonly log: Log,
  ) {
    this.subscriptions = [
      vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, this),
      documents.onDidChange((uri) => {
        for (const r of this.open.values()) if (!uri || uri.toString() === r.config.toString()) this.schedule(r);
      }),
      profiler.onDidFinish(({ config }) => {
        const r = this.open.get(config.toString());
        if (r) this.schedule(r);
      }),
      quality.onDidFinish((config) => {
        const r = this.open.get(config.toString());
        if (r) this.schedule(r);
      }),
    ];
  }

  async show(config: vscode.Uri): Promise<void> {
    const existing = this.open.get(config.toString());
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, titleOf(config), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, this.webviewOptions());
    await this.attach(panel, config, undefined);
  }

  /** After a reload VS Code hands back the panels that were open, with the page's saved state. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const data = (state as { data?: unknown } | undefined)?.data;
    const source = isReportData(data) ? data.source : undefined;
    if (!source) {
      panel.dispose();
      return;
    }
    panel.webview.options = this.webviewOptions();
    await this.attach(panel, vscode.Uri.parse(source, true), isReportData(data) ? data.choices : undefined);
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Everything the page needs is inlined under a nonce; it loads nothing from disk or the network.
    return { enableScripts: true, localResourceRoots: [], enableFindWidget: true };
  }

  private async attach(panel: vscode.WebviewPanel, config: vscode.Uri, choices: ReportChoices | undefined): Promise<void> {
    const report: OpenReport = { panel, config, choices, ready: false, queued: false };
    this.open.set(config.toString(), report);
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icon.png');
    panel.onDidDispose(() => this.open.delete(config.toString()));
    panel.webview.onDidReceiveMessage((m: unknown) => this.receive(report, m));
    try {
      const { script, css } = await this.assets();
      panel.webview.html = reportHtml({ title: titleOf(config), script, css, nonce: newNonce(), mode: 'webview', cspSource: panel.webview.cspSource });
    } catch (e) {
      this.log.error(`the report page could not be built: ${e instanceof Error ? e.message : String(e)}`);
      panel.webview.html = `<!DOCTYPE html><html><body><p>The report page could not be loaded. See "Attention Lens: Show Logs" for why.</p></body></html>`;
    }
  }

  private async receive(report: OpenReport, message: unknown): Promise<void> {
    if (!isViewMessage(message)) {
      this.log.warn(`report panel: dropped a malformed message ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        report.ready = true;
        await this.post(report);
        return;
      case 'choose':
        report.choices = message.choices;
        await this.post(report);
        return;
      case 'runProfile':
        await vscode.commands.executeCommand('attentionLens.profile', report.config);
        return;
      case 'measureQuality':
        await vscode.commands.executeCommand('attentionLens.measureQuality', report.config);
        return;
      case 'export':
        await this.export(report, message.format);
        return;
      case 'copyLaunch':
        await this.copyLaunch(report, message.runtime);
        return;
    }
  }

  /** Posts once after the current turn, however many changes asked for it in that turn. */
  private schedule(report: OpenReport): void {
    if (report.queued) return;
    report.queued = true;
    setTimeout(() => {
      report.queued = false;
      if (this.open.get(report.config.toString()) === report) void this.post(report);
    }, 0);
  }

  /** Builds the data for the panel's choices (or the settings) and sends it. */
  private async post(report: OpenReport): Promise<void> {
    if (!report.ready) return;
    const send = (m: HostMessage): Thenable<boolean> => report.panel.webview.postMessage(m);
    await send({ type: 'busy', message: 'Recomputing…' });
    try {
      report.data = await this.dataFor(report);
      await send({ type: 'data', data: report.data });
    } catch (e) {
      const message = e instanceof ConfigError || e instanceof UsageError || e instanceof Error ? e.message : String(e);
      await send({ type: 'error', message });
    }
  }

  private async dataFor(report: OpenReport): Promise<ReportData> {
    const document = await vscode.workspace.openTextDocument(report.config);
    const analysis = this.documents.analyze(document);
    if (!analysis) throw new Error(`${report.config.fsPath} is no longer a model config`);
    if (!analysis.report) throw new Error(analysis.problem ?? 'the config cannot be read');
    const options = optionsFor(this.documents.current.report, report.choices);
    const runs = this.profiler.runsFor(report.config);
    const measurement = measurementFor(this.quality, report.config, this.log);
    const launch = { file: launchInput(analysis.input, report.config).file, ggufs: await ggufsBeside(report.config) };
    const data = buildReportData({ input: analysis.input, options, runs, measurement, generator: GENERATOR, launch });
    return { ...data, source: report.config.toString() };
  }

  /** The page's Copy button: the webview asks, the extension writes the clipboard (the text it sent the page). */
  private async copyLaunch(report: OpenReport, runtime: ReportLaunch['runtime']): Promise<void> {
    const launch = report.data?.launch?.find((l) => l.runtime === runtime);
    if (!launch) return;
    if (launch.text === undefined) {
      void vscode.window.showWarningMessage(`Attention Lens: no ${launch.name} command for these settings: ${launch.refused ?? 'not available'}`);
      return;
    }
    await vscode.env.clipboard.writeText(launch.text);
    void vscode.window.showInformationMessage(`Attention Lens: copied the ${launch.name} command${launch.summary ? ` for ${launch.summary}` : ''}.`);
  }

  private async export(report: OpenReport, format: 'html' | 'json'): Promise<void> {
    const data = await this.dataFor(report);
    const model = path.basename(path.dirname(report.config.path)) || 'model';
    const target = await vscode.window.showSaveDialog({
      title: 'Attention Lens: export report',
      defaultUri: vscode.Uri.joinPath(report.config, '..', `${model}.attention-report.${format}`),
      filters: format === 'html' ? { HTML: ['html'] } : { JSON: ['json'] },
    });
    if (!target) return;
    if (target.toString() === report.config.toString()) {
      void vscode.window.showErrorMessage('Attention Lens: that is the config itself; choose another file name.');
      return;
    }
    const text = format === 'html' ? exportPage(await this.assets(), data) : JSON.stringify(data, null, 2);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    this.log.info(`exported the report of ${data.file} to ${target.fsPath}`);
    const a = await vscode.window.showInformationMessage(`Attention Lens: report written to ${vscode.workspace.asRelativePath(target, true)}`, 'Reveal');
    if (a) await vscode.commands.executeCommand('revealFileInOS', target);
  }

  dispose(): void {
    for (const r of this.open.values()) r.panel.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

/** The panel's choices over the settings: GPU, dtype, runtime, batch, TP; the rest (context, memory) from settings. */
export function optionsFor(settings: ReportOptions, choices: ReportChoices | undefined): ReportOptions {
  if (!choices) return settings;
  const { gpuMemGiB: _custom, ...rest } = settings;
  const keepCustom = settings.gpuMemGiB !== undefined && choices.gpu === 'custom';
  return { ...(keepCustom ? settings : rest), gpu: choices.gpu === 'custom' ? settings.gpu : choices.gpu, kvDtype: choices.kvDtype, runtime: choices.runtime, batch: choices.batch, tp: choices.tp };
}

function titleOf(config: vscode.Uri): string {
  return `Attention: ${path.basename(path.dirname(config.path)) || 'model'}`;
}

export type { ProfileReport };
