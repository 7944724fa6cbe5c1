// A text-extraction worker for the pool (extract-pool.ts). Files come from untrusted sources and
// parsers are large, so they run here, under the heap limits the pool set, where a file that
// loops or eats memory costs only this thread. One job at a time; parsers load on first use.
import { parentPort } from 'node:worker_threads';
import {
  Refusal,
  shortReason,
  type ExtractRequest,
  type Extraction,
  type FromWorker,
  type RefusalCode,
} from './extract-protocol.js';
import { expectMainPart } from './opc-package.js';
import { TextSink } from './text-sink.js';
import { inspectZip, verifyUnpackedSizes } from './zip-inspect.js';

const port = parentPort;
if (port === null) throw new Error('extract.worker.js runs as a worker thread');

port.on('message', (request: ExtractRequest) => {
  void answer(request).then((reply) => port.postMessage(reply));
});
port.postMessage({ type: 'ready' } satisfies FromWorker);

async function answer(request: ExtractRequest): Promise<FromWorker> {
  try {
    return { type: 'done', id: request.id, ...(await extract(request)) };
  } catch (error) {
    return { type: 'refused', id: request.id, ...refusal(error) };
  }
}

async function extract({ kind, bytes, maxChars }: ExtractRequest): Promise<Extraction> {
  const sink = new TextSink(maxChars);
  if (kind === 'pdf') return (await import('./pdf-text.js')).pdfText(bytes, sink);
  const entries = inspectZip(bytes);
  await verifyUnpackedSizes(bytes, entries);
  expectMainPart(bytes, entries, kind);
  switch (kind) {
    case 'docx':
      return (await import('./docx-text.js')).docxText(bytes, sink);
    case 'xlsx':
      return (await import('./xlsx-text.js')).xlsxText(bytes, entries, sink);
    case 'pptx':
      return (await import('./pptx-text.js')).pptxText(bytes, sink);
  }
}

/** Allocation failures a parser survives (V8 throws these instead of dying). */
const OUT_OF_MEMORY = /allocation failed|Invalid (string|array|typed array) length|Array buffer/i;

function refusal(error: unknown): { code: RefusalCode; reason: string } {
  if (error instanceof Refusal) return { code: error.code, reason: error.reason };
  if (error instanceof RangeError && OUT_OF_MEMORY.test(error.message)) {
    return { code: 'TOO_LARGE', reason: 'reading it needs more memory than the extractor may use' };
  }
  return { code: 'NOT_TEXT', reason: shortReason(error) || 'the parser failed without a reason' };
}
