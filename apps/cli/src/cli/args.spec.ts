import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { EXIT, UsageError } from './cli-error.js';

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseArgs', () => {
  it('parses each command with its flags', () => {
    expect(parseArgs(['up'])).toEqual({ kind: 'up', detach: false });
    expect(parseArgs(['up', '--detach'])).toEqual({ kind: 'up', detach: true });
    expect(parseArgs(['up', '-d'])).toEqual({ kind: 'up', detach: true });
    expect(parseArgs(['down'])).toEqual({ kind: 'down' });
    expect(parseArgs(['status'])).toEqual({ kind: 'status', json: false });
    expect(parseArgs(['status', '--json'])).toEqual({ kind: 'status', json: true });
    expect(parseArgs(['doctor'])).toEqual({ kind: 'doctor', json: false });
    expect(parseArgs(['policy', 'show'])).toEqual({ kind: 'policy-show', json: false });
    expect(parseArgs(['policy', 'show', '--json'])).toEqual({ kind: 'policy-show', json: true });
    expect(parseArgs(['policy', '--json', 'show'])).toEqual({ kind: 'policy-show', json: true });
    expect(parseArgs(['supervise'])).toEqual({ kind: 'supervise' });
  });

  it('parses sandbox prune with --dry-run and --json, in any position', () => {
    expect(parseArgs(['sandbox', 'prune'])).toEqual({ kind: 'sandbox-prune', dryRun: false, json: false });
    expect(parseArgs(['sandbox', 'prune', '--dry-run', '--json'])).toEqual({
      kind: 'sandbox-prune',
      dryRun: true,
      json: true,
    });
    expect(parseArgs(['sandbox', '--dry-run', 'prune'])).toEqual({
      kind: 'sandbox-prune',
      dryRun: true,
      json: false,
    });
    expect(parseArgs(['sandbox', 'prune', '-h'])).toEqual({ kind: 'help', topic: 'sandbox' });
  });

  it('parses sandbox build with any of its flags, in any position', () => {
    expect(parseArgs(['sandbox', 'build'])).toEqual({
      kind: 'sandbox-build',
      office: false,
      force: false,
      json: false,
    });
    expect(parseArgs(['sandbox', 'build', '--office', '--force', '--json'])).toEqual({
      kind: 'sandbox-build',
      office: true,
      force: true,
      json: true,
    });
    expect(parseArgs(['sandbox', '--office', 'build'])).toEqual({
      kind: 'sandbox-build',
      office: true,
      force: false,
      json: false,
    });
    expect(parseArgs(['sandbox', 'build', '--help'])).toEqual({ kind: 'help', topic: 'sandbox' });
    expect(parseArgs(['help', 'sandbox'])).toEqual({ kind: 'help', topic: 'sandbox' });
  });

  it('answers help and version requests in every spelling', () => {
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseArgs(['help'])).toEqual({ kind: 'help' });
    expect(parseArgs(['help', 'up'])).toEqual({ kind: 'help', topic: 'up' });
    expect(parseArgs(['up', '--help'])).toEqual({ kind: 'help', topic: 'up' });
    expect(parseArgs(['policy', 'show', '-h'])).toEqual({ kind: 'help', topic: 'policy' });
    expect(parseArgs(['--version'])).toEqual({ kind: 'version' });
  });

  it('parses run with its prompt, repeated folders, model, auto, approve and json, in any order', () => {
    expect(parseArgs(['run', 'Summarize my notes', '--folder', 'notes'])).toEqual({
      kind: 'run',
      prompt: 'Summarize my notes',
      folders: ['notes'],
      auto: false,
      json: false,
    });
    expect(
      parseArgs([
        'run',
        '--folder=/a',
        '--auto',
        'Do it',
        '--folder',
        'b',
        '--model',
        'claude-sonnet-4-6',
        '--approve',
        'deny',
        '--json',
      ]),
    ).toEqual({
      kind: 'run',
      prompt: 'Do it',
      folders: ['/a', 'b'],
      model: 'claude-sonnet-4-6',
      auto: true,
      approve: 'deny',
      json: true,
    });
    expect(parseArgs(['run', 'x', '--folder', 'a', '--approve=ask'])).toMatchObject({ approve: 'ask' });
  });

  it('takes everything after -- as the prompt, so a prompt may start with a dash or say -h', () => {
    expect(parseArgs(['run', '--folder', 'a', '--', '-h: explain this flag'])).toMatchObject({
      kind: 'run',
      prompt: '-h: explain this flag',
      folders: ['a'],
    });
    expect(parseArgs(['run', '--folder', 'a', '-h'])).toEqual({ kind: 'help', topic: 'run' });
    expect(parseArgs(['help', 'run'])).toEqual({ kind: 'help', topic: 'run' });
  });

  it('refuses unknown commands, flags and arguments with exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /no command/],
      [['start'], /unknown command "start"/],
      [['run'], /"run" needs a prompt/],
      [['run', 'hello'], /"run" needs at least one folder/],
      [['run', '--folder', 'a'], /"run" needs a prompt/],
      [['run', '   ', '--folder', 'a'], /the prompt is empty/],
      [['run', 'summarize', 'my', 'notes', '--folder', 'a'], /takes one prompt, got 3 arguments.*quotes/],
      [['run', 'x', '--folder'], /--folder needs a value/],
      [['run', 'x', '--folder', '--json'], /--folder needs a value/],
      [['run', 'x', '--folder='], /--folder needs a value/],
      [['run', 'x', '--folder', 'a', '--approve', 'maybe'], /--approve must be ask or deny, not "maybe"/],
      [
        ['run', 'x', '--folder', 'a', '--approve', 'ask', '--approve', 'deny'],
        /--approve is given twice, as ask and as deny/,
      ],
      [['run', 'x', '--folder', 'a', '--model', 'm1', '--model', 'm2'], /--model is given twice/],
      [['run', 'x', '--folder', 'a', '--auto=yes'], /flag --auto of "run" takes no value/],
      [['run', 'x', '--folder', 'a', '--detach'], /unknown flag --detach for "run"/],
      [['--verbose'], /unknown flag --verbose/],
      [['up', '--detached'], /unknown flag --detached for "up"/],
      [['down', '--json'], /unknown flag --json for "down"/],
      [['up', '--detach=yes'], /takes no value/],
      [['status', 'now'], /unexpected argument "now"/],
      [['policy'], /needs a subcommand/],
      [['policy', 'edit'], /unknown subcommand "policy edit"/],
      [['policy', 'show', 'extra'], /unexpected argument "extra"/],
      [['help', 'nothing'], /unknown command "nothing"/],
      [['sandbox'], /"sandbox" needs a subcommand: sandbox build, sandbox prune/],
      [['sandbox', 'rebuild'], /unknown subcommand "sandbox rebuild"/],
      [['sandbox', 'build', 'now'], /unexpected argument "now"/],
      [['sandbox', 'build', '--detach'], /unknown flag --detach for "sandbox"/],
      [['sandbox', 'build', '--office=yes'], /takes no value/],
      [['sandbox', 'prune', '--office'], /unknown flag --office for "sandbox prune"/],
      [['sandbox', 'prune', '--force'], /unknown flag --force for "sandbox prune"/],
      [['sandbox', 'build', '--dry-run'], /unknown flag --dry-run for "sandbox build"/],
      [['sandbox', 'prune', 'all'], /unexpected argument "all"/],
      [['up', '--office'], /unknown flag --office for "up"/],
    ];
    for (const [argv, message] of cases) {
      const error = usageError(argv);
      expect(error.message).toMatch(message);
      expect(error.exitCode).toBe(EXIT.usage);
    }
  });
});
