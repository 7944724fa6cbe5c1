import { StewardError } from '@steward/contracts';
import type { TaskAccess } from '../access/fs-access.js';
import { readCapped, BINARY_SNIFF_BYTES } from '../containment/read-capped.js';
import type { OpenedPath } from '../containment/safe-open.js';
import { extractableKind, extractText, type ExtractableKind } from '../extract/extract-text.js';
import { withOpened } from './opened.js';

export const READ_LIMITS = {
  /** Lines returned when the model does not say. */
  defaultLines: 2_000,
  /** A longer line is cut, with a marker: minified files would otherwise flood the context. */
  maxLineChars: 2_000,
  /** Characters of lines one reply carries at most; the rest is left for the next offset. */
  maxOutputChars: 256 * 1024,
  /** Office and PDF files are parsed whole: bigger ones are refused. */
  maxDocumentBytes: 64 * 1024 * 1024,
  maxExtractedChars: 4 * 1024 * 1024,
  extractTimeoutMs: 20_000,
  /** Scanning far into a huge text file stops here; grep finds lines faster. */
  scanTimeoutMs: 20_000,
} as const;

const CHUNK_BYTES = 256 * 1024;

export interface ReadFileRequest {
  readonly path: string;
  readonly offset?: number | undefined;
  readonly limit?: number | undefined;
}

export interface ReadFileResult {
  path: string;
  kind: 'text' | ExtractableKind;
  content: string;
  offset: number;
  lines: number;
  totalLines?: number;
  hasMore: boolean;
  longLinesCut: number;
  bytes: number;
  warnings: string[];
  output: string;
}

/** Collects the requested slice of lines from text arriving in pieces. */
class LineWindow {
  readonly lines: string[] = [];
  seen = 0;
  chars = 0;
  cut = 0;
  full = false;
  private partial = '';

  constructor(
    private readonly offset: number,
    private readonly limit: number,
  ) {}

  /** Feeds text; false once the window is full and one more line proved there is more. */
  push(text: string): boolean {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) {
        this.partial += text.slice(start);
        return !this.full;
      }
      const line = this.partial + text.slice(start, newline);
      this.partial = '';
      start = newline + 1;
      if (!this.take(line)) return false;
    }
  }

  /** Forgets everything, to read the text again from its start. */
  reset(): void {
    this.lines.length = 0;
    this.seen = 0;
    this.chars = 0;
    this.cut = 0;
    this.full = false;
    this.partial = '';
  }

  /** The text ended: the last line, if it had no newline, counts too. */
  end(): void {
    if (this.partial !== '') this.take(this.partial);
    this.partial = '';
  }

  private take(raw: string): boolean {
    if (this.full) return false;
    this.seen += 1;
    if (this.seen <= this.offset) return true;
    if (this.lines.length >= this.limit || this.chars >= READ_LIMITS.maxOutputChars) {
      this.full = true;
      return false;
    }
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > READ_LIMITS.maxLineChars) {
      line = `${line.slice(0, READ_LIMITS.maxLineChars)}… [line cut at ${READ_LIMITS.maxLineChars} characters]`;
      this.cut += 1;
    }
    this.lines.push(line);
    this.chars += line.length + 1;
    return true;
  }
}

export async function readFileTool(access: TaskAccess, request: ReadFileRequest): Promise<ReadFileResult> {
  const offset = request.offset ?? 0;
  const limit = request.limit ?? READ_LIMITS.defaultLines;
  return withOpened(access, request.path, { kind: 'read-file' }, async (opened) => {
    const kind = extractableKind(opened.name);
    const window = new LineWindow(offset, limit);
    const warnings: string[] = [];
    let reachedEnd: boolean;
    let resultKind: ReadFileResult['kind'] = 'text';
    if (kind === undefined) {
      reachedEnd = await readTextInto(opened, window, warnings);
    } else {
      resultKind = kind;
      const bytes = await readCapped(opened, { maxBytes: READ_LIMITS.maxDocumentBytes });
      const extracted = await extractText(bytes, kind, {
        maxChars: READ_LIMITS.maxExtractedChars,
        timeoutMs: READ_LIMITS.extractTimeoutMs,
        name: opened.name,
      });
      warnings.push(...extracted.warnings);
      if (extracted.truncated) {
        warnings.push(`only the first ${READ_LIMITS.maxExtractedChars} characters of text were extracted`);
      }
      window.push(extracted.text);
      window.end();
      reachedEnd = !window.full;
    }
    if (reachedEnd) window.end();
    return shape(opened, resultKind, window, reachedEnd, offset, warnings);
  });
}

