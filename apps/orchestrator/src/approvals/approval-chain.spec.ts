import { describe, expect, it } from 'vitest';
import { judge, ruleFor, type ChainContext } from './approval-chain.js';

const ask: ChainContext = { mode: 'ask', autoAllowed: true, rules: [] };
const auto: ChainContext = { mode: 'auto', autoAllowed: true, rules: [] };

describe('the approval chain', () => {
  it('lets reads and the task’s own state through in every mode', () => {
    expect(judge({ tool: 'read_file', effect: 'read', input: { path: '/a/x' } }, ask)).toMatchObject({
      decision: 'allow',
      source: 'mode',
    });
    expect(judge({ tool: 'todo_write', effect: 'internal', input: {} }, ask).decision).toBe('allow');
  });

  it('asks before writes and commands in ask mode, allows them in auto mode', () => {
    const write = { tool: 'write_file', effect: 'write' as const, input: { path: '/a/x' } };
    expect(judge(write, ask)).toMatchObject({ decision: 'ask', source: 'mode' });
    expect(judge(write, auto)).toMatchObject({ decision: 'allow', source: 'mode' });
  });

  it('asks in auto mode when managed policy forbids auto, saying so', () => {
    const verdict = judge(
      { tool: 'run_command', effect: 'execute', input: { command: 'ls' } },
      { ...auto, autoAllowed: false },
    );
    expect(verdict).toMatchObject({ decision: 'ask', source: 'policy' });
    expect(verdict.reason).toContain('does not allow auto mode');
  });

  it('always asks before a delete, whatever the mode or the rules', () => {
    const call = { tool: 'delete_path', effect: 'delete' as const, input: { path: '/a/old' } };
    expect(judge(call, auto)).toMatchObject({ decision: 'ask', source: 'always' });
    expect(judge(call, { ...auto, rules: [{ tool: 'delete_path', pattern: '/a' }] })).toMatchObject({
      decision: 'ask',
    });
  });

  it('puts managed policy’s deny above everything, deletes included', () => {
    const deny = { ...auto, deniedByPolicy: () => 'your organization blocks this tool' };
    expect(judge({ tool: 'delete_path', effect: 'delete', input: { path: '/a' } }, deny)).toMatchObject({
      decision: 'deny',
      source: 'policy',
    });
  });

  it('asks for tools it does not know, even in auto mode', () => {
    expect(judge({ tool: 'mystery', effect: undefined, input: {} }, auto).decision).toBe('ask');
  });

  it('applies "allow for the rest of this task" only inside the folder, or to that one plain program', () => {
    const inFolder = { ...ask, rules: [{ tool: 'write_file', pattern: '/a/reports' }] };
    expect(
      judge({ tool: 'write_file', effect: 'write', input: { path: '/a/reports/q3.md' } }, inFolder),
    ).toMatchObject({
      decision: 'allow',
      source: 'rule',
    });
    expect(
      judge({ tool: 'write_file', effect: 'write', input: { path: '/a/reports-2/q3.md' } }, inFolder)
        .decision,
    ).toBe('ask');
    expect(
      judge({ tool: 'write_file', effect: 'write', input: { path: '/a/reports/../x.md' } }, inFolder)
        .decision,
    ).toBe('ask');
    const python = { ...ask, rules: [{ tool: 'run_command', pattern: 'python3' }] };
    expect(
      judge({ tool: 'run_command', effect: 'execute', input: { command: 'python3 report.py' } }, python)
        .decision,
    ).toBe('allow');
    expect(
      judge(
        { tool: 'run_command', effect: 'execute', input: { command: 'python3 report.py; rm -rf ~' } },
        python,
      ).decision,
    ).toBe('ask');
  });

  it('draws rules only from calls that can be scoped safely', () => {
    expect(ruleFor({ tool: 'write_file', effect: 'write', input: { path: '/a/reports/q3.md' } })).toEqual({
      tool: 'write_file',
      pattern: '/a/reports',
    });
    expect(ruleFor({ tool: 'run_command', effect: 'execute', input: { command: 'python3 x.py' } })).toEqual({
      tool: 'run_command',
      pattern: 'python3',
    });
    expect(ruleFor({ tool: 'run_command', effect: 'execute', input: { command: 'a && b' } })).toBeUndefined();
    expect(ruleFor({ tool: 'delete_path', effect: 'delete', input: { path: '/a/x' } })).toBeUndefined();
  });
});
