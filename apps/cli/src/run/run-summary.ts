import type { TaskView } from '@steward/contracts';
import { formatElapsed } from './progress-line.js';

/** Files listed by name before the rest is counted. */
export const SHOWN_FILES = 50;

const count = (n: number): string => n.toLocaleString('en-US');

/** Dollars with the precision a small task needs: $0.0042, $1.27. */
export function formatCost(usd: number): string {
  return `$${usd.toFixed(usd > 0 && usd < 0.1 ? 4 : 2)}`;
}

/** The closing lines for stderr: how the task ended and why, what it changed, what it cost. */
export function summaryLines(view: TaskView, elapsedMs: number): string[] {
  const took = formatElapsed(elapsedMs);
  const reason = view.error ?? 'no reason was given';
  const lines: string[] = [];
  switch (view.status) {
    case 'completed':
      lines.push(`Completed in ${took}.`);
      break;
    case 'failed':
      lines.push(`Failed after ${took}: ${reason}`);
      break;
    case 'cancelled':
      lines.push(`Cancelled after ${took}: ${reason}`);
      break;
    case 'interrupted':
      lines.push(`Interrupted after ${took}: ${reason}`);
      break;
    default:
      lines.push(`Still ${view.status.replace('_', ' ')} after ${took}.`);
  }
  if (view.filesChanged.length > 0) {
    lines.push(`Files changed (${view.filesChanged.length}):`);
    for (const file of view.filesChanged.slice(0, SHOWN_FILES)) lines.push(`  ${file}`);
    if (view.filesChanged.length > SHOWN_FILES)
      lines.push(`  … and ${view.filesChanged.length - SHOWN_FILES} more`);
  } else {
    lines.push('No files changed.');
  }
  const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd } = view.usage;
  const cached = cacheReadTokens + cacheWriteTokens;
  lines.push(
    `Tokens: ${count(inputTokens)} in${cached > 0 ? ` (+${count(cached)} cached)` : ''}, ${count(outputTokens)} out · cost ${formatCost(costUsd)}`,
  );
  lines.push(`Task ${view.id}`);
  return lines;
}
