// What the extractor pool (extract-pool.ts) and its worker threads (extract.worker.ts) say to
// each other. Everything here crosses a thread boundary by structured clone.

export type ExtractableKind = 'pdf' | 'docx' | 'xlsx' | 'pptx';

/** How messages name each kind: "… could not be read as a Word document". */
export const KIND_DESCRIPTIONS: Readonly<Record<ExtractableKind, string>> = {
  pdf: 'a PDF document',
  docx: 'a Word document',
  xlsx: 'an Excel workbook',
  pptx: 'a PowerPoint presentation',
};

/** Why a file has no text to give: it is not what its name says, or it is too big to unpack. */
export type RefusalCode = 'NOT_TEXT' | 'TOO_LARGE';

/** A file refused for a reason a reader can act on; `reason` completes "… could not be read …: ". */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'Refusal';
  }
}

/** What one format's extractor found. */
export interface Extraction {
  readonly text: string;
  readonly truncated: boolean;
  readonly parts: number;
  readonly warnings: string[];
}

export interface ExtractRequest {
  readonly type: 'extract';
  readonly id: number;
  readonly kind: ExtractableKind;
  /** Moved to the worker (its buffer is transferred), not copied. */
  readonly bytes: Uint8Array;
  readonly maxChars: number;
}

export type FromWorker =
  /** The worker's own code loaded: a later crash is the file's doing, not a broken install. */
  | { readonly type: 'ready' }
  | ({ readonly type: 'done'; readonly id: number } & Extraction)
  | {
      readonly type: 'refused';
      readonly id: number;
      readonly code: RefusalCode;
      readonly reason: string;
    };

/** An error's first line, bounded: parsers' messages can be long or quote the file. */
export function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split('\n')[0] ?? '').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
