import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fsDeletePreview,
  fsDirMake,
  fsFileEdit,
  fsFileWrite,
  fsPathDelete,
  fsPathMove,
  fsTaskClose,
  fsTaskOpen,
  fsTaskUndo,
} from '@steward/contracts';
import type { BusClient } from '@steward/messaging';
import { busAs, failure } from '../support/bus.js';
import { startStack, type Stack } from '../support/stack.js';

/** Every entry under `root`: kind, mode and content (files) or target (links), byte for byte. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full);
      const stats = lstatSync(full);
      const mode = (stats.mode & 0o7777).toString(8);
      if (stats.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(full)}`;
      else if (stats.isDirectory()) {
        out[rel] = `dir ${mode}`;
        walk(full);
      } else out[rel] = `file ${mode} ${readFileSync(full).toString('base64')}`;
    }
  };
  walk(root);
  return out;
}

async function deleteApproved(bus: BusClient, taskId: string, path: string): Promise<void> {
  const preview = await bus.request(fsDeletePreview, { taskId, path });
  await bus.request(fsPathDelete, {
    taskId,
    path,
    approval: {
      approvalId: `approval-${Math.random().toString(36).slice(2)}`,
      digest: preview.digest,
      bulkConfirmed: true,
    },
  });
}

describe("undo of a task's file changes", () => {
  let stack: Stack;
  let bus: BusClient;
  let folder: string;

  beforeAll(async () => {
    stack = await startStack();
    bus = await busAs(stack, 'orchestrator');
    folder = mkdtempSync(join(tmpdir(), 'steward-undo-'));
  });
  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  function seed(root: string): void {
    mkdirSync(join(root, 'docs', 'old'), { recursive: true });
    writeFileSync(join(root, 'docs', 'plan.md'), '# Plan\n\n- first\n- second\n');
    writeFileSync(join(root, 'docs', 'budget.csv'), 'item,cost\nrent,1200\n');
    chmodSync(join(root, 'docs', 'budget.csv'), 0o600);
    writeFileSync(join(root, 'docs', 'old', 'draft1.txt'), 'draft one');
    writeFileSync(join(root, 'docs', 'old', 'draft2.txt'), Buffer.from([0, 1, 2, 255, 254]));
    writeFileSync(join(root, 'notes.txt'), 'keep me\n');
    symlinkSync('docs/plan.md', join(root, 'plan-link'));
  }

  it('restores the folder byte for byte after writes, edits, folders, moves and deletes', async () => {
    const root = join(folder, 'full');
    mkdirSync(root);
    seed(root);
    const before = snapshot(root);
    const taskId = 'undo-full';
    await bus.request(fsTaskOpen, { taskId, folders: [root] });

    await bus.request(fsFileWrite, {
      taskId,
      path: join(root, 'docs', 'plan.md'),
      content: 'replaced entirely\n',
    });
    await bus.request(fsFileWrite, {
      taskId,
      path: join(root, 'out', 'deep', 'report.md'),
      content: '# Report\n',
    });
    await bus.request(fsFileEdit, {
      taskId,
      path: join(root, 'docs', 'budget.csv'),
      old_string: 'rent,1200',
      new_string: 'rent,1300',
    });
    await bus.request(fsFileEdit, {
      taskId,
      path: join(root, 'out', 'deep', 'report.md'),
      old_string: 'Report',
      new_string: 'Q3',
    });
    await bus.request(fsDirMake, { taskId, path: join(root, 'archive', '2026') });
    await bus.request(fsPathMove, {
      taskId,
      from: join(root, 'docs', 'old'),
      to: join(root, 'archive', '2026', 'old'),
    });
    await bus.request(fsPathMove, {
      taskId,
      from: join(root, 'notes.txt'),
      to: join(root, 'archive', 'notes.txt'),
    });
    await deleteApproved(bus, taskId, join(root, 'archive', '2026', 'old', 'draft1.txt'));
    await deleteApproved(bus, taskId, join(root, 'plan-link'));
    await bus.request(fsFileWrite, {
      taskId,
      path: join(root, 'archive', 'notes.txt'),
      content: 'rewritten after the move',
    });
    await bus.request(fsTaskClose, { taskId });
    expect(snapshot(root)).not.toEqual(before);

    const dry = await bus.request(fsTaskUndo, { taskId, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.conflicts).toEqual([]);
    expect(snapshot(root)).not.toEqual(before);

    const undone = await bus.request(fsTaskUndo, { taskId });
    expect(undone.conflicts).toEqual([]);
    expect(undone.steps.length).toBeGreaterThanOrEqual(10);
    expect(snapshot(root)).toEqual(before);

    const again = await bus.request(fsTaskUndo, { taskId });
    expect(again.steps).toEqual([]);
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses, listing them, when files were changed since by someone else; nothing is undone', async () => {
    const root = join(folder, 'conflict');
    mkdirSync(root);
    seed(root);
    const taskId = 'undo-conflict';
    await bus.request(fsTaskOpen, { taskId, folders: [root] });
    await bus.request(fsFileWrite, { taskId, path: join(root, 'docs', 'plan.md'), content: 'by the task\n' });
    await bus.request(fsFileWrite, { taskId, path: join(root, 'new.txt'), content: 'new\n' });
    writeFileSync(join(root, 'docs', 'plan.md'), 'edited by the person afterwards\n');
    const during = snapshot(root);

    const error = await failure(bus.request(fsTaskUndo, { taskId }));
    expect(error.code).toBe('EXISTS');
    const conflicts = (error.details as { conflicts: { path: string; reason: string }[] }).conflicts;
    expect(conflicts).toEqual([{ path: join(root, 'docs', 'plan.md'), reason: 'its content was changed' }]);
    expect(snapshot(root)).toEqual(during);

    const partial = await bus.request(fsTaskUndo, { taskId, skipConflicts: true });
    expect(partial.conflicts).toHaveLength(1);
    expect(partial.steps.map((step) => step.path)).toEqual([join(root, 'new.txt')]);
    expect(readFileSync(join(root, 'docs', 'plan.md'), 'utf8')).toBe('edited by the person afterwards\n');
    expect(readdirSync(root)).not.toContain('new.txt');
  });

  it('is reachable from the page: POST /api/tasks/:id/undo through the orchestrator', async () => {
    const root = join(folder, 'http');
    mkdirSync(root);
    writeFileSync(join(root, 'a.txt'), 'original');
    const taskId = 'undo-http';
    await bus.request(fsTaskOpen, { taskId, folders: [root] });
    await bus.request(fsFileWrite, { taskId, path: join(root, 'a.txt'), content: 'changed' });
    const res = await stack.api(`/api/tasks/${taskId}/undo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { steps: unknown[]; conflicts: unknown[] };
    expect(body.steps).toHaveLength(1);
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('original');

    const bad = await stack.api('/api/tasks/bad.id/undo', { method: 'POST' });
    expect(bad.status).toBe(400);
    const unauthenticated = await fetch(`${stack.url}/api/tasks/${taskId}/undo`, { method: 'POST' });
    expect(unauthenticated.status).toBe(401);
  });
});
