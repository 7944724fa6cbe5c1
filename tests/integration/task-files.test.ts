import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FILE_FETCH_MAX_CHUNK_BYTES,
  fsFileFetch,
  fsTaskClose,
  fsTaskOpen,
  orchestratorTaskFile,
  type RpcResponse,
} from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { reply, text, toolUse } from '@steward/testing';
import { startAgentStack, type AgentStack } from '../support/agent-stack.js';
import { busAs, failure } from '../support/bus.js';
import { createTask, taskIn } from '../support/tasks.js';

/*
 * A file's bytes for the person: fs.file.fetch (fs-service, the task's containment), the
 * orchestrator's orchestrator.task.file (only files the task changed), and the page's
 * GET /api/tasks/:id/files, over the real bus with a real task run against the local model server.
 */

const API_KEY = 'sk-ant-task-files-test-key';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A binary file past two chunk boundaries, NULs and high bytes throughout. */
function binaryImage(): Buffer {
  return Buffer.concat([PNG_SIGNATURE, randomBytes(2 * FILE_FETCH_MAX_CHUNK_BYTES + 123_457)]);
}

type Chunk = RpcResponse<typeof fsFileFetch>;

async function fetchWhole(
  bus: BusClient,
  taskId: string,
  path: string,
  length?: number,
): Promise<{ bytes: Buffer; chunks: Chunk[] }> {
  const chunks: Chunk[] = [];
  let offset = 0;
  for (;;) {
    const chunk = await bus.request(fsFileFetch, {
      taskId,
      path,
      offset,
      ...(length === undefined ? {} : { length }),
      ...(chunks[0] === undefined ? {} : { version: chunks[0].version }),
    });
    chunks.push(chunk);
    offset += chunk.bytes;
    if (chunk.eof) break;
  }
  return { bytes: Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.data, 'base64'))), chunks };
}

