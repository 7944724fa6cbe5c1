import { describe, expect, it } from 'vitest';
import {
  describeAnswer,
  formatApprovalRequest,
  parseApprovalAnswer,
  SHOWN_TARGETS,
} from './approval-prompt.js';

describe('parseApprovalAnswer', () => {
  it('reads y/yes, n/no and a/always in any case, with blanks around', () => {
    expect(['y', 'Y', 'yes', ' YES ', 'y\r'].map(parseApprovalAnswer)).toEqual(Array(5).fill('allow'));
    expect(['n', 'No', '  n'].map(parseApprovalAnswer)).toEqual(Array(3).fill('deny'));
    expect(['a', 'A', 'always'].map(parseApprovalAnswer)).toEqual(Array(3).fill('always'));
  });

  it('takes nothing else for an answer, so a stray line never allows anything', () => {
    for (const line of ['', ' ', 'ok', 'yep', 'y n', 'allow', 'sure', 'nope', '1']) {
      expect(parseApprovalAnswer(line), line).toBeUndefined();
    }
  });

  it('says what each answer did', () => {
    expect(describeAnswer('allow')).toBe('Allowed.');
    expect(describeAnswer('deny')).toBe('Denied.');
    expect(describeAnswer('always')).toMatch(/rest of this task/);
  });
});

describe('formatApprovalRequest', () => {
  const base = { taskId: 't_1', approvalId: 'ap_1' };

  it('shows the tool and the summary of the exact call', () => {
    expect(
      formatApprovalRequest({ ...base, tool: 'run_command', summary: 'Run in the sandbox: make all' }),
    ).toEqual(['approval needed for run_command', '  Run in the sandbox: make all']);
  });

  it('lists what a delete removes with the count, and says when it is a bulk delete', () => {
    const lines = formatApprovalRequest({
      ...base,
      tool: 'delete_path',
      summary: 'Delete /d/old (2 file(s), 10 bytes)',
      targets: ['/d/old/a', '/d/old/b'],
    });
    expect(lines).toEqual([
      'approval needed for delete_path',
      '  Delete /d/old (2 file(s), 10 bytes)',
      '  2 paths would go to the trash:',
      '    /d/old/a',
      '    /d/old/b',
    ]);
    const bulk = formatApprovalRequest({
      ...base,
      tool: 'delete_path',
      summary: 'Delete /d',
      targets: Array.from({ length: SHOWN_TARGETS + 5 }, (_, i) => `/d/f${i}`),
      bulk: true,
    });
    expect(bulk[2]).toBe(
      `  ${SHOWN_TARGETS + 5} paths would go to the trash — a bulk delete, check the list:`,
    );
    expect(bulk.filter((line) => line.startsWith('    /d/f'))).toHaveLength(SHOWN_TARGETS);
    expect(bulk.at(-1)).toBe('    … and 5 more');
  });

  it('names the sub-agent that asks', () => {
    expect(
      formatApprovalRequest({ ...base, tool: 'write_file', summary: 'Write /x', agent: 'research' })[0],
    ).toBe('Sub-agent "research": approval needed for write_file');
  });

  it('shows control characters and direction overrides in names as escapes, never raw', () => {
    const [, summary, , target] = formatApprovalRequest({
      ...base,
      tool: 'delete_path',
      summary: 'Delete /d/a\rWrite /d/harmless.txt\x1b[2K',
      targets: ['/d/evil\u202etxt.exe'],
    });
    expect(summary).toBe('  Delete /d/a\\rWrite /d/harmless.txt\\x1b[2K');
    expect(target).toBe('    /d/evil\\u{202e}txt.exe');
  });
});
