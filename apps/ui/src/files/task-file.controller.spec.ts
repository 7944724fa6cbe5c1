import { describe, expect, it } from 'vitest';
import { contentDisposition } from './task-file.controller.js';

describe('Content-Disposition of a task file', () => {
  it('keeps a plain name as it is', () => {
    expect(contentDisposition('attachment', 'report.xlsx')).toBe(
      `attachment; filename="report.xlsx"; filename*=UTF-8''report.xlsx`,
    );
  });

  it('cannot be broken out of by quotes, semicolons or line breaks in the name', () => {
    const header = contentDisposition('inline', 'a"; filename="evil.html\r\n.txt');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.startsWith('inline; filename="a__ filename=_evil.html__.txt"; ')).toBe(true);
    expect(header).toContain(`filename*=UTF-8''a%22%3B%20filename%3D%22evil.html%0D%0A.txt`);
  });

  it('gives the exact name as UTF-8 and an ASCII stand-in', () => {
    expect(contentDisposition('attachment', 'Résumé (final).pdf')).toBe(
      `attachment; filename="R_sum_ (final).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29.pdf`,
    );
  });
});
