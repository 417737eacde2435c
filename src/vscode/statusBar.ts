/**
 * One status-bar item, shown only while a model config is the active editor: its variant and KV per
 * token; the tooltip says under which choices; a click opens the report.
 */
import { describeGpusNeeded } from '../core/gpusNeeded';
import type { KvReportJson } from '../core/report';
import * as vscode from 'vscode';
import { kvCaveat } from '../core/caveat';
import { bytes } from '../core/format';
import { COMMANDS } from './commandIds';
import type { ModelDocuments } from './modelDocuments';
import { describeChoices } from './settings';

export class AttentionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('attentionLens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly documents: ModelDocuments) {
    this.item.name = 'Attention Lens';
    this.subscriptions = [
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      documents.onDidChange(() => this.update()),
    ];
    this.update();
  }

  private update(): void {
    const document = vscode.window.activeTextEditor?.document;
    const analysis = document ? this.documents.analyze(document) : undefined;
    if (!document || !analysis) {
      this.item.hide();
      return;
    }
    if (!analysis.report) {
      this.item.text = '$(warning) Attention Lens';
      this.item.tooltip = analysis.problem;
      this.item.command = 'workbench.actions.view.problems';
    } else {
      const { json } = analysis.report;
      const variant = json.attention.variant === 'mixed' ? 'Mixed' : json.attention.variant === 'none' ? 'No attention' : json.attention.variant.toUpperCase();
      const caveat = kvCaveat(json);
      this.item.text = `${caveat ? '$(warning)' : '$(telescope)'} ${variant} · ${bytes(json.kv.bytesPerToken)}/token${caveat ? ' (may be wrong)' : ''}`;
      this.item.tooltip = `${caveat ? `⚠ ${caveat}\n` : ''}${json.attention.label}: ${bytes(json.kv.bytesPerToken)} of KV per token (${json.kv.dtype}); ${bytes(json.kv.totalBytes)} at ${json.kv.contextTokens.toLocaleString('en-US')} tokens.\n${gpusLine(json.budget)}${describeChoices(this.documents.current.report)}\nClick for the report.`;
      this.item.command = { title: 'Open report', command: COMMANDS.openReport, arguments: [document.uri] };
    }
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

/** When the chosen GPUs cannot hold the weights and one request: how many do (core/gpusNeeded.ts). */
function gpusLine(b: KvReportJson['budget']): string {
  if (b.maxBatchAtContext > 0) return '';
  return b.gpusNeeded.fits ? `Needs ${describeGpusNeeded(b.gpusNeeded, b.gpu.name)}: ${b.gpusNeeded.maxBatchAtContext} request(s) at this context fit there.\n` : `No count of ${b.gpu.name} holds it: ${b.gpusNeeded.reason}.\n`;
}
