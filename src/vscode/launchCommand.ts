/**
 * Copy Launch Command: the engine's command (core/launch) for a config under the current settings, for
 * the runtime the user picks — each choice shows what it is sized for, or why that runtime cannot take
 * these settings — copied with its comments. The only I/O here: the GGUFs beside the config.
 */
import * as vscode from 'vscode';
import { ConfigError, UsageError } from '../core/errors';
import { buildLaunch, LAUNCH_CLIS, LAUNCH_RUNTIMES, launchOptions, type LaunchPlan, type LaunchRuntime } from '../core/launch';
import type { ModelInput } from '../core/report';
import { launchSummary, renderLaunch } from '../core/text/renderLaunch';
import type { Log } from './log';
import type { ModelDocuments } from './modelDocuments';

type Outcome = { runtime: LaunchRuntime; plan: LaunchPlan } | { runtime: LaunchRuntime; refused: string };

export async function copyLaunchCommand(documents: ModelDocuments, log: Log, uri: vscode.Uri, runtime?: LaunchRuntime): Promise<void> {
  const analysis = await documents.analyzedForRun(uri, 'write a launch command for');
  if (!analysis) return;
  const input = launchInput(analysis.input, uri);
  const files = { ggufs: await ggufsBeside(uri) };
  const options = launchOptions(documents.current.report);
  const outcome = (r: LaunchRuntime): Outcome => {
    try {
      return { runtime: r, plan: buildLaunch(input, options, r, files) };
    } catch (e) {
      if (e instanceof UsageError || e instanceof ConfigError) return { runtime: r, refused: e.message };
      throw e;
    }
  };
  let chosen: Outcome | undefined;
  if (runtime) chosen = outcome(runtime);
  else {
    // The settings' runtime first when it is one of the three.
    const preferred = documents.current.report.runtime;
    const order = [...LAUNCH_RUNTIMES].sort((a, b) => Number(b === preferred) - Number(a === preferred));
    const items = order.map((r) => {
      const o = outcome(r);
      return {
        outcome: o,
        label: LAUNCH_CLIS[r].name,
        description: 'plan' in o ? launchSummary(o.plan) : 'not with these settings',
        detail: 'plan' in o ? shorten(o.plan.command) : `$(warning) ${o.refused}`,
      };
    });
    const pick = await vscode.window.showQuickPick(items, { title: 'Attention Lens: copy launch command', placeHolder: 'The runtime to launch: the command is sized by the budget, each flag explained in a comment', matchOnDetail: true });
    chosen = pick?.outcome;
  }
  if (!chosen) return;
  const name = LAUNCH_CLIS[chosen.runtime].name;
  if ('refused' in chosen) {
    void vscode.window.showWarningMessage(`Attention Lens: no ${name} command for these settings: ${chosen.refused}`);
    return;
  }
  await vscode.env.clipboard.writeText(renderLaunch(chosen.plan));
  log.info(`copied the ${name} launch command for ${input.file}: ${chosen.plan.command}`);
  void vscode.window.showInformationMessage(`Attention Lens: copied the ${name} command for ${launchSummary(chosen.plan)}; each flag's reason is a comment above it.`);
}

/** The config by its full path: the command runs from a terminal anywhere, not from the workspace root. */
export function launchInput(input: ModelInput, uri: vscode.Uri): ModelInput {
  return uri.scheme === 'file' ? { ...input, file: uri.fsPath } : input;
}

/** *.gguf names in the config's folder (llama.cpp loads one of those); none when it cannot be listed. */
export async function ggufsBeside(uri: vscode.Uri): Promise<string[]> {
  try {
    const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(uri, '..'));
    return entries.filter(([name, type]) => type === vscode.FileType.File && /\.gguf$/i.test(name)).map(([name]) => name);
  } catch {
    return [];
  }
}

export function isLaunchRuntime(x: unknown): x is LaunchRuntime {
  return typeof x === 'string' && (LAUNCH_RUNTIMES as string[]).includes(x);
}

function shorten(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}
