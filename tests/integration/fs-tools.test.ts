import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fsDeletePreview,
  fsDirList,
  fsDirMake,
  fsFileEdit,
  fsFileRead,
  fsFileWrite,
  fsPathDelete,
  fsPathMove,
  fsSearchGlob,
  fsSearchGrep,
  fsTaskChanges,
  fsTaskClose,
  fsTaskOpen,
  fsTrashEmpty,
  fsTrashList,
  fsTrashRestore,
  TOOL_LIMITS,
  type DeletePreview,
} from '@steward/contracts';
import { connectBus, decodeBody, type BusClient } from '@steward/messaging';
import {
  excelWorkbook,
  pdfDocument,
  powerPointPresentation,
  wordDocument,
} from '../../apps/fs-service/test/fixtures/office-files.js';
import { busAs, failure } from '../support/bus.js';
import { startStack, type Stack } from '../support/stack.js';

/** Every file tool through the real bus, against the real fs-service, as the orchestrator calls them. */
describe('fs-service file tools over the bus', () => {
  let stack: Stack;
  let bus: BusClient;
  let folder: string;
  const taskId = 'task-tools';

  beforeAll(async () => {
    stack = await startStack();
    bus = await busAs(stack, 'orchestrator');
    folder = mkdtempSync(join(tmpdir(), 'steward-tools-'));
    await bus.request(fsTaskOpen, { taskId, folders: [folder] });
  });
  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  describe('list_directory', () => {
    it('lists entries in name order with kinds and sizes, folders expanded to the depth asked', async () => {
      const dir = join(folder, 'list');
      mkdirSync(join(dir, 'b-folder', 'inner'), { recursive: true });
      writeFileSync(join(dir, 'c.txt'), 'hello');
      writeFileSync(join(dir, 'a.txt'), '');
      writeFileSync(join(dir, 'b-folder', 'x.csv'), '1,2\n');
      writeFileSync(join(dir, 'b-folder', 'inner', 'deep.txt'), 'deep');
      const one = await bus.request(fsDirList, { taskId, path: dir });
      expect(one.entries.map((entry) => [entry.name, entry.kind, entry.size])).toEqual([
        ['a.txt', 'file', 0],
        ['b-folder', 'directory', undefined],
        ['c.txt', 'file', 5],
      ]);
      expect(one.truncated).toBe(false);
      const two = await bus.request(fsDirList, { taskId, path: dir, depth: 2 });
      expect(two.entries.map((entry) => entry.name)).toEqual([
        'a.txt',
        'b-folder',
        'b-folder/inner',
        'b-folder/x.csv',
        'c.txt',
      ]);
      expect(two.output).toContain('b-folder/');
      expect(two.output).toContain('x.csv (4 B)');
    });

    it('caps a huge folder with a "more" marker that counts what was left out', async () => {
      const dir = join(folder, 'many');
      mkdirSync(dir);
      for (let i = 0; i < 1_205; i += 1) writeFileSync(join(dir, `f${String(i).padStart(5, '0')}`), '');
      const listed = await bus.request(fsDirList, { taskId, path: dir });
      expect(listed.entries).toHaveLength(1_000);
      expect(listed.totalEntries).toBe(1_205);
      expect(listed.truncated).toBe(true);
      expect(listed.output).toContain('205 more entries not shown');
    });
  });

  describe('read_file', () => {
    it('returns numbered lines and slices with offset and limit, saying where to go on', async () => {
      const file = join(folder, 'lines.txt');
      writeFileSync(file, Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
      const all = await bus.request(fsFileRead, { taskId, path: file });
      expect(all.lines).toBe(30);
      expect(all.totalLines).toBe(30);
      expect(all.hasMore).toBe(false);
      expect(all.output.split('\n')[0]).toBe('     1\tline 1');
      const slice = await bus.request(fsFileRead, { taskId, path: file, offset: 10, limit: 5 });
      expect(slice.content).toBe('line 11\nline 12\nline 13\nline 14\nline 15');
      expect(slice.hasMore).toBe(true);
      expect(slice.output).toContain('read again with offset 15');
    });

    it('refuses binary files with NOT_TEXT and reads Windows-1252 text with a note', async () => {
      writeFileSync(join(folder, 'image.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
      const error = await failure(bus.request(fsFileRead, { taskId, path: join(folder, 'image.bin') }));
      expect(error.code).toBe('NOT_TEXT');
      writeFileSync(join(folder, 'latin.csv'), Buffer.from('caf\xe9;na\xefve\n', 'latin1'));
      const latin = await bus.request(fsFileRead, { taskId, path: join(folder, 'latin.csv') });
      expect(latin.content).toBe('café;naïve');
      expect(latin.warnings.join(' ')).toContain('Windows-1252');
    });

    it('cuts a very long line and says so', async () => {
      writeFileSync(join(folder, 'minified.js'), 'x'.repeat(50_000));
      const read = await bus.request(fsFileRead, { taskId, path: join(folder, 'minified.js') });
      expect(read.longLinesCut).toBe(1);
      expect(read.content.length).toBeLessThan(2_100);
      expect(read.content).toContain('line cut at 2000 characters');
    });

    it('reads Word, Excel, PowerPoint and PDF files as their text, sliced like any text', async () => {
      writeFileSync(join(folder, 'report.docx'), await wordDocument());
      writeFileSync(join(folder, 'stock.xlsx'), await excelWorkbook());
      writeFileSync(join(folder, 'deck.pptx'), await powerPointPresentation());
      writeFileSync(
        join(folder, 'paper.pdf'),
        await pdfDocument([['First page line'], ['Second page line']]),
      );
      const docx = await bus.request(fsFileRead, { taskId, path: join(folder, 'report.docx') });
      expect(docx.kind).toBe('docx');
      expect(docx.content).toContain('# Quarterly report');
      expect(docx.content).toContain('Revenue grew by 12% this quarter.');
      const xlsx = await bus.request(fsFileRead, { taskId, path: join(folder, 'stock.xlsx') });
      expect(xlsx.content.split('\n')[0]).toBe('--- sheet "Stock" ---');
      expect(xlsx.content).toContain('Apples');
      const pptx = await bus.request(fsFileRead, { taskId, path: join(folder, 'deck.pptx') });
      expect(pptx.content).toContain('--- slide 2 ---');
      const pdf = await bus.request(fsFileRead, {
        taskId,
        path: join(folder, 'paper.pdf'),
        offset: 2,
        limit: 2,
      });
      expect(pdf.kind).toBe('pdf');
      expect(pdf.content).toBe('--- page 2 ---\nSecond page line');
      writeFileSync(join(folder, 'fake.docx'), 'plain text wearing a .docx name');
      const fake = await failure(bus.request(fsFileRead, { taskId, path: join(folder, 'fake.docx') }));
      expect(fake.code).toBe('NOT_TEXT');
      expect(fake.message).toContain('fake.docx');
    });

    it('reads an empty file as empty, not as an error', async () => {
      writeFileSync(join(folder, 'empty.txt'), '');
      const read = await bus.request(fsFileRead, { taskId, path: join(folder, 'empty.txt') });
      expect(read.lines).toBe(0);
      expect(read.output).toContain('the file is empty');
    });
  });

  describe('write_file and edit_file', () => {
    it('creates a file and its missing folders inside the root, then replaces it whole', async () => {
      const file = join(folder, 'out', 'report', 'summary.md');
      const created = await bus.request(fsFileWrite, { taskId, path: file, content: '# Draft\n' });
      expect(created.created).toBe(true);
      expect(created.createdFolders).toEqual([join(folder, 'out'), join(folder, 'out', 'report')]);
      expect(readFileSync(file, 'utf8')).toBe('# Draft\n');
      chmodSync(file, 0o640);
      const replaced = await bus.request(fsFileWrite, { taskId, path: file, content: '# Final\n' });
      expect(replaced.created).toBe(false);
      expect(readFileSync(file, 'utf8')).toBe('# Final\n');
      expect(statSync(file).mode & 0o777).toBe(0o640);
      expect(readdirSync(join(folder, 'out', 'report'))).toEqual(['summary.md']);
    });

    it('carries the largest content the tool allows across the bus, multi-byte text included', async () => {
      const file = join(folder, 'large.txt');
      const content = 'é€'.repeat(TOOL_LIMITS.contentLength / 2);
      const written = await bus.request(fsFileWrite, { taskId, path: file, content });
      expect(written.bytes).toBe(Buffer.byteLength(content));
      expect(readFileSync(file, 'utf8') === content).toBe(true);
    });

    it('edits an exact match; zero or several matches are clear errors that say how many', async () => {
      const file = join(folder, 'edit.txt');
      writeFileSync(file, 'alpha\nbeta\nalpha\n');
      const none = await failure(
        bus.request(fsFileEdit, { taskId, path: file, old_string: 'gamma', new_string: 'x' }),
      );
      expect(none.code).toBe('NOT_FOUND');
      const ambiguous = await failure(
        bus.request(fsFileEdit, { taskId, path: file, old_string: 'alpha', new_string: 'x' }),
      );
      expect(ambiguous.code).toBe('AMBIGUOUS_EDIT');
      expect(ambiguous.message).toContain('occurs 2 times');
      expect(readFileSync(file, 'utf8')).toBe('alpha\nbeta\nalpha\n');
      const one = await bus.request(fsFileEdit, {
        taskId,
        path: file,
        old_string: 'beta',
        new_string: 'BETA',
      });
      expect(one.replacements).toBe(1);
      const all = await bus.request(fsFileEdit, {
        taskId,
        path: file,
        old_string: 'alpha',
        new_string: 'ALPHA',
        replace_all: true,
      });
      expect(all.replacements).toBe(2);
      expect(readFileSync(file, 'utf8')).toBe('ALPHA\nBETA\nALPHA\n');
    });
  });

  describe('glob, grep and make_directory', () => {
    it('finds files by pattern and lines by regex, skipping binary files', async () => {
      const dir = join(folder, 'search');
      mkdirSync(join(dir, 'sub'), { recursive: true });
      writeFileSync(join(dir, 'notes.md'), 'todo: invoices\nnothing here\n');
      writeFileSync(join(dir, 'sub', 'more.md'), 'TODO later\ntodo: receipts\n');
      writeFileSync(join(dir, 'sub', 'data.bin'), Buffer.from('todo: \0binary'));
      const globbed = await bus.request(fsSearchGlob, { taskId, pattern: '**/*.md', path: dir });
      expect(globbed.paths.map((entry) => entry.path)).toEqual([
        join(dir, 'notes.md'),
        join(dir, 'sub', 'more.md'),
      ]);
      const grepped = await bus.request(fsSearchGrep, { taskId, pattern: '^todo:', path: dir });
      expect(grepped.matches.map((match) => [match.path, match.line])).toEqual([
        [join(dir, 'notes.md'), 1],
        [join(dir, 'sub', 'more.md'), 2],
      ]);
      expect(grepped.output).toContain(`${join(dir, 'notes.md')}:1: todo: invoices`);
      const filtered = await bus.request(fsSearchGrep, {
        taskId,
        pattern: 'todo',
        path: dir,
        glob: 'more.*',
      });
      expect(filtered.matches).toHaveLength(1);
    });

    it('makes nested folders and succeeds when they exist', async () => {
      const target = join(folder, 'made', 'a', 'b');
      const made = await bus.request(fsDirMake, { taskId, path: target });
      expect(made.createdFolders).toEqual([join(folder, 'made'), join(folder, 'made', 'a'), target]);
      const again = await bus.request(fsDirMake, { taskId, path: target });
      expect(again.createdFolders).toEqual([]);
      writeFileSync(join(folder, 'made', 'file'), '');
      expect(
        (await failure(bus.request(fsDirMake, { taskId, path: join(folder, 'made', 'file') }))).code,
      ).toBe('EXISTS');
    });
  });

  describe('move_path', () => {
    it('moves and renames, never overwriting unless asked; an overwritten file goes to the trash', async () => {
      const dir = join(folder, 'moves');
      mkdirSync(dir);
      writeFileSync(join(dir, 'a.txt'), 'A');
      writeFileSync(join(dir, 'b.txt'), 'B');
      const refused = await failure(
        bus.request(fsPathMove, { taskId, from: join(dir, 'a.txt'), to: join(dir, 'b.txt') }),
      );
      expect(refused.code).toBe('EXISTS');
      expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('A');
      expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('B');
      const moved = await bus.request(fsPathMove, {
        taskId,
        from: join(dir, 'a.txt'),
        to: join(dir, 'b.txt'),
        overwrite: true,
      });
      expect(moved.replacedTrashId).toBeDefined();
      expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('A');
      expect(existsSync(join(dir, 'a.txt'))).toBe(false);
      const trash = await bus.request(fsTrashList, { taskId });
      expect(trash.items.find((item) => item.id === moved.replacedTrashId)).toMatchObject({
        originalPath: join(dir, 'b.txt'),
        reason: 'overwrite',
      });
      const renamed = await bus.request(fsPathMove, {
        taskId,
        from: dir,
        to: join(folder, 'moved-folder', 'inside'),
      });
      expect(renamed.kind).toBe('directory');
      expect(readFileSync(join(folder, 'moved-folder', 'inside', 'b.txt'), 'utf8')).toBe('A');
      const intoItself = await failure(
        bus.request(fsPathMove, {
          taskId,
          from: join(folder, 'moved-folder'),
          to: join(folder, 'moved-folder', 'x'),
        }),
      );
      expect(intoItself.code).toBe('INVALID_INPUT');
    });
  });

  describe('delete_path', () => {
    let target: string;
    let preview: DeletePreview;

    beforeAll(async () => {
      target = join(folder, 'old-drafts');
      mkdirSync(join(target, 'nested'), { recursive: true });
      writeFileSync(join(target, 'one.txt'), '1');
      writeFileSync(join(target, 'nested', 'two.txt'), '22');
      preview = await bus.request(fsDeletePreview, { taskId, path: target });
    });

    it('previews the full list of what would go', () => {
      expect(preview).toMatchObject({ kind: 'directory', files: 2, folders: 2, bytes: 3, bulk: false });
      expect(preview.entries.map((entry) => entry.path)).toEqual([
        target,
        join(target, 'nested'),
        join(target, 'nested', 'two.txt'),
        join(target, 'one.txt'),
      ]);
    });

    it('refuses without the approval, with the preview in the error', async () => {
      const error = await failure(bus.request(fsPathDelete, { taskId, path: target }));
      expect(error.code).toBe('NEEDS_APPROVAL');
      expect((error.details as { preview: DeletePreview }).preview.digest).toBe(preview.digest);
      expect(existsSync(join(target, 'one.txt'))).toBe(true);
    });

    it('refuses an approval given for a listing that has changed since', async () => {
      const stale = join(folder, 'stale');
      mkdirSync(stale);
      writeFileSync(join(stale, 'a'), 'a');
      const seen = await bus.request(fsDeletePreview, { taskId, path: stale });
      writeFileSync(join(stale, 'added-after-approval'), 'new');
      const error = await failure(
        bus.request(fsPathDelete, {
          taskId,
          path: stale,
          approval: { approvalId: 'ap-1', digest: seen.digest },
        }),
      );
      expect(error.code).toBe('NEEDS_APPROVAL');
      expect(existsSync(join(stale, 'added-after-approval'))).toBe(true);
    });

    it('moves an approved delete to the trash, restorable to where it was', async () => {
      const deleted = await bus.request(fsPathDelete, {
        taskId,
        path: target,
        approval: { approvalId: 'ap-2', digest: preview.digest },
      });
      expect(deleted).toMatchObject({ files: 2, bytes: 3 });
      expect(existsSync(target)).toBe(false);
      expect(existsSync(join(stack.home, 'trash', deleted.trashId, 'item', 'nested', 'two.txt'))).toBe(true);
      const restored = await bus.request(fsTrashRestore, { id: deleted.trashId });
      expect(restored.path).toBe(target);
      expect(readFileSync(join(target, 'nested', 'two.txt'), 'utf8')).toBe('22');
      const listed = await bus.request(fsTrashList, {});
      expect(listed.items.some((item) => item.id === deleted.trashId)).toBe(false);
    });

    it("refuses to delete a connected folder's root", async () => {
      const error = await failure(bus.request(fsDeletePreview, { taskId, path: folder }));
      expect(error.code).toBe('DENIED_BY_POLICY');
      const direct = await failure(
        bus.request(fsPathDelete, { taskId, path: folder, approval: { approvalId: 'ap-3', digest: 'x' } }),
      );
      expect(direct.code).toBe('DENIED_BY_POLICY');
      expect(existsSync(folder)).toBe(true);
    });

    it('asks for a bulk confirmation over the threshold, in one approval that lists every file', async () => {
      const bulk = join(folder, 'bulk');
      mkdirSync(bulk);
      for (let i = 0; i < 25; i += 1) writeFileSync(join(bulk, `f${i}.txt`), String(i));
      const seen = await bus.request(fsDeletePreview, { taskId, path: bulk });
      expect(seen).toMatchObject({ bulk: true, bulkThreshold: 20, files: 25 });
      expect(seen.entries).toHaveLength(26);
      const unconfirmed = await failure(
        bus.request(fsPathDelete, {
          taskId,
          path: bulk,
          approval: { approvalId: 'ap-4', digest: seen.digest },
        }),
      );
      expect(unconfirmed.code).toBe('NEEDS_APPROVAL');
      expect(existsSync(bulk)).toBe(true);
      await bus.request(fsPathDelete, {
        taskId,
        path: bulk,
        approval: { approvalId: 'ap-5', digest: seen.digest, bulkConfirmed: true },
      });
      expect(existsSync(bulk)).toBe(false);
    });

    it('empties the trash only when told, item by item or all', async () => {
      const before = await bus.request(fsTrashList, {});
      expect(before.items.length).toBeGreaterThan(0);
      const first = before.items[0]!;
      const one = await bus.request(fsTrashEmpty, { ids: [first.id] });
      expect(one.removed).toBe(1);
      expect(existsSync(join(stack.home, 'trash', first.id))).toBe(false);
      const missing = await failure(bus.request(fsTrashEmpty, { ids: [first.id] }));
      expect(missing.code).toBe('NOT_FOUND');
      const rest = await bus.request(fsTrashEmpty, {});
      expect(rest.removed).toBe(before.items.length - 1);
      expect((await bus.request(fsTrashList, {})).items).toEqual([]);
    });
  });

  describe('events', () => {
    it('publishes events.fs.task.<id>.changed for every change, which the ui user can follow', async () => {
      const events = await connectBus('ui', stack.credentials('ui'));
      const seen: { subject: string; data: { op: string; path: string; to?: string } }[] = [];
      const subscription = events.subscribe('events.fs.task.task-events.>', {
        callback: (_error, message) => {
          seen.push({
            subject: message.subject,
            data: decodeBody(message.data) as (typeof seen)[number]['data'],
          });
        },
      });
      await events.flush();
      await bus.request(fsTaskOpen, { taskId: 'task-events', folders: [folder] });
      await bus.request(fsFileWrite, {
        taskId: 'task-events',
        path: join(folder, 'ev', 'a.txt'),
        content: 'a',
      });
      await bus.request(fsPathMove, {
        taskId: 'task-events',
        from: join(folder, 'ev', 'a.txt'),
        to: join(folder, 'ev', 'b.txt'),
      });
      const deadline = Date.now() + 5_000;
      while (seen.length < 3 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      subscription.unsubscribe();
      await events.close();
      expect(seen.map((event) => [event.subject, event.data.op, event.data.path])).toEqual([
        ['events.fs.task.task-events.changed', 'mkdir', join(folder, 'ev')],
        ['events.fs.task.task-events.changed', 'write', join(folder, 'ev', 'a.txt')],
        ['events.fs.task.task-events.changed', 'move', join(folder, 'ev', 'a.txt')],
      ]);
      expect(seen[2]?.data.to).toBe(join(folder, 'ev', 'b.txt'));
    });
  });

  describe('tasks', () => {
    it('lists the files a task changed', async () => {
      const changes = await bus.request(fsTaskChanges, { taskId });
      expect(changes.filesChanged).toContain(join(folder, 'out', 'report', 'summary.md'));
      expect(changes.changes.map((change) => change.op)).toEqual(
        expect.arrayContaining(['write', 'edit', 'mkdir', 'move', 'delete']),
      );
    });

    it('refuses requests of a task that was never opened, or has ended', async () => {
      const unknown = await failure(
        bus.request(fsFileRead, { taskId: 'never-opened', path: join(folder, 'lines.txt') }),
      );
      expect(unknown.code).toBe('NOT_FOUND');
      await bus.request(fsTaskOpen, { taskId: 'short-lived', folders: [folder] });
      await bus.request(fsTaskClose, { taskId: 'short-lived' });
      const ended = await failure(
        bus.request(fsFileRead, { taskId: 'short-lived', path: join(folder, 'lines.txt') }),
      );
      expect(ended.code).toBe('NOT_FOUND');
      expect(ended.message).toContain('ended');
    });

    it('refuses a task id that could widen an event subject', async () => {
      const error = await failure(bus.request(fsTaskOpen, { taskId: 'a.>', folders: [folder] }));
      expect(error.code).toBe('INVALID_INPUT');
    });
  });
});
