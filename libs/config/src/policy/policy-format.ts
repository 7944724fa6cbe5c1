import type { EffectivePolicy, PolicyIssue } from './effective-policy.js';
import { POLICY_KEY_NAMES } from './policy-keys.js';

const ORGANIZATION_MARK = 'set by your organization';

function formatValue(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function formatIssues(title: string, issues: readonly PolicyIssue[]): string[] {
  if (issues.length === 0) return [];
  return ['', `${title}:`, ...issues.map((issue) => `  - ${issue.message}`)];
}

/** The table `steward policy show` prints. */
export function formatPolicy(policy: EffectivePolicy): string {
  const rows = POLICY_KEY_NAMES.map((key) => {
    const source = policy.sources[key];
    const marks = [`${source.kind}: ${source.detail}`];
    if (policy.managed[key])
      marks.push(source.kind === 'fail-closed' ? `${ORGANIZATION_MARK} (failed closed)` : ORGANIZATION_MARK);
    return [key, formatValue(policy.values[key]), marks.join('  ')] as const;
  });
  const header = ['KEY', 'VALUE', 'SOURCE'] as const;
  const keyWidth = Math.max(header[0].length, ...rows.map((row) => row[0].length));
  const valueWidth = Math.max(header[1].length, ...rows.map((row) => row[1].length));
  const line = (row: readonly [string, string, string]): string =>
    `${row[0].padEnd(keyWidth)}  ${row[1].padEnd(valueWidth)}  ${row[2]}`.trimEnd();
  return [
    `Policy version ${policy.version} (loaded ${policy.loadedAt})`,
    '',
    line(header),
    ...rows.map(line),
    ...formatIssues('Errors', policy.errors),
    ...formatIssues('Warnings', policy.warnings),
  ].join('\n');
}