describe('files a task changed, fetched for the person', () => {
  let agent: AgentStack;
  let orchestrator: BusClient;
  let managed: string;
  let outside: string;

  beforeAll(async () => {
    managed = mkdtempSync(join(tmpdir(), 'steward-managed-'));
    writeFileSync(
      join(managed, 'managed-settings.json'),
      JSON.stringify({ 'folders.deniedPatterns': ['*.key'] }),
      { mode: 0o644 },
    );
    outside = mkdtempSync(join(tmpdir(), 'steward-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'not for the page\n');
    agent = await startAgentStack({
      apiKey: API_KEY,
      env: () => ({ STEWARD_MANAGED_SETTINGS_DIR: managed }),
    });
    orchestrator = await busAs(agent.stack, 'orchestrator');
  }, 180_000);

  afterAll(async () => {
    await orchestrator?.close();
    await agent?.close();
    for (const dir of [managed, outside]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('fs.file.fetch', () => {
    it('returns the exact bytes of a binary file, chunk by chunk across chunk boundaries', async () => {
      const dir = agent.folder();
      const image = binaryImage();
      writeFileSync(join(dir, 'chart.png'), image);
      const taskId = 'fetch-binary';
      await orchestrator.request(fsTaskOpen, { taskId, folders: [dir] });

      const whole = await fetchWhole(orchestrator, taskId, join(dir, 'chart.png'));
      expect(whole.bytes.equals(image)).toBe(true);
      expect(whole.chunks.map((chunk) => chunk.bytes)).toEqual([
        FILE_FETCH_MAX_CHUNK_BYTES,
        FILE_FETCH_MAX_CHUNK_BYTES,
        image.length - 2 * FILE_FETCH_MAX_CHUNK_BYTES,
      ]);
      expect(whole.chunks.map((chunk) => chunk.eof)).toEqual([false, false, true]);
      expect(new Set(whole.chunks.map((chunk) => chunk.version)).size).toBe(1);
      expect(whole.chunks[0]?.size).toBe(image.length);
      expect(whole.chunks[0]?.path).toBe(join(dir, 'chart.png'));

      // Boundaries that fall anywhere: an odd chunk length gives the same bytes.
      const odd = await fetchWhole(orchestrator, taskId, join(dir, 'chart.png'), 1_000_003);
      expect(odd.chunks).toHaveLength(Math.ceil(image.length / 1_000_003));
      expect(odd.bytes.equals(image)).toBe(true);

      const past = await orchestrator.request(fsFileFetch, {
        taskId,
        path: join(dir, 'chart.png'),
        offset: image.length + 10,
      });
      expect(past).toMatchObject({ bytes: 0, data: '', eof: true, offset: image.length });

      // Like undo, it still works once the task ended and its folders were closed.
      await orchestrator.request(fsTaskClose, { taskId });
      expect((await fetchWhole(orchestrator, taskId, join(dir, 'chart.png'))).bytes.equals(image)).toBe(true);
    });

    it("refuses a path outside the task's folders, a link swapped in, and a denied path", async () => {
      const dir = agent.folder({ 'report.txt': 'the report\n', 'server.key': 'private key\n' });
      const taskId = 'fetch-refusals';
      await orchestrator.request(fsTaskOpen, { taskId, folders: [dir] });

      const outsideError = await failure(
        orchestrator.request(fsFileFetch, { taskId, path: join(outside, 'secret.txt') }),
      );
      expect(outsideError.code).toBe('OUTSIDE_ROOT');
      expect(
        (
          await failure(
            orchestrator.request(fsFileFetch, {
              taskId,
              path: `${dir}/../${outside.split('/').pop()}/secret.txt`,
            }),
          )
        ).code,
      ).toBe('OUTSIDE_ROOT');

      expect(
        (await failure(orchestrator.request(fsFileFetch, { taskId, path: join(dir, 'server.key') }))).code,
      ).toBe('DENIED_BY_POLICY');
      expect((await failure(orchestrator.request(fsFileFetch, { taskId, path: dir }))).code).toBe(
        'INVALID_INPUT',
      );
      expect(
        (await failure(orchestrator.request(fsFileFetch, { taskId, path: join(dir, 'gone.txt') }))).code,
      ).toBe('NOT_FOUND');

      // The file the page was shown, swapped for a link leading out.
      const fine = await orchestrator.request(fsFileFetch, { taskId, path: join(dir, 'report.txt') });
      expect(Buffer.from(fine.data, 'base64').toString()).toBe('the report\n');
      unlinkSync(join(dir, 'report.txt'));
      symlinkSync(join(outside, 'secret.txt'), join(dir, 'report.txt'));
      const swapped = await failure(
        orchestrator.request(fsFileFetch, { taskId, path: join(dir, 'report.txt') }),
      );
      expect(swapped.code).toBe('OUTSIDE_ROOT');
      expect(JSON.stringify(swapped.toBody())).not.toContain('not for the page');
    });

    it('answers CONFLICT when the file changes between two chunks of one download', async () => {
      const dir = agent.folder();
      const path = join(dir, 'data.bin');
      writeFileSync(path, randomBytes(300_000));
      const taskId = 'fetch-changed';
      await orchestrator.request(fsTaskOpen, { taskId, folders: [dir] });
      const first = await orchestrator.request(fsFileFetch, { taskId, path, length: 100_000 });
      expect(first.eof).toBe(false);
      writeFileSync(`${path}.new`, randomBytes(300_000));
      renameSync(`${path}.new`, path);
      const error = await failure(
        orchestrator.request(fsFileFetch, { taskId, path, offset: first.bytes, version: first.version }),
      );
      expect(error.code).toBe('CONFLICT');
    });
  });

  describe('a finished task, through the orchestrator and GET /api/tasks/:id/files', () => {
    let dir: string;
    let taskId: string;
    let image: Buffer;
    const report = '# Report\n\n<script>alert("not run")</script>\nTotal: 42\n';
    const page = '<!doctype html><script>alert(1)</script>';

    const get = (path: string, query = ''): Promise<Response> =>
      agent.stack.api(`/api/tasks/${taskId}/files?path=${encodeURIComponent(path)}${query}`);
    const errorCode = async (res: Response): Promise<string> =>
      ((await res.json()) as { error: { code: string } }).error.code;

    beforeAll(async () => {
      image = binaryImage();
      dir = agent.folder({ 'notes.txt': 'untouched\n' });
      writeFileSync(join(dir, 'chart.png'), image);
      agent.script.add('[task-files]', [
        reply([
          text('Writing the report and filing the chart.'),
          toolUse('write_file', { path: join(dir, 'report.md'), content: report }),
          toolUse('write_file', { path: join(dir, 'page.html'), content: page }),
          toolUse('move_path', { from: join(dir, 'chart.png'), to: join(dir, 'chart-final.png') }),
        ]),
        text('Done: report.md, page.html and chart-final.png.'),
      ]);
      ({ id: taskId } = await createTask(agent.page, {
        prompt: '[task-files] Write the report',
        folders: [dir],
        approvalMode: 'auto',
      }));
      const view = await taskIn(agent.page, taskId, ['completed']);
      expect(view.filesChanged).toEqual(
        expect.arrayContaining([
          join(dir, 'report.md'),
          join(dir, 'page.html'),
          join(dir, 'chart-final.png'),
        ]),
      );
      expect(agent.newProblems()).toEqual([]);
    }, 120_000);

    it('streams a binary file the task changed with its exact bytes, shown inline as an image', async () => {
      const res = await get(join(dir, 'chart-final.png'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toBe(
        `inline; filename="chart-final.png"; filename*=UTF-8''chart-final.png`,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-length')).toBe(String(image.length));
      expect(res.headers.get('content-security-policy')).toContain('sandbox');
      expect(Buffer.from(await res.arrayBuffer()).equals(image)).toBe(true);

      const saved = await get(join(dir, 'chart-final.png'), '&download=1');
      expect(saved.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(Buffer.from(await saved.arrayBuffer()).equals(image)).toBe(true);
    });

    it('shows text as text/plain, and never shows HTML: it is downloaded as an octet-stream', async () => {
      const md = await get(join(dir, 'report.md'));
      expect(md.status).toBe(200);
      expect(md.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(md.headers.get('content-disposition')).toMatch(/^inline; /);
      expect(await md.text()).toBe(report);

      const html = await get(join(dir, 'page.html'));
      expect(html.status).toBe(200);
      expect(html.headers.get('content-type')).toBe('application/octet-stream');
      expect(html.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
      expect(await html.text()).toBe(page);
    });

    it('refuses a file the task did not change, and one outside its folders', async () => {
      for (const path of [join(dir, 'notes.txt'), join(outside, 'secret.txt'), '/etc/passwd']) {
        const res = await get(path);
        expect(res.status).toBe(403);
        expect(await errorCode(res)).toBe('FORBIDDEN');
      }
      const error = await failure(
        agent.page.request(orchestratorTaskFile, { taskId, path: join(dir, 'notes.txt') }),
      );
      expect(error.code).toBe('FORBIDDEN');
    });

    it('refuses a changed file swapped for a link that leads out, after the task ended', async () => {
      const target = join(dir, 'report.md');
      const original = readFileSync(target);
      unlinkSync(target);
      symlinkSync(join(outside, 'secret.txt'), target);
      try {
        const res = await get(target);
        expect(res.status).toBe(403);
        const body = await res.text();
        expect(JSON.parse(body)).toMatchObject({ error: { code: 'OUTSIDE_ROOT' } });
        expect(body).not.toContain('not for the page');
      } finally {
        unlinkSync(target);
        writeFileSync(target, original);
      }
    });

    it('answers bad addresses with typed errors', async () => {
      expect((await agent.stack.api(`/api/tasks/${taskId}/files`)).status).toBe(400);
      expect((await get('relative/report.md')).status).toBe(400);
      expect((await agent.stack.api(`/api/tasks/${taskId}/files?path=%2Fa&extra=1`)).status).toBe(400);
      const unknown = await agent.stack.api(
        `/api/tasks/t_unknown/files?path=${encodeURIComponent(join(dir, 'report.md'))}`,
      );
      expect(unknown.status).toBe(404);
      expect(await errorCode(unknown)).toBe('NOT_FOUND');
      const noToken = await fetch(
        `${agent.stack.url}/api/tasks/${taskId}/files?path=${encodeURIComponent(join(dir, 'report.md'))}`,
      );
      expect(noToken.status).toBe(401);
    });
  });
});
