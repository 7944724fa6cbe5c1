import { createInflateRaw } from 'node:zlib';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { Refusal, type Extraction } from './extract-protocol.js';
import { attribute, attributeEntries, scanMarkup } from './markup-scan.js';
import { relationships, relsPath } from './opc-package.js';
import type { TextSink } from './text-sink.js';
import { entryData, formatBytes, type ZipEntry } from './zip-inspect.js';

/** Rows shown per sheet: past this a sheet is data to query, not text to read. */
export const MAX_ROWS_PER_SHEET = 10_000;
export const MAX_COLUMNS = 256;
/**
 * Sheet XML handed to exceljs per sheet. exceljs holds every cell of a workbook as objects
 * (some 300 bytes each), so a million-cell sheet would not fit the worker's heap; 6 MiB of XML
 * is some 200,000 cells, more rows than are shown. A larger sheet is cut after its last whole
 * row within the budget before exceljs sees it.
 */
export const SHEET_XML_BUDGET = 6 * 1024 * 1024;

const WORKSHEET_PART = /^xl\/worksheets\/[^/]+\.xml$/;
const ROW_END = Buffer.from('</row>', 'latin1');
const SHEET_END = Buffer.from('</sheetData></worksheet>', 'latin1');

/** Parts of a sheet that carry no cell values; skipping them saves time and memory. */
const IGNORED_NODES = [
  'sheetPr',
  'sheetViews',
  'sheetFormatPr',
  'cols',
  'autoFilter',
  'rowBreaks',
  'pageMargins',
  'dataValidations',
  'pageSetup',
  'headerFooter',
  'printOptions',
  'picture',
  'drawing',
  'sheetProtection',
  'tableParts',
  'conditionalFormatting',
  'extLst',
];

export async function xlsxText(
  bytes: Uint8Array,
  entries: readonly ZipEntry[],
  sink: TextSink,
): Promise<Extraction> {
  const bounded = await boundedWorkbook(bytes, entries);
  const workbook = new ExcelJS.Workbook();
  const data = Buffer.from(bounded.data.buffer, bounded.data.byteOffset, bounded.data.byteLength);
  // exceljs declares a Buffer of its own (for browsers) that no Node Buffer matches.
  type LoadInput = Parameters<typeof workbook.xlsx.load>[0];
  await workbook.xlsx.load(data as unknown as LoadInput, { ignoreNodes: IGNORED_NODES });
  const sheets = workbook.worksheets;
  const warnings: string[] = [];
  for (const sheet of sheets) {
    const hidden = sheet.state === 'visible' ? '' : ' (hidden)';
    if (!sink.line(`--- sheet "${sheet.name}"${hidden} ---`)) break;
    const cut = bounded.cuts.get(sheet.name);
    if (!sheetLines(sheet, sink, warnings, cut !== undefined)) break;
    if (cut !== undefined) {
      warnings.push(
        `sheet "${sheet.name}" is too large to show whole: only its first ${cut.rows} rows with ` +
          `values are shown${cut.lastRow === undefined ? '' : ` (it reaches row ${cut.lastRow})`}`,
      );
    }
  }
  return { text: sink.text(), truncated: sink.truncated, parts: sheets.length, warnings };
}

interface SheetCut {
  /** Rows with values kept. */
  readonly rows: number;
  /** The last row of the sheet's used range, as the sheet declares it. */
  readonly lastRow: number | undefined;
}

/** The package with its large sheets cut to their head, and which sheets (by name) were cut. */
async function boundedWorkbook(
  bytes: Uint8Array,
  entries: readonly ZipEntry[],
): Promise<{ data: Uint8Array; cuts: Map<string, SheetCut> }> {
  const large = entries.filter(
    (entry) => WORKSHEET_PART.test(entry.name) && entry.unpackedSize > SHEET_XML_BUDGET,
  );
  const cuts = new Map<string, SheetCut>();
  if (large.length === 0) return { data: bytes, cuts };
  const zip = await JSZip.loadAsync(bytes);
  const names = await sheetNamesByPart(zip);
  for (const entry of large) {
    const head = await sheetHead(entry, entryData(bytes, entry), names.get(entry.name) ?? entry.name);
    if (head === undefined) continue;
    zip.file(entry.name, head.xml);
    cuts.set(names.get(entry.name) ?? entry.name, head);
  }
  // Stored, not deflated: exceljs unpacks it again at once, inside this worker.
  return { data: await zip.generateAsync({ type: 'uint8array', compression: 'STORE' }), cuts };
}

/** Worksheet part path → sheet name, from the workbook part and its relationships. */
async function sheetNamesByPart(zip: JSZip): Promise<Map<string, string>> {
  const workbook = (await zip.file('xl/workbook.xml')?.async('string')) ?? '';
  const rels = relationships(
    (await zip.file(relsPath('xl/workbook.xml'))?.async('string')) ?? '',
    'xl/workbook.xml',
  );
  const names = new Map<string, string>();
  for (const token of scanMarkup(workbook)) {
    if (token.type !== 'open' || token.name !== 'sheet') continue;
    const name = attribute(token.attributes, 'name');
    for (const [key, id] of attributeEntries(token.attributes)) {
      const part = key.endsWith(':id') ? rels.get(id)?.path : undefined;
      if (part !== undefined && name !== undefined) names.set(part, name);
    }
  }
  return names;
}

