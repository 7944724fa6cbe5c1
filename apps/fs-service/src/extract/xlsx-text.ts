import ExcelJS from 'exceljs';
import { Refusal, type Extraction } from './extract-protocol.js';
import type { TextSink } from './text-sink.js';
import type { ZipEntry } from './zip-inspect.js';

/** Rows shown per sheet: past this a sheet is data to query, not text to read. */
export const MAX_ROWS_PER_SHEET = 10_000;
export const MAX_COLUMNS = 256;

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
  if (!entries.some((entry) => entry.name === 'xl/workbook.xml')) {
    throw new Refusal('NOT_TEXT', 'it has no workbook part (xl/workbook.xml)');
  }
  const workbook = new ExcelJS.Workbook();
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // exceljs declares a Buffer of its own (for browsers) that no Node Buffer matches.
  type LoadInput = Parameters<typeof workbook.xlsx.load>[0];
  await workbook.xlsx.load(data as unknown as LoadInput, { ignoreNodes: IGNORED_NODES });
  const sheets = workbook.worksheets;
  const warnings: string[] = [];
  for (const sheet of sheets) {
    const hidden = sheet.state === 'visible' ? '' : ' (hidden)';
    if (!sink.line(`--- sheet "${sheet.name}"${hidden} ---`)) break;
    if (!sheetLines(sheet, sink, warnings)) break;
  }
  return { text: sink.text(), truncated: sink.truncated, parts: sheets.length, warnings };
}

/** Writes a sheet's rows from A1 on, so a line's place gives the row; false once the sink is full. */
function sheetLines(sheet: ExcelJS.Worksheet, sink: TextSink, warnings: string[]): boolean {
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
  const unshown = lastRow > MAX_ROWS_PER_SHEET ? sheet.actualRowCount - shownRows : 0;
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
