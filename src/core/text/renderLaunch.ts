/**
 * A launch command as shell text: a heading, one comment line per value saying why, the notes, then the
 * command with one flag per line. The same text goes to the terminal, the clipboard and the report, and
 * it runs as pasted (the comments are shell comments).
 */
import { int } from '../format';
import { shellQuote, type LaunchPlan } from '../launch/model';

/** "8× H200 SXM 141GB (TP 8): 4 requests of 163,840 tokens at once" — what the command is sized for. */
export function launchSummary(plan: LaunchPlan): string {
  const b = plan.budget;
  const shape = b.tp === 1 && b.gpus > 1 ? `layers split over ${b.gpus}${b.nodes > 1 ? `, ${b.nodes} nodes` : ''}` : b.pipelineStages > 1 ? `TP ${b.tp} × PP ${b.pipelineStages}${b.nodes > 1 ? `, ${b.nodes} nodes` : ''}` : b.tp > 1 ? `TP ${b.tp}` : '';
  return `${b.gpus}× ${b.gpu}${shape ? ` (${shape})` : ''}: ${int(b.maxConcurrentRequests)} request${b.maxConcurrentRequests === 1 ? '' : 's'} of ${int(b.contextTokens)} tokens at once`;
}

export function renderLaunch(plan: LaunchPlan): string {
  const lines = [
    `# ${plan.runtimeName} on ${launchSummary(plan)} — sized by attention-lens`,
    ...plan.reasons.map((r) => `# ${r.flag === 'model' ? 'model' : r.flag} ${r.value}: ${r.why}`),
    ...plan.warnings.map((w) => `# note: ${w}`),
  ];
  // The program (and vllm serve's positional model) on the first line, then one flag and its value per line.
  const words = plan.argv.map(shellQuote);
  const programWords = words.length - plan.reasons.reduce((n, r) => n + (r.flag === 'model' ? 1 : 2), 0);
  const rows = [words.slice(0, programWords)];
  let at = programWords;
  for (const r of plan.reasons) {
    if (r.flag === 'model') rows[0]!.push(words[at++]!);
    else rows.push([words[at++]!, words[at++]!]);
  }
  lines.push(rows.map((row, i) => `${i === 0 ? '' : '  '}${row.join(' ')}${i < rows.length - 1 ? ' \\' : ''}`).join('\n'));
  return lines.join('\n');
}
