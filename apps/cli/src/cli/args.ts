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
  | { readonly kind: 'sandbox-prune'; readonly dryRun: boolean; readonly json: boolean }
  | RunCommand;

export type ApproveMode = 'ask' | 'deny';

/** `steward run "<prompt>" --folder <dir> …`; folders are as typed (resolved by the command). */
export interface RunCommand {
  readonly kind: 'run';
  readonly prompt: string;
  readonly folders: readonly string[];
  readonly model?: string;
  readonly auto: boolean;
  /** Unset: ask when stdin is a terminal, else deny. */
  readonly approve?: ApproveMode;
  readonly json: boolean;
}

export const COMMAND_NAMES = [
  'up',
  'down',
  'status',
  'doctor',
  'policy',
  'sandbox',
  'run',
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
  // Read by parseRun, which also takes their values.
  run: ['--folder', '--model', '--approve', '--auto', '--json'],
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
  // Its prompt and flag values are free text, so `run` reads its own arguments (a prompt may say "-h").
  if (first === 'run') return parseRun(rest);
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

const RUN_VALUE_FLAGS = new Set(['--folder', '--model', '--approve']);
const RUN_SWITCHES = new Set(['--auto', '--json']);
const RUN_USAGE = 'steward run "<prompt>" --folder <dir>';

/**
 * `run "<prompt>" --folder <dir> [--folder <dir>…] [--model <m>] [--auto] [--approve ask|deny]
 * [--json]`. A value follows its flag (`--folder <dir>` or `--folder=<dir>`); after `--` every
 * argument is the prompt, so a prompt may start with a dash.
 */
function parseRun(args: readonly string[]): Command {
  const positionals: string[] = [];
  const folders: string[] = [];
  let model: string | undefined;
  let approve: ApproveMode | undefined;
  let auto = false;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (HELP_FLAGS.has(arg)) return { kind: 'help', topic: 'run' };
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (RUN_SWITCHES.has(flag)) {
      if (eq !== -1) throw new UsageError(`flag ${flag} of "run" takes no value`);
      if (flag === '--auto') auto = true;
      else json = true;
      continue;
    }
    if (!RUN_VALUE_FLAGS.has(flag)) throw new UsageError(`unknown flag ${flag} for "run"`);
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = args[i + 1];
      if (value === undefined || value.startsWith('-'))
        throw new UsageError(`${flag} needs a value (write ${flag}=<value> if it starts with a dash)`);
      i += 1;
    }
    if (value === '') throw new UsageError(`${flag} needs a value`);
    if (flag === '--folder') {
      folders.push(value);
    } else if (flag === '--model') {
      if (model !== undefined) throw new UsageError('--model is given twice');
      model = value;
    } else {
      if (value !== 'ask' && value !== 'deny')
        throw new UsageError(`--approve must be ask or deny, not "${value}"`);
      if (approve !== undefined && approve !== value)
        throw new UsageError('--approve is given twice, as ask and as deny');
      approve = value;
    }
  }
  if (positionals.length === 0) throw new UsageError(`"run" needs a prompt: ${RUN_USAGE}`);
  if (positionals.length > 1)
    throw new UsageError(
      `"run" takes one prompt, got ${positionals.length} arguments ("${positionals[0]}", "${positionals[1]}", …); put the prompt in quotes`,
    );
  const prompt = positionals[0] ?? '';
  if (prompt.trim() === '') throw new UsageError('the prompt is empty; say what the task should do');
  if (folders.length === 0) throw new UsageError(`"run" needs at least one folder: ${RUN_USAGE}`);
  return {
    kind: 'run',
    prompt,
    folders,
    ...(model === undefined ? {} : { model }),
    auto,
    ...(approve === undefined ? {} : { approve }),
    json,
  };
}
