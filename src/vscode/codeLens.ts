/**
 * Code lenses on a model config: the titles come from the engine (core/lenses.ts) through the cached
 * analysis; this file only places them and maps each action to a command. Lenses only read, so they
 * show in Restricted Mode too; the Profile lens, which starts a GPU process, waits for trust.
 */
import * as vscode from 'vscode';
import type { LensAction } from '../core/lenses';
import { COMMANDS } from './commandIds';
import type { ModelDocuments } from './modelDocuments';
import { toRange } from './ranges';

const ACTION_COMMANDS: Record<LensAction, string> = {
  openReport: COMMANDS.openReport,
  profile: COMMANDS.profile,
  compareVariants: COMMANDS.compareVariants,
  copyLaunchCommand: COMMANDS.copyLaunchCommand,
};

export class AttentionCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly documents: ModelDocuments) {
    this.subscriptions = [
      this.changed,
      documents.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()),
    ];
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.documents.current.codeLens) return [];
    const analysis = this.documents.forLenses(document);
    if (!analysis) return [];
    if (analysis.problem !== undefined) {
      const range = analysis.problemRange ? toRange(analysis.problemRange) : new vscode.Range(0, 0, 0, 0);
      return [new vscode.CodeLens(range, {
        title: `$(warning) Attention Lens: ${shorten(analysis.problem)}`,
        tooltip: analysis.problem,
        command: 'workbench.actions.view.problems',
      })];
    }
    const trusted = vscode.workspace.isTrusted;
    const lastLine = document.lineCount - 1;
    return analysis.lenses
      .filter((l) => l.range.start.line <= lastLine && l.range.end.line <= lastLine)
      .filter((l) => trusted || l.action !== 'profile')
      .map((l) => new vscode.CodeLens(toRange(l.range), {
        title: l.title,
        tooltip: l.tooltip,
        command: ACTION_COMMANDS[l.action],
        arguments: [document.uri],
      }));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

/** The lens shows the message without the file prefix the CLI needs; the tooltip has it all. */
function shorten(message: string): string {
  const text = message.replace(/^[^:]+(:\d+:\d+)?: error: /, '');
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
