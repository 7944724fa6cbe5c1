import { StewardError } from '@steward/contracts';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { extractableKind, extractText, type ExtractOptions } from './extract-text.js';

const options: ExtractOptions = { maxChars: 1000, timeoutMs: 5000, name: 'report' };

async function failure(promise: Promise<unknown>): Promise<StewardError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StewardError);
  return error as StewardError;
}

describe('extractable kinds', () => {
  it('names the kind by extension, case-insensitively', () => {
    expect(extractableKind('report.pdf')).toBe('pdf');
    expect(extractableKind('Report.DOCX')).toBe('docx');
    expect(extractableKind('folder/data.Xlsx')).toBe('xlsx');
    expect(extractableKind('C:\\talks\\deck.pptx')).toBe('pptx');
  });

  it('has no kind for other files, older binary formats, or a bare dotfile', () => {
    expect(extractableKind('notes.txt')).toBeUndefined();
    expect(extractableKind('old.doc')).toBeUndefined();
    expect(extractableKind('archive.pdf.zip')).toBeUndefined();
    expect(extractableKind('pdf')).toBeUndefined();
    expect(extractableKind('.pdf')).toBeUndefined();
    expect(extractableKind('a.pdf/readme')).toBeUndefined();
  });
});

// Refusals that need no parser are made before any worker starts, so these run without one.
describe('extraction refused before parsing', () => {
  it('rejects option values that make no sense', async () => {
    const bytes = new Uint8Array([1]);
    expect((await failure(extractText(bytes, 'pdf', { ...options, maxChars: 0 }))).code).toBe(
      'INVALID_INPUT',
    );
    expect((await failure(extractText(bytes, 'pdf', { ...options, timeoutMs: Number.NaN }))).code).toBe(
      'INVALID_INPUT',
    );
  });

  it('answers CANCELLED for a signal that was already aborted', async () => {
    const error = await failure(
      extractText(new Uint8Array([1]), 'pdf', { ...options, signal: AbortSignal.abort() }),
    );
    expect(error).toMatchObject({ code: 'CANCELLED', message: 'reading report as text was cancelled' });
  });

  it('refuses an empty file and a PDF without a PDF header as NOT_TEXT', async () => {
    expect(await failure(extractText(new Uint8Array(0), 'xlsx', options))).toMatchObject({
      code: 'NOT_TEXT',
      message: 'report could not be read as an Excel workbook: the file is empty',
    });
    const text = new TextEncoder().encode('Dear reader, this is a letter.');
    expect(await failure(extractText(text, 'pdf', options))).toMatchObject({
      code: 'NOT_TEXT',
      message: 'report could not be read as a PDF document: it has no PDF header',
    });
  });

  it('refuses a Word document that is no zip package as NOT_TEXT, naming the file', async () => {
    const text = new TextEncoder().encode('Dear reader, this is a letter.');
    expect(await failure(extractText(text, 'docx', { ...options, name: 'letter.docx' }))).toMatchObject({
      code: 'NOT_TEXT',
      message: 'letter.docx could not be read as a Word document: it is not a zip package',
    });
    expect(await failure(extractText(text, 'pptx', { maxChars: 10, timeoutMs: 10 }))).toMatchObject({
      message: 'the file could not be read as a PowerPoint presentation: it is not a zip package',
    });
  });

  it('refuses a zip bomb as TOO_LARGE from its directory alone', async () => {
    const zip = new JSZip();
    zip.file('word/document.xml', new Uint8Array(8 * 1024 * 1024));
    const bomb = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
    expect(await failure(extractText(bomb, 'docx', options))).toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/^report is too large to read as text: it looks like a zip bomb/),
    });
  });
});
