import { StewardError } from '@steward/contracts';
import { ExtractorPool, type JobFailure } from './extract-pool.js';
import { KIND_DESCRIPTIONS, Refusal, type ExtractableKind, type RefusalCode } from './extract-protocol.js';
import { inspectZip } from './zip-inspect.js';

export type { ExtractableKind } from './extract-protocol.js';

export interface ExtractOptions {
  /** Characters of text kept; the rest of the file is not read when it can be skipped. */
  readonly maxChars: number;
  /** From the call to the answer, waiting for a free worker included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** The file's name, as error messages should call it ("the file" when not given). */
  readonly name?: string;
}

export interface ExtractedText {
  readonly kind: ExtractableKind;
  /** Lines joined by `\n`, at most `maxChars` characters. */
  readonly text: string;
  readonly truncated: boolean;
  /** pages for pdf, sheets for xlsx, slides for pptx, 1 for docx */
  readonly parts: number;
  readonly warnings: readonly string[];
}

const KINDS: Readonly<Record<string, ExtractableKind>> = {
  pdf: 'pdf',
  docx: 'docx',
  xlsx: 'xlsx',
  pptx: 'pptx',
};

/** Heap a worker may use: far more than any real document needs, far less than the service has. */
const WORKER_HEAP_MB = 256;
/** Two workers: one slow file does not hold up every other read. */
const POOL_SIZE = 2;
/** `%PDF-` may follow some junk, which readers (pdf.js too) accept within the first kilobyte. */
const PDF_HEADER_WINDOW = 1024;

/** The extractable kind a file name's extension names (case-insensitive), if any. */
export function extractableKind(fileName: string): ExtractableKind | undefined {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? undefined : KINDS[base.slice(dot + 1).toLowerCase()];
}

/**
 * The text of an office document or PDF, laid out for reading line by line. Parsing runs in a
 * worker thread under a heap limit and `timeoutMs`; `bytes` are handed over (their buffer is
 * moved to the worker and left empty here when the view spans all of it).
 *
 * Fails with StewardError: NOT_TEXT (not a file of that kind, damaged, password-protected),
 * TOO_LARGE (zip bomb, or more memory than a worker may use), TIMEOUT, CANCELLED.
 */
export async function extractText(
  bytes: Uint8Array,
  kind: ExtractableKind,
  options: ExtractOptions,
): Promise<ExtractedText> {
  const name = options.name ?? 'the file';
  if (!Number.isInteger(options.maxChars) || options.maxChars < 1) {
    throw new StewardError('INVALID_INPUT', `maxChars must be a positive integer, not ${options.maxChars}`);
  }
  if (!(options.timeoutMs > 0)) {
    throw new StewardError('INVALID_INPUT', `timeoutMs must be positive, not ${options.timeoutMs}`);
  }
  if (options.signal?.aborted === true) throw cancelled(name, options.signal);
  try {
    precheck(bytes, kind);
  } catch (error) {
    if (error instanceof Refusal) throw refused(name, kind, error.code, error.reason);
    throw error;
  }
  const outcome = await extractorPool().run({
    kind,
    bytes,
    maxChars: options.maxChars,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  if (outcome.ok) return { kind, ...outcome.extraction };
  throw failed(outcome.failure, name, kind, options);
}

/**
 * What can be told without a parser: an empty file, a PDF without a header, a zip package the
 * limits refuse. Cheap (it reads headers and the zip directory only), so it runs before a worker
 * is woken; the worker checks the package again, and inflates it, before parsing.
 */
function precheck(bytes: Uint8Array, kind: ExtractableKind): void {
  if (bytes.byteLength === 0) throw new Refusal('NOT_TEXT', 'the file is empty');
  if (kind === 'pdf') {
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PDF_HEADER_WINDOW));
    if (!head.includes('%PDF-', 0, 'latin1')) throw new Refusal('NOT_TEXT', 'it has no PDF header');
    return;
  }
  inspectZip(bytes);
}

function refused(name: string, kind: ExtractableKind, code: RefusalCode, reason: string): StewardError {
  return code === 'TOO_LARGE'
    ? new StewardError('TOO_LARGE', `${name} is too large to read as text: ${reason}`)
    : new StewardError('NOT_TEXT', `${name} could not be read as ${KIND_DESCRIPTIONS[kind]}: ${reason}`);
}

function failed(
  failure: JobFailure,
  name: string,
  kind: ExtractableKind,
  options: ExtractOptions,
): StewardError {
  switch (failure.kind) {
    case 'refused':
      return refused(name, kind, failure.code, failure.reason);
    case 'timeout':
      // Not retryable: the same file takes as long again.
      return new StewardError(
        'TIMEOUT',
        `${name} could not be read as text within ${duration(options.timeoutMs)}`,
        { retryable: false },
      );
    case 'cancelled':
      return cancelled(name, options.signal);
    case 'out-of-memory':
      return new StewardError(
        'TOO_LARGE',
        `${name} is too large to read as text: it needs more than ${WORKER_HEAP_MB} MiB of memory`,
      );
    case 'crashed':
      return refused(name, kind, 'NOT_TEXT', failure.reason);
    case 'unavailable':
      return new StewardError('INTERNAL', `the text extractor could not start: ${failure.reason}`);
    case 'closed':
      return new StewardError('UNAVAILABLE', 'the text extractor is shutting down');
  }
}

function cancelled(name: string, signal: AbortSignal | undefined): StewardError {
  return new StewardError('CANCELLED', `reading ${name} as text was cancelled`, {
    cause: signal?.reason,
  });
}

function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}

let shared: ExtractorPool | undefined;

function extractorPool(): ExtractorPool {
  shared ??= new ExtractorPool(POOL_SIZE, workerUrl(), {
    maxOldGenerationSizeMb: WORKER_HEAP_MB,
    maxYoungGenerationSizeMb: 32,
  });
  return shared;
}

/**
 * The compiled worker beside this file. Run from TypeScript sources (vitest), this file has no
 * compiled sibling; the worker then comes from the app's build (`npx tsc -b apps/fs-service`),
 * since a worker thread cannot load TypeScript.
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/extract/extract.worker.js', here)
    : new URL('./extract.worker.js', here);
}

/** Terminates the extraction workers (service shutdown, tests); a later call starts new ones. */
export async function closeExtractors(): Promise<void> {
  await shared?.close();
}
