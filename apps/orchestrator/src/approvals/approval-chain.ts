import path from 'node:path';
import type { ApprovalMode, ToolEffect } from '@steward/contracts';
import { isPathWithin } from '@steward/config';
import type { TaskRule } from '../store/task-store.js';

export type Decision = 'allow' | 'ask' | 'deny';
export type DecisionSource = 'policy' | 'rule' | 'mode' | 'person' | 'always';

export interface Verdict {
  readonly decision: Decision;
  readonly source: DecisionSource;
  readonly reason: string;
}

export interface CallToJudge {
  readonly tool: string;
  /** The catalog's effect; undefined for tools Steward does not know (they ask). */
  readonly effect: ToolEffect | undefined;
  readonly input: Record<string, unknown>;
}

export interface ChainContext {
  readonly mode: ApprovalMode;
  /** Managed policy: whether `auto` may be used at all. */
  readonly autoAllowed: boolean;
  readonly rules: readonly TaskRule[];
  /** Tools managed policy refuses outright, with the reason. */
  readonly deniedByPolicy?: (tool: string) => string | undefined;
}

/** An inspector has an opinion about a call, or none (undefined). The first with one decides. */
type Inspector = (call: CallToJudge, context: ChainContext) => Verdict | undefined;

const policyDeny: Inspector = (call, context) => {
  const reason = context.deniedByPolicy?.(call.tool);
  return reason === undefined ? undefined : { decision: 'deny', source: 'policy', reason };
};

/** Deleting always asks the person, whatever the mode or the rules. */
const alwaysAskDelete: Inspector = (call) =>
  call.effect === 'delete'
    ? { decision: 'ask', source: 'always', reason: 'deleting always asks the person' }
    : undefined;

const safeEffects: Inspector = (call) =>
  call.effect === 'read' || call.effect === 'internal'
    ? { decision: 'allow', source: 'mode', reason: `${call.tool} changes nothing outside the task` }
    : undefined;

const unknownTool: Inspector = (call) =>
  call.effect === undefined
    ? { decision: 'ask', source: 'mode', reason: `${call.tool} is not a tool Steward knows what it does` }
    : undefined;

const taskRules: Inspector = (call, context) => {
  const rule = context.rules.find((candidate) => ruleCovers(candidate, call));
  return rule === undefined
    ? undefined
    : { decision: 'allow', source: 'rule', reason: `allowed for this task: ${rule.tool} ${rule.pattern}` };
};

const mode: Inspector = (_call, context) =>
  context.mode === 'auto' && context.autoAllowed
    ? { decision: 'allow', source: 'mode', reason: 'the task runs in auto mode' }
    : {
        decision: 'ask',
        source: context.mode === 'auto' ? 'policy' : 'mode',
        reason:
          context.mode === 'auto'
            ? 'your organization does not allow auto mode, so changes ask first'
            : 'changes ask first in ask mode',
      };

/**
 * Managed policy's deny beats the asks that always hold (deleting) which beat every allow (reads,
 * the task's rules, auto mode); what is left asks.
 */
const CHAIN: readonly Inspector[] = [policyDeny, alwaysAskDelete, safeEffects, unknownTool, taskRules, mode];

export function judge(call: CallToJudge, context: ChainContext): Verdict {
  for (const inspector of CHAIN) {
    const verdict = inspector(call, context);
    if (verdict !== undefined) return verdict;
  }
  return { decision: 'ask', source: 'mode', reason: 'nothing allowed it' };
}

/** Paths a call acts on, for rules and for what the person is shown. */
export function pathsOf(input: Record<string, unknown>): string[] {
  return ['path', 'from', 'to', 'cwd']
    .map((field) => input[field])
    .filter((value): value is string => typeof value === 'string');
}

/** The program a command starts with, for "allow `python3` for the rest of this task". */
export function programOf(command: string): string | undefined {
  const first = command.trim().split(/\s+/)[0];
  if (first === undefined || first === '' || /[;&|<>`$(){}]/.test(first)) return undefined;
  return first;
}

/**
 * The rule "allow for the rest of this task" makes of one approved call: the folder it wrote in,
 * or the program it ran (only for a single plain command: `python3 x.py && rm -rf ~` is not
 * `python3`). Undefined when no safe rule can be drawn from the call.
 */
export function ruleFor(call: CallToJudge): TaskRule | undefined {
  if (call.effect === 'delete') return undefined;
  if (call.tool === 'run_command') {
    const command = typeof call.input['command'] === 'string' ? call.input['command'] : '';
    if (/[;&|<>`$()\n]/.test(command)) return undefined;
    const program = programOf(command);
    return program === undefined ? undefined : { tool: 'run_command', pattern: program };
  }
  const paths = pathsOf(call.input);
  const first = paths[0];
  if (first === undefined) return { tool: call.tool, pattern: '*' };
  const folder = call.tool === 'make_directory' ? first : path.posix.dirname(first);
  return { tool: call.tool, pattern: folder };
}

function ruleCovers(rule: TaskRule, call: CallToJudge): boolean {
  if (rule.tool !== call.tool) return false;
  if (rule.pattern === '*') return true;
  if (call.tool === 'run_command') {
    const command = typeof call.input['command'] === 'string' ? call.input['command'] : '';
    return !/[;&|<>`$()\n]/.test(command) && programOf(command) === rule.pattern;
  }
  const paths = pathsOf(call.input);
  return (
    paths.length > 0 &&
    paths.every((candidate) => isPathWithin(rule.pattern, path.posix.normalize(candidate)))
  );
}
