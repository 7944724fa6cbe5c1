import { visibleText } from './terminal-text.js';

/** What one pending approval asks, as the task events and the task view describe it. */
export interface ApprovalRequest {
  readonly taskId: string;
  readonly approvalId: string;
  readonly tool: string;
  readonly summary: string;
  /** For deletes: every path the delete would remove. */
  readonly targets?: readonly string[];
  readonly bulk?: boolean;
  /** Set when a sub-agent asks: its description. */
  readonly agent?: string;
}

export type ApprovalAnswer = 'allow' | 'deny' | 'always';

export const APPROVAL_QUESTION = 'Allow? [y]es / [n]o / [a]lways for this task: ';

const ANSWERS: Readonly<Record<string, ApprovalAnswer>> = {
  y: 'allow',
  yes: 'allow',
  n: 'deny',
  no: 'deny',
  a: 'always',
  always: 'always',
};

/** The person's typed answer; undefined when it is none of y/yes, n/no, a/always. */
export function parseApprovalAnswer(line: string): ApprovalAnswer | undefined {
  return ANSWERS[line.trim().toLowerCase()];
}

/** How many delete targets are listed before the rest is counted. */
export const SHOWN_TARGETS = 20;

/** The lines shown before the question: what would happen, and for a delete, what goes. */
export function formatApprovalRequest(request: ApprovalRequest): string[] {
  const who = request.agent === undefined ? '' : `Sub-agent "${visibleText(request.agent)}": `;
  const lines = [
    `${who}approval needed for ${visibleText(request.tool)}`,
    `  ${visibleText(request.summary)}`,
  ];
  const targets = request.targets ?? [];
  if (targets.length > 0) {
    const count = `${targets.length} ${targets.length === 1 ? 'path' : 'paths'}`;
    lines.push(
      request.bulk === true
        ? `  ${count} would go to the trash — a bulk delete, check the list:`
        : `  ${count} would go to the trash:`,
    );
    for (const target of targets.slice(0, SHOWN_TARGETS)) lines.push(`    ${visibleText(target)}`);
    if (targets.length > SHOWN_TARGETS) lines.push(`    … and ${targets.length - SHOWN_TARGETS} more`);
  }
  return lines;
}

/** What was decided, in words. */
export function describeAnswer(answer: ApprovalAnswer): string {
  switch (answer) {
    case 'allow':
      return 'Allowed.';
    case 'deny':
      return 'Denied.';
    case 'always':
      return 'Allowed, and for the rest of this task.';
  }
}
