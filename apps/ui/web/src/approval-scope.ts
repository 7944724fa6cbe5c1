/*
 * What "Allow for the rest of this task" would allow, in words, before the person clicks it. It
 * follows the orchestrator's rule for remembered approvals (apps/orchestrator/src/approvals/
 * approval-chain.ts, ruleFor): later commands that start with the same program, or later calls of
 * the same tool in the same folder; never deletes, never a command that chains or redirects.
 */

const SHELL_SYNTAX = /[;&|<>`$()\n]/;

const field = (input: unknown, name: string): string | undefined => {
  if (typeof input !== 'object' || input === null) return undefined;
  const value = (input as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
};

const dirname = (path: string): string => {
  const trimmed = path.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return cut <= 0 ? '/' : trimmed.slice(0, cut);
};

/** The rule's reach as a phrase ("later `python3` commands"), or undefined when none can be made. */
export function rememberScope(tool: string, input: unknown): string | undefined {
  if (tool === 'delete_path') return undefined;
  if (tool === 'run_command') {
    const command = field(input, 'command') ?? '';
    if (SHELL_SYNTAX.test(command)) return undefined;
    const program = command.trim().split(/\s+/)[0];
    if (program === undefined || program === '' || /[{}]/.test(program)) return undefined;
    return `later commands that start with ${program}`;
  }
  const first = ['path', 'from', 'to', 'cwd'].map((name) => field(input, name)).find((value) => value);
  if (first === undefined) return `every later ${tool} call`;
  const folder = tool === 'make_directory' ? first : dirname(first);
  return `later ${tool} calls inside ${folder}`;
}
