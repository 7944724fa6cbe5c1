import { existsSync } from 'node:fs';
import type { StewardError } from '@steward/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  excelWorkbook,
  largeWorkbook,
  longWordDocument,
  passwordProtectedPdf,
  pdfDocument,
  powerPointPresentation,
  wordDocument,
  zipPackage,
} from './fixtures/office-files.js';

// Extraction runs in worker threads from the compiled files, so the tests load dist/.
const dist = new URL('../dist/extract/', import.meta.url);
if (!existsSync(new URL('extract.worker.js', dist))) {
  throw new Error('build fs-service first: npx tsc -b apps/fs-service');
}
const { extractText, closeExtractors } = (await import(
  new URL('extract-text.js', dist).href
)) as typeof import('../dist/extract/extract-text.js');
const { inspectZip, entryData } = (await import(
  new URL('zip-inspect.js', dist).href
)) as typeof import('../dist/extract/zip-inspect.js');

type Kind = import('../dist/extract/extract-text.js').ExtractableKind;

const MiB = 1024 * 1024;
const generous = { maxChars: 1_000_000, timeoutMs: 30_000 };

/** Every call gets its own copy: extraction takes the bytes it is given. */
const read = (bytes: Uint8Array, kind: Kind, options: Partial<Parameters<typeof extractText>[2]> = {}) =>
  extractText(bytes.slice(), kind, { ...generous, ...options });

async function failure(promise: Promise<unknown>): Promise<StewardError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  expect(error).toHaveProperty('code');
  return error as StewardError;
}

const files = {} as {
  docx: Uint8Array;
  xlsx: Uint8Array;
  pptx: Uint8Array;
  pdf: Uint8Array;
  longPdf: Uint8Array;
};

const EXPECTED_DOCX = [
  '# Quarterly report',
  'Revenue grew by 12% this quarter.',
  'Region\tSales',
  'North\t1200',
  'Fish & <chips>',
];
const EXPECTED_PDF = ['--- page 1 ---', 'Hello page one', 'Second line', '--- page 2 ---', 'Page two'];

beforeAll(async () => {
  files.docx = await wordDocument();
  files.xlsx = await excelWorkbook();
  files.pptx = await powerPointPresentation();
  files.pdf = await pdfDocument([['Hello page one', 'Second line'], ['Page two']]);
  files.longPdf = await pdfDocument(
    Array.from({ length: 500 }, (_, page) =>
      Array.from({ length: 45 }, (_, line) => `Page ${page + 1}, line ${line + 1}: words to read in order`),
    ),
  );
});

afterAll(async () => {
  await closeExtractors();
});

describe('reading office documents and PDFs as text', () => {
  it('reads a Word document: paragraphs as lines, headings marked, table rows tab-separated', async () => {
    const result = await read(files.docx, 'docx');
    expect(result).toEqual({
      kind: 'docx',
      text: EXPECTED_DOCX.join('\n'),
      truncated: false,
      parts: 1,
      warnings: [],
    });
  });

  it('reads a workbook: a header per sheet, formulas as result and formula, dates as ISO', async () => {
    const result = await read(files.xlsx, 'xlsx');
    expect(result.text.split('\n')).toEqual([
      '--- sheet "Stock" ---',
      'Item\tQty\tReceived\tNotes',
      'Apples\t3\t2024-03-15\t\t\t6 [=B2*2]',
      'Pears\t4.5\t2024-03-16T09:30:00\t\t\t9 [=B3*2]',
      '',
      'Total\t7.5 [=SUM(B2:B3)]',
      '--- sheet "Empty" ---',
    ]);
    expect(result).toMatchObject({ kind: 'xlsx', truncated: false, parts: 2, warnings: [] });
  });

  it('reads a presentation: a header per slide in order, speaker notes marked', async () => {
    const result = await read(files.pptx, 'pptx');
    expect(result.text.split('\n')).toEqual([
      '--- slide 1 ---',
      'Welcome',
      'First point',
      'Second point',
      'notes: Greet the room first',
      '--- slide 2 ---',
      'Figures',
      'Region\tSales',
      'North\t1200',
    ]);
    expect(result).toMatchObject({ kind: 'pptx', truncated: false, parts: 2 });
  });

  it('reads a PDF: a header per page, then its lines', async () => {
    const result = await read(files.pdf, 'pdf');
    expect(result).toEqual({
      kind: 'pdf',
      text: EXPECTED_PDF.join('\n'),
      truncated: false,
      parts: 2,
      warnings: [],
    });
  });

  it('cuts the text at maxChars and says so', async () => {
    const pdf = await read(files.longPdf, 'pdf', { maxChars: 300 });
    expect(pdf.truncated).toBe(true);
    expect(pdf.text).toHaveLength(300);
    expect(pdf.text.startsWith('--- page 1 ---\nPage 1, line 1: words to read in order\n')).toBe(true);
    expect(pdf.parts).toBe(500);
    const docx = await read(files.docx, 'docx', { maxChars: 20 });
    expect(docx).toMatchObject({ text: '# Quarterly report\nR', truncated: true });
  });

  it('shows the head of a sheet too large to load whole, and says how much', async () => {
    const result = await read(largeWorkbook(20_000, 12), 'xlsx', { maxChars: 10_000_000 });
    const lines = result.text.split('\n');
    expect(lines).toHaveLength(1 + 10_000);
    expect(lines[1]).toBe(Array.from({ length: 12 }, (_, column) => 12 + column).join('\t'));
    expect(lines.at(-1)).toBe(Array.from({ length: 12 }, (_, column) => 120_000 + column).join('\t'));
    expect(result.warnings).toEqual([
      'sheet "Big" is too large to show whole: only its first 10000 rows with values are shown ' +
        '(it reaches row 20000)',
    ]);
  });
});

