import { UsageError } from './cli-error.js';

export type Command =
  | { readonly kind: 'help'; readonly topic?: CommandName }
  | { readonly kind: 'version' }
  | { readonly kind: 'up'; readonly detach: boolean }
  | { readonly kind: 'down' }
  | { readonly kind: 'status'; readonly json: boolean }
  | { readonly kind: 'doctor'; readonly json: boolean }
  | { readonly kind: 'policy-show'; readonly json: boolean }
  | { readonly kind: 'supervise' }
  | { readonly kind: 'test'; readonly quick: boolean; readonly setup: boolean }
  | {
      readonly kind: 'sandbox-build';
      readonly office: boolean;
      readonly force: boolean;
      readonly json: boolean;
    }
  | { readonly kind: 'sandbox-prune'; readonly dryRun: boolean; readonly json: boolean };

export const COMMAND_NAMES = [
  'up',
  'down',
  'status',
  'doctor',
  'policy',
  'sandbox',
  'supervise',
  'test',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

function isCommandName(value: string): value is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(value);
}

const HELP_FLAGS = new Set(['-h', '--help']);

/** The flags each command accepts; anything else is a usage error, never silently ignored. */
const FLAGS: Readonly<Record<CommandName, readonly string[]>> = {
  up: ['--detach', '-d'],
  down: [],
  status: ['--json'],
  doctor: ['--json'],
  policy: ['--json'],
  sandbox: ['--office', '--force', '--dry-run', '--json'],
  supervise: [],
  test: ['--quick', '--no-setup'],
};

function splitFlags(
  command: CommandName,
  args: readonly string[],
): { flags: Set<string>; positionals: string[] } {
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (const arg of args) {
    if (arg === '--') throw new UsageError(`"${command}" takes no arguments after "--"`);
    if (arg.startsWith('-')) {
      if (arg.includes('=')) throw new UsageError(`flag ${arg.split('=')[0]} of "${command}" takes no value`);
      if (!FLAGS[command].includes(arg)) throw new UsageError(`unknown flag ${arg} for "${command}"`);
      flags.add(arg);
    } else {
      positionals.push(arg);
    }
  }
  return { flags, positionals };
}

/** `sandbox` shares one flag list; each subcommand accepts only its own part of it. */
const SANDBOX_FLAGS: Readonly<Record<'build' | 'prune', readonly string[]>> = {
  build: ['--office', '--force', '--json'],
  prune: ['--dry-run', '--json'],
};

function onlyFlags(command: string, flags: ReadonlySet<string>, allowed: readonly string[]): void {
  for (const flag of flags)
    if (!allowed.includes(flag)) throw new UsageError(`unknown flag ${flag} for "${command}"`);
}

function noPositionals(command: CommandName, positionals: readonly string[]): void {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}" for "${command}"`);
}

/** Parses `steward <command> [flags]` (argv without node and the script). */
export function parseArgs(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given');
  if (HELP_FLAGS.has(first)) return { kind: 'help' };
  if (first === '--version' || first === '-v') return { kind: 'version' };
  if (first === 'help') {
    const [topic, ...extra] = rest;
    if (topic === undefined) return { kind: 'help' };
    if (!isCommandName(topic)) throw new UsageError(`unknown command "${topic}"`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" for "help"`);
    return { kind: 'help', topic };
  }
  if (first.startsWith('-')) throw new UsageError(`unknown flag ${first}`);
  if (!isCommandName(first)) throw new UsageError(`unknown command "${first}"`);
  if (rest.some((arg) => HELP_FLAGS.has(arg))) return { kind: 'help', topic: first };

  const { flags, positionals } = splitFlags(first, rest);
  switch (first) {
    case 'up':
      noPositionals(first, positionals);
      return { kind: 'up', detach: flags.has('--detach') || flags.has('-d') };
    case 'down':
      noPositionals(first, positionals);
      return { kind: 'down' };
    case 'status':
      noPositionals(first, positionals);
      return { kind: 'status', json: flags.has('--json') };
    case 'doctor':
      noPositionals(first, positionals);
      return { kind: 'doctor', json: flags.has('--json') };
    case 'policy': {
      const [sub, ...extra] = positionals;
      if (sub === undefined) throw new UsageError('"policy" needs a subcommand: policy show');
      if (sub !== 'show') throw new UsageError(`unknown subcommand "policy ${sub}"`);
      noPositionals(first, extra);
      return { kind: 'policy-show', json: flags.has('--json') };
    }
    case 'sandbox': {
      const [sub, ...extra] = positionals;
      if (sub === undefined)
        throw new UsageError('"sandbox" needs a subcommand: sandbox build, sandbox prune');
      if (sub !== 'build' && sub !== 'prune') throw new UsageError(`unknown subcommand "sandbox ${sub}"`);
      noPositionals(first, extra);
      onlyFlags(`sandbox ${sub}`, flags, SANDBOX_FLAGS[sub]);
      if (sub === 'prune')
        return { kind: 'sandbox-prune', dryRun: flags.has('--dry-run'), json: flags.has('--json') };
      return {
        kind: 'sandbox-build',
        office: flags.has('--office'),
        force: flags.has('--force'),
        json: flags.has('--json'),
      };
    }
    case 'supervise':
      noPositionals(first, positionals);
      return { kind: 'supervise' };
    case 'test':
      noPositionals(first, positionals);
      return { kind: 'test', quick: flags.has('--quick'), setup: !flags.has('--no-setup') };
  }
}
