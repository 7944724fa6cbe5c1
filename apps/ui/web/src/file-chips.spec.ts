import { taskFileType } from '@steward/contracts';
import { describe, expect, it } from 'vitest';
import { fileUrl, opensInBrowser } from './file-chips.js';

const NAMES = [
  'notes.txt',
  'README.MD',
  'table.csv',
  'data.json',
  'chart.png',
  'photo.JPEG',
  'report.pdf',
  'budget.xlsx',
  'letter.docx',
  'deck.pptx',
  'page.html',
  'page.htm',
  'logo.svg',
  'script.js',
  'archive.zip',
  'noextension',
  '.hidden',
  'trailing.',
  'a.constructor',
  'a.__proto__',
];

describe('file chips', () => {
  it.each(NAMES)('%s opens in the browser exactly when the file route would show it', (name) => {
    expect(opensInBrowser(name)).toBe(taskFileType(name).inline !== undefined);
  });

  it('never opens HTML or SVG in the browser', () => {
    for (const name of ['x.html', 'x.HTM', 'x.svg', 'x.xhtml']) {
      expect(opensInBrowser(name)).toBe(false);
      expect(taskFileType(name)).toEqual({ type: 'application/octet-stream' });
    }
  });

  it('puts the path in the query, encoded, and asks for a download when saving', () => {
    expect(fileUrl('t_abc', '/a b/<script>&x=1.txt', false)).toBe(
      '/api/tasks/t_abc/files?path=%2Fa%20b%2F%3Cscript%3E%26x%3D1.txt',
    );
    expect(fileUrl('t_abc', '/a/b.xlsx', true)).toBe('/api/tasks/t_abc/files?path=%2Fa%2Fb.xlsx&download=1');
  });
});
