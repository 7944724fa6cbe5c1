import type { ProjectView } from '@steward/contracts';
import { describe, expect, it } from 'vitest';
import { ApiError } from './api.js';
import { fieldErrorsOf, foldersFromLines, taskCountText } from './project-api.js';
import { taskFolders } from './project-select.js';

const project = (folders: string[], counts: Partial<ProjectView> = {}): ProjectView => ({
  id: 'p_1',
  name: 'Invoices',
  instructions: '',
  folders,
  taskCount: 0,
  activeTaskCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...counts,
});

describe('fieldErrorsOf', () => {
  it('puts a taken name (409 EXISTS) under Name', () => {
    const error = new ApiError(409, 'EXISTS', 'a project named "Q3" already exists');
    expect(fieldErrorsOf(error)).toEqual({ fields: { name: 'A project named "Q3" already exists' } });
  });

  it('puts each schema issue under the field it names, the first per field, with the folder it is about', () => {
    const error = new ApiError(400, 'INVALID_INPUT', 'the request body is not valid', [
      { path: ['name'], message: 'give the project a name' },
      { path: ['name'], message: 'no control characters' },
      { path: ['folders', 1], message: 'must be an absolute path' },
    ]);
    expect(fieldErrorsOf(error)).toEqual({
      fields: { name: 'Give the project a name', folders: 'Folder 2: must be an absolute path' },
    });
  });

  it('leaves what no field owns for the form: unknown keys, other codes, network failures', () => {
    const unknownKey = new ApiError(400, 'INVALID_INPUT', 'the request body is not valid', [
      { path: [], message: 'Unrecognized key: "extra"' },
    ]);
    expect(fieldErrorsOf(unknownKey)).toEqual({ fields: {}, form: 'The request body is not valid' });
    expect(fieldErrorsOf(new ApiError(409, 'CONFLICT', 'the project has 1 task still running'))).toEqual({
      fields: {},
      form: 'The project has 1 task still running',
    });
    expect(fieldErrorsOf(new Error('offline'))).toEqual({ fields: {}, form: 'offline' });
  });
});

describe('folders', () => {
  it('reads one folder per line, trimmed, without blanks or repeats', () => {
    expect(foldersFromLines(' /a \n\n/b\n/a\n  \n')).toEqual(['/a', '/b']);
    expect(foldersFromLines('')).toEqual([]);
  });

  it("a task connects the Folder box's folder first, then the project's others, at most 16", () => {
    expect(taskFolders(' /b ', project(['/a', '/b', '/c']))).toEqual(['/b', '/a', '/c']);
    expect(taskFolders('/x', undefined)).toEqual(['/x']);
    const many = Array.from({ length: 16 }, (_, index) => `/f${index}`);
    expect(taskFolders('/typed', project(many))).toHaveLength(16);
    expect(taskFolders('/typed', project(many))[0]).toBe('/typed');
  });

  it('counts tasks, naming those under way', () => {
    expect(taskCountText(project([], { taskCount: 1 }))).toBe('1 task');
    expect(taskCountText(project([], { taskCount: 3, activeTaskCount: 2 }))).toBe('3 tasks, 2 under way');
  });
});