/**
 * The sheet's XML up to its last whole row within the budget (or the row cap), closed again;
 * undefined when the whole sheet fits. Only that head is ever inflated.
 */
async function sheetHead(
  entry: ZipEntry,
  stored: Uint8Array,
  sheetName: string,
): Promise<(SheetCut & { xml: Buffer }) | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let rows = 0;
  let lastRowEnd = -1;
  let carry = Buffer.alloc(0);
  let cut = false;
  const source: AsyncIterable<Buffer> | Iterable<Buffer> =
    entry.method === 8
      ? createInflateRaw({ chunkSize: 64 * 1024 }).end(stored)
      : [Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength)];
  for await (const chunk of source) {
    // `</row>` may straddle two chunks: search the previous chunk's tail with this one.
    const window = Buffer.concat([carry, chunk]);
    const base = size - carry.length;
    for (let at = window.indexOf(ROW_END); at !== -1; at = window.indexOf(ROW_END, at + 1)) {
      if (base + at + ROW_END.length > SHEET_XML_BUDGET || rows >= MAX_ROWS_PER_SHEET) {
        cut = true;
        break;
      }
      rows++;
      lastRowEnd = base + at + ROW_END.length;
    }
    chunks.push(chunk);
    size += chunk.length;
    carry = window.subarray(Math.max(0, window.length - (ROW_END.length - 1)));
    if (cut || size > SHEET_XML_BUDGET) {
      cut = true;
      break;
    }
  }
  if (!cut) return undefined;
  if (lastRowEnd === -1) {
    throw new Refusal(
      'TOO_LARGE',
      `the first row of sheet "${sheetName}" is larger than ${formatBytes(SHEET_XML_BUDGET)}`,
    );
  }
  const head = Buffer.concat(chunks);
  const dimension = /<dimension\s+ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"/.exec(
    head.toString('latin1', 0, Math.min(head.length, 64 * 1024)),
  );
  return {
    xml: Buffer.concat([head.subarray(0, lastRowEnd), SHEET_END]),
    rows,
    lastRow: dimension?.[1] === undefined ? undefined : Number(dimension[1]),
  };
}

/** Writes a sheet's rows from A1 on, so a line's place gives the row; false once the sink is full. */
function sheetLines(sheet: ExcelJS.Worksheet, sink: TextSink, warnings: string[], wasCut: boolean): boolean {
  const lastRow = sheet.rowCount;
  let emptyRows = 0;
  let shownRows = 0;
  let wideRows = false;
  for (let number = 1; number <= Math.min(lastRow, MAX_ROWS_PER_SHEET); number++) {
    const values: string[] = [];
    sheet.findRow(number)?.eachCell({ includeEmpty: false }, (cell, column) => {
      if (column > MAX_COLUMNS) {
        wideRows = true;
        return;
      }
      values[column - 1] = cellText(cell);
    });
    while (values.length > 0 && !values.at(-1)) values.pop();
    if (values.length === 0) {
      emptyRows++;
      continue;
    }
    // Empty rows are written only once a row with values follows: trailing ones are dropped.
    for (; emptyRows > 0; emptyRows--) if (!sink.line('')) return false;
    if (!sink.line(Array.from(values, (value) => value ?? '').join('\t'))) return false;
    shownRows++;
  }
  const unshown = lastRow > MAX_ROWS_PER_SHEET && !wasCut ? sheet.actualRowCount - shownRows : 0;
  if (unshown > 0) {
    warnings.push(
      `sheet "${sheet.name}": only rows 1-${MAX_ROWS_PER_SHEET} are shown; ${unshown} more rows have values`,
    );
  }
  if (wideRows) {
    warnings.push(`sheet "${sheet.name}" has columns past ${MAX_COLUMNS}; they are not shown`);
  }
  return true;
}

/** What a cell shows: a formula as its cached result followed by ` [=FORMULA]`. */
export function cellText(cell: ExcelJS.Cell): string {
  // A merged range shows its value once, in its top-left cell.
  if (cell.isMerged && cell.master !== cell) return '';
  if (cell.type === ExcelJS.ValueType.Formula) {
    const value = cell.value as ExcelJS.CellFormulaValue | ExcelJS.CellSharedFormulaValue;
    const result = valueText(value.result);
    const formula = `[=${oneLine(cell.formula)}]`;
    return result === '' ? formula : `${result} ${formula}`;
  }
  return valueText(cell.value);
}

export function valueText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'string') return oneLine(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if ('error' in value) return value.error;
  if ('richText' in value) return oneLine(value.richText.map((run) => run.text).join(''));
  if ('hyperlink' in value) {
    const text = oneLine(valueText(value.text));
    return text === '' || text === value.hyperlink ? value.hyperlink : `${text} (${value.hyperlink})`;
  }
  if ('result' in value) return valueText(value.result);
  return '';
}

/** Excel keeps 15 significant digits; more would show binary noise (0.1 + 0.2). */
export function numberText(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(15)));
}

/**
 * A date as ISO 8601 without a zone (Excel dates have none): the day alone at midnight, the
 * time alone on Excel's day zero.
 */
export function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.endsWith('.000Z') ? iso.slice(11, 19) : iso.slice(11, 23);
  if (time === '00:00:00') return day;
  return day === '1899-12-30' ? time : `${day}T${time}`;
}

/** Tabs and line breaks would break the row-per-line layout. */
function oneLine(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}
