// Where the orchestrator's CPU went while the benchmark measured it: support/orchestrator-profiler.ts
// runs V8's CPU profiler inside the orchestrator between two signals; this reads the profile back as
// the functions with the most time of their own, those with the most time under them, and the time
// by package.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  /** Microseconds since the previous sample (the first: since `startTime`). */
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Time sampled running code (or collecting garbage), idle excluded. */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly topSelf: readonly ProfileEntry[];
  readonly topTotal: readonly ProfileEntry[];
  readonly byArea: readonly ProfileEntry[];
}

const NOT_CODE = new Set(['(root)', '(idle)', '(program)', '(garbage collector)']);
/**
 * Frames under which nearly everything runs once code is async (the microtask queue, async
 * resources): listed by total time they would only push the frames that tell something out.
 */
const SCHEDULING = /^node:internal\/process\/task_queues$|^node:async_hooks$/;

function isScheduling(frame: CallFrame): boolean {
  return frame.functionName === 'runMicrotasks' || SCHEDULING.test(frame.url);
}

const WRITE_DEADLINE_MS = 30_000;

/** Starts the profiler inside the orchestrator (it was started with the profiler loaded). */
export function startProfiling(pid: number): void {
  process.kill(pid, 'SIGUSR2');
}

/** Stops it; resolves to the profile's file once the orchestrator has written it. */
export async function stopProfiling(pid: number, dir: string): Promise<string> {
  const file = join(dir, `orchestrator-${pid}.cpuprofile`);
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + WRITE_DEADLINE_MS;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`the orchestrator wrote no CPU profile to ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return file;
}

function frameName(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name;
  const short = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(apps|libs)\//, '$1/');
  return `${name} ${short}:${frame.lineNumber + 1}`;
}

/**
 * The package or Steward project a frame's code belongs to. Native code (SQLite's statements, socket
 * writes, string encoding) counts for the JavaScript that called it.
 */
function areaOf(
  id: number,
  nodes: ReadonlyMap<number, ProfileNode>,
  parent: ReadonlyMap<number, number>,
): string {
  const leaf = nodes.get(id)?.callFrame;
  if (leaf !== undefined && NOT_CODE.has(leaf.functionName) && leaf.url === '') return leaf.functionName;
  let frame = leaf;
  for (
    let current = parent.get(id);
    frame?.url === '' && current !== undefined;
    current = parent.get(current)
  )
    frame = nodes.get(current)?.callFrame;
  const url = (frame?.url ?? '').replace(/^file:\/\//, '');
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node';
  const module = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (module?.[1] !== undefined) return module[1];
  const project = /\/(apps|libs)\/([^/]+)\//.exec(url);
  if (project?.[1] !== undefined && project[2] !== undefined) return `${project[1]}/${project[2]}`;
  return url;
}

function top(totals: Map<string, number>, busyMs: number, count: number): ProfileEntry[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
}

export function summarizeProfile(file: string, count = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfMs = new Map<number, number>();
  // A sample's time is the gap until the next one.
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
  });

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const node = nodes.get(id);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + ms);
    const area = areaOf(id, nodes, parent);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    // Every distinct function on the stack gets the sample once, however often it recurs.
    const onStack = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = nodes.get(current)?.callFrame;
      if (frame !== undefined && !NOT_CODE.has(frame.functionName) && !isScheduling(frame))
        onStack.add(frameName(frame));
    }
    for (const key of onStack) total.set(key, (total.get(key) ?? 0) + ms);
  }
  return {
    file,
    busyMs,
    idleMs,
    topSelf: top(self, busyMs, count),
    topTotal: top(total, busyMs, count),
    byArea: top(byArea, busyMs, count),
  };
}