/** Streams the file through the window; true when it was read to the end. */
async function readTextInto(opened: OpenedPath, window: LineWindow, warnings: string[]): Promise<boolean> {
  const handle = opened.fd;
  if (handle === undefined)
    throw new StewardError('INTERNAL', `${opened.realPath} was opened without a descriptor`);
  const started = Date.now();
  // A small file is read in one call into a buffer its size (plus one byte to see the end).
  const chunkBytes = Math.min(CHUNK_BYTES, Math.max(4096, (opened.stats?.size ?? 0) + 1));
  const buffer = Buffer.allocUnsafe(chunkBytes);
  let decoder = new TextDecoder('utf-8', { fatal: true });
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
    if (position === 0 && buffer.subarray(0, Math.min(bytesRead, BINARY_SNIFF_BYTES)).includes(0)) {
      throw notText(opened);
    }
    if (bytesRead === 0) {
      window.push(decoder.decode());
      return true;
    }
    let text: string;
    try {
      text = decoder.decode(buffer.subarray(0, bytesRead), { stream: true });
    } catch {
      if (decoder.encoding !== 'utf-8') throw notText(opened);
      // Not UTF-8: start over as Windows-1252, what most older text files and CSV exports are.
      warnings.push('the file is not valid UTF-8; it was read as Windows-1252');
      decoder = new TextDecoder('windows-1252');
      window.reset();
      position = 0;
      continue;
    }
    position += bytesRead;
    if (!window.push(text)) return false;
    if (Date.now() - started > READ_LIMITS.scanTimeoutMs) {
      throw new StewardError(
        'TIMEOUT',
        `reading ${opened.realPath} up to line ${window.seen} took too long; use grep to find lines in a file this large`,
      );
    }
  }
}

function notText(opened: OpenedPath): StewardError {
  return new StewardError(
    'NOT_TEXT',
    `${opened.realPath} is a binary file with no text form; inspect it with run_command if you must`,
  );
}

function shape(
  opened: OpenedPath,
  kind: ReadFileResult['kind'],
  window: LineWindow,
  reachedEnd: boolean,
  offset: number,
  warnings: string[],
): ReadFileResult {
  const lines = window.lines;
  const hasMore = !reachedEnd || window.seen > offset + lines.length;
  const totalLines = reachedEnd ? window.seen : undefined;
  const width = String(offset + lines.length).length;
  const numbered = lines.map(
    (line, index) => `${String(offset + index + 1).padStart(Math.max(width, 6))}\t${line}`,
  );
  const notes: string[] = [];
  if (lines.length === 0) {
    notes.push(
      window.seen === 0
        ? '(the file is empty)'
        : `(the file has ${window.seen} lines; offset ${offset} is past the end)`,
    );
  }
  if (hasMore) {
    notes.push(
      `(more lines follow${totalLines === undefined ? '' : ` — ${totalLines} in all`}; read again with offset ${offset + lines.length})`,
    );
  }
  for (const warning of warnings) notes.push(`(note: ${warning})`);
  return {
    path: opened.realPath,
    kind,
    content: lines.join('\n'),
    offset,
    lines: lines.length,
    ...(totalLines === undefined ? {} : { totalLines }),
    hasMore,
    longLinesCut: window.cut,
    bytes: opened.stats?.size ?? 0,
    warnings,
    output: [...numbered, ...notes].join('\n'),
  };
}