describe('refusing files that are not what their name says', () => {
  it('refuses a file of each kind that is not one as NOT_TEXT, naming the file and the kind', async () => {
    const letter = new TextEncoder().encode('Dear reader,\nthis is a plain letter.\n');
    const cases: [Kind, Uint8Array, RegExp][] = [
      ['docx', letter, /^letter could not be read as a Word document: it is not a zip package$/],
      [
        'xlsx',
        files.xlsx.subarray(0, files.xlsx.byteLength / 2),
        /^letter could not be read as an Excel workbook: it is not a complete zip package/,
      ],
      [
        'pptx',
        files.docx,
        /^letter could not be read as a PowerPoint presentation: it is a Word document, not a PowerPoint presentation$/,
      ],
      [
        'pdf',
        new TextEncoder().encode('%PDF-1.7\nnot really a PDF at all, just words\n'),
        /^letter could not be read as a PDF document: it is not a valid PDF/,
      ],
    ];
    for (const [kind, bytes, message] of cases) {
      const error = await failure(read(bytes, kind, { name: 'letter' }));
      expect({ kind, code: error.code, message: error.message }).toEqual({
        kind,
        code: 'NOT_TEXT',
        message: expect.stringMatching(message),
      });
    }
  });

  it('refuses a package whose compressed data is damaged as NOT_TEXT', async () => {
    const damaged = files.docx.slice();
    const entry = inspectZip(damaged).find((candidate) => candidate.name === 'word/document.xml');
    expect(entry).toBeDefined();
    if (entry !== undefined) entryData(damaged, entry).fill(0xff);
    expect(await failure(read(damaged, 'docx', { name: 'report.docx' }))).toMatchObject({
      code: 'NOT_TEXT',
      message: 'report.docx could not be read as a Word document: "word/document.xml" inside it is damaged',
    });
  });

  it('refuses a password-protected PDF as NOT_TEXT', async () => {
    expect(await failure(read(await passwordProtectedPdf(), 'pdf', { name: 'secret.pdf' }))).toMatchObject({
      code: 'NOT_TEXT',
      message: 'secret.pdf could not be read as a PDF document: it is password-protected',
    });
  });
});

