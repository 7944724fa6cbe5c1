// What the model does in the loop benchmark: a task reads small files one per turn (never the same
// file twice in a row, since the orchestrator stops a task that repeats one call four times), then
// answers. Each turn checks that the previous read came back as that file's text, so a loop that
// "works" by returning errors is caught, not measured.
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reply, text, toolUse, type ModelRequest, type Scripted, type UsageOverride } from '@steward/testing';

/** Small files of a short note each: what an agent reads most of the time. */
const FILE_COUNT = 8;
const LINES_PER_FILE = 10;
/**
 * Every answer reports the same small usage, so a long task stays far from the token and cost
 * budgets and never triggers compaction: the benchmark measures the loop, not the budget checks.
 */
const USAGE: UsageOverride = {
  inputTokens: 100,
  outputTokens: 20,
  cacheCreationInputTokens: 0,
  cacheReadInputTokens: 0,
};
const MARKER = /\[bench:([A-Za-z0-9_-]+)\]/;

export interface NoteFile {
  readonly path: string;
  /** A line only this file holds, looked for in the tool result. */
  readonly signature: string;
  readonly bytes: number;
}

export interface NoteFolder {
  readonly root: string;
  readonly files: readonly NoteFile[];
  remove(): void;
}

/** A fresh folder of small text files, by its real path (the path fs-service compares roots by). */
export function makeNoteFolder(): NoteFolder {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'steward-bench-orchestrator-notes-')));
  const files = Array.from({ length: FILE_COUNT }, (_, index): NoteFile => {
    const signature = `note ${index}: signature ${(index + 1) * 7919}`;
    const lines = [
      signature,
      ...Array.from(
        { length: LINES_PER_FILE - 1 },
        (_, line) => `- item ${line + 1} of note ${index}: revenue ${line * 3 + index}%, costs flat`,
      ),
    ];
    const content = `${lines.join('\n')}\n`;
    const path = join(root, `note-${index}.txt`);
    writeFileSync(path, content);
    return { path, signature, bytes: Buffer.byteLength(content) };
  });
  return { root, files, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The prompt of a task the script knows by `marker`. */
export function promptFor(marker: string): string {
  return `[bench:${marker}] Read the notes in this folder one by one, then say you are done.`;
}

interface ScriptedTask {
  readonly calls: number;
  /** The model server's request index of each turn, first arrival only (replays do not count). */
  readonly turnIndex: number[];
  readonly answered: Promise<void>;
  readonly markAnswered: () => void;
}

/**
 * The model's side of every benchmark task: the n-th turn of a task reads file n (mod the folder's
 * size), the turn after its `calls` reads answers in text.
 */
export class ReadLoopScript {
  readonly #tasks = new Map<string, ScriptedTask>();
  readonly #problems: string[] = [];

  constructor(private readonly folder: NoteFolder) {}

  /** Anything a request showed that a working loop would not: a failed read, an unknown task. */
  get problems(): readonly string[] {
    return this.#problems;
  }

  add(marker: string, calls: number): void {
    if (this.#tasks.has(marker)) throw new Error(`the script already has a task "${marker}"`);
    let markAnswered = (): void => undefined;
    const answered = new Promise<void>((resolve) => {
      markAnswered = resolve;
    });
    this.#tasks.set(marker, { calls, turnIndex: [], answered, markAnswered });
  }

  /** Resolves once the task's final (text) answer has been handed to the model server. */
  answered(marker: string): Promise<void> {
    return this.#task(marker).answered;
  }

  /** The model server's request index of turn 0 … `calls` of the task, as they first arrived. */
  turnIndexes(marker: string): readonly number[] {
    return this.#task(marker).turnIndex;
  }

  /** For ModelServer.respondWith. */
  readonly handler = (request: ModelRequest): Scripted => {
    const marker = markerOf(request.body);
    const task = marker === undefined ? undefined : this.#tasks.get(marker);
    if (marker === undefined || task === undefined) {
      this.#problems.push(`a request for no scripted task (request #${request.index})`);
      return reply(text('There is nothing scripted for this task.'), { usage: USAGE });
    }
    // One user message, then an assistant turn and its tool results per call.
    const turn = (request.messageCount - 1) / 2;
    if (!Number.isInteger(turn) || turn > task.calls) {
      this.#problems.push(`${marker}: a request with ${request.messageCount} messages`);
      return reply(text('The conversation has an unexpected shape.'), { usage: USAGE });
    }
    if (task.turnIndex.length === turn) task.turnIndex.push(request.index);
    if (turn > 0) this.#checkRead(marker, turn, request);
    if (turn === task.calls) {
      task.markAnswered();
      return reply(text(`Done: I read ${task.calls} notes.`), { usage: USAGE });
    }
    return reply(toolUse('read_file', { path: this.#file(turn).path }), { usage: USAGE });
  };

  #file(turn: number): NoteFile {
    const file = this.folder.files[turn % this.folder.files.length];
    if (file === undefined) throw new Error('the note folder has no files');
    return file;
  }

  #checkRead(marker: string, turn: number, request: ModelRequest): void {
    const [result, ...more] = request.toolResults;
    const expected = this.#file(turn - 1);
    if (result === undefined || more.length > 0) {
      this.#problems.push(`${marker} turn ${turn}: ${request.toolResults.length} tool results, expected 1`);
    } else if (result.isError || !result.content.includes(expected.signature)) {
      this.#problems.push(
        `${marker} turn ${turn}: read_file ${expected.path} came back as ${result.content.slice(0, 300)}`,
      );
    }
  }

  #task(marker: string): ScriptedTask {
    const task = this.#tasks.get(marker);
    if (task === undefined) throw new Error(`the script has no task "${marker}"`);
    return task;
  }
}

/** The marker in a Messages API body's first message (the task's prompt). */
function markerOf(body: unknown): string | undefined {
  const messages = (body as { messages?: unknown }).messages;
  const first: unknown = Array.isArray(messages) ? messages[0] : undefined;
  return MARKER.exec(JSON.stringify(first ?? ''))?.[1];
}
