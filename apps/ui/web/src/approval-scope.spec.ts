import { describe, expect, it } from 'vitest';
import { rememberScope } from './approval-scope.js';

describe('what "allow for the rest of this task" would allow', () => {
  it('names the program of a plain command and the folder of a file change', () => {
    expect(rememberScope('run_command', { command: 'python3 report.py --month 3' })).toBe(
      'later commands that start with python3',
    );
    expect(rememberScope('write_file', { path: '/home/a/docs/out/summary.md', content: '' })).toBe(
      'later write_file calls inside /home/a/docs/out',
    );
    expect(rememberScope('make_directory', { path: '/home/a/docs/new' })).toBe(
      'later make_directory calls inside /home/a/docs/new',
    );
    expect(rememberScope('mcp__notes__append', { text: 'x' })).toBe('every later mcp__notes__append call');
  });

  it('offers nothing for deletes or for commands that chain, redirect or substitute', () => {
    expect(rememberScope('delete_path', { path: '/home/a/x' })).toBeUndefined();
    for (const command of ['python3 x.py && rm -rf ~', 'ls > out', 'echo $(id)', 'a | b', 'a\nb', '']) {
      expect(rememberScope('run_command', { command })).toBeUndefined();
    }
  });
});