describe('staying safe with hostile files', () => {
  const zeros = () => new Uint8Array(300 * MiB);

  it('refuses a zip bomb as TOO_LARGE from its directory, then reads the next file', async () => {
    const bomb = zipPackage([{ name: 'word/document.xml', data: zeros() }]);
    expect(bomb.byteLength).toBeLessThan(MiB);
    expect(await failure(read(bomb, 'docx', { name: 'bomb.docx' }))).toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/^bomb\.docx is too large to read as text: it looks like a zip bomb/),
    });
    expect((await read(files.docx, 'docx')).text).toBe(EXPECTED_DOCX.join('\n'));
  });

  it('refuses a zip bomb whose directory lies about its size once it unpacks past it', async () => {
    const bomb = zipPackage([
      { name: 'xl/workbook.xml', data: '<workbook/>' },
      { name: 'xl/worksheets/sheet1.xml', data: zeros(), declaredSize: 1024 },
    ]);
    expect(await failure(read(bomb, 'xlsx', { name: 'bomb.xlsx' }))).toMatchObject({
      code: 'TOO_LARGE',
      message:
        'bomb.xlsx is too large to read as text: it looks like a zip bomb: "xl/worksheets/sheet1.xml" ' +
        'unpacks to more than the 1 KiB its directory declares',
    });
    expect((await read(files.xlsx, 'xlsx')).parts).toBe(2);
  });

  it('answers TOO_LARGE when parsing needs more than a worker’s heap, then reads the next file', async () => {
    const huge = longWordDocument(600_000);
    expect(await failure(read(huge, 'docx', { name: 'huge.docx' }))).toMatchObject({
      code: 'TOO_LARGE',
      message: 'huge.docx is too large to read as text: it needs more than 256 MiB of memory',
    });
    expect((await read(files.docx, 'docx')).text).toBe(EXPECTED_DOCX.join('\n'));
  });

  it('answers TIMEOUT when a file takes longer than timeoutMs, then reads the next file', async () => {
    await read(files.pdf, 'pdf');
    expect(await failure(read(files.longPdf, 'pdf', { timeoutMs: 100, name: 'long.pdf' }))).toMatchObject({
      code: 'TIMEOUT',
      message: 'long.pdf could not be read as text within 100 ms',
      retryable: false,
    });
    expect((await read(files.pdf, 'pdf')).text).toBe(EXPECTED_PDF.join('\n'));
  });

  it('answers CANCELLED when the signal aborts during extraction, then reads the next file', async () => {
    const controller = new AbortController();
    const pending = read(files.longPdf, 'pdf', { signal: controller.signal, name: 'long.pdf' });
    setTimeout(() => controller.abort(), 50);
    expect(await failure(pending)).toMatchObject({
      code: 'CANCELLED',
      message: 'reading long.pdf as text was cancelled',
    });
    expect((await read(files.pdf, 'pdf')).parts).toBe(2);
  });

  it('answers UNAVAILABLE for a file still being read when the extractors close, and starts again', async () => {
    const pending = failure(read(files.longPdf, 'pdf'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closeExtractors();
    expect((await pending).code).toBe('UNAVAILABLE');
    expect((await read(files.pdf, 'pdf')).text).toBe(EXPECTED_PDF.join('\n'));
  });
});

describe('sharing the workers', () => {
  it('works from the TypeScript sources too, running the worker from the build', async () => {
    const sources = await import('../src/extract/extract-text.js');
    try {
      expect((await sources.extractText(files.pdf.slice(), 'pdf', generous)).text).toBe(
        EXPECTED_PDF.join('\n'),
      );
    } finally {
      await sources.closeExtractors();
    }
  });

  it('moves the bytes to the worker instead of copying them, and copies only a view of part of a buffer', async () => {
    const whole = files.pdf.slice();
    await extractText(whole, 'pdf', generous);
    expect(whole.byteLength).toBe(0);
    const padded = new Uint8Array(files.pdf.byteLength + 10);
    padded.set(files.pdf, 10);
    const view = padded.subarray(10);
    expect((await extractText(view, 'pdf', generous)).parts).toBe(2);
    expect(padded.byteLength).toBe(files.pdf.byteLength + 10);
  });

  it('serves more files at once than it has workers, each answer matching its file', async () => {
    const results = await Promise.all([
      read(files.docx, 'docx'),
      read(files.pdf, 'pdf'),
      read(files.pptx, 'pptx'),
      read(files.xlsx, 'xlsx'),
      read(files.pdf, 'pdf', { maxChars: 14 }),
    ]);
    expect(results.map((result) => [result.kind, result.text.split('\n')[0]])).toEqual([
      ['docx', '# Quarterly report'],
      ['pdf', '--- page 1 ---'],
      ['pptx', '--- slide 1 ---'],
      ['xlsx', '--- sheet "Stock" ---'],
      ['pdf', '--- page 1 ---'],
    ]);
    expect(results[4]?.truncated).toBe(true);
  });
});
