// Office files are Open Packaging Conventions packages: parts (zip entries) that name each other
// through relationship parts. These helpers follow those names.
import { constants, inflateRawSync } from 'node:zlib';
import { KIND_DESCRIPTIONS, Refusal, type ExtractableKind } from './extract-protocol.js';
import { attribute, scanMarkup } from './markup-scan.js';
import { entryData, type ZipEntry } from './zip-inspect.js';

export type OfficeKind = Exclude<ExtractableKind, 'pdf'>;

/** The root element of each kind's main part, and where that part conventionally lives. */
const MAIN_PARTS: Readonly<Record<OfficeKind, { readonly root: string; readonly path: string }>> = {
  docx: { root: 'document', path: 'word/document.xml' },
  xlsx: { root: 'workbook', path: 'xl/workbook.xml' },
  pptx: { root: 'presentation', path: 'ppt/presentation.xml' },
};

/** Enough of a part to see its root element past the XML declaration and comments. */
const HEAD_BYTES = 4096;
const OFFICE_DOCUMENT = /\/officeDocument$/;

/**
 * Refuses (NOT_TEXT) a package whose main part is not of the kind its name says, e.g. a
 * presentation named .docx, which a parser would otherwise read as an empty document.
 */
export function expectMainPart(bytes: Uint8Array, entries: readonly ZipEntry[], kind: OfficeKind): void {
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const packageRels = byName.get('_rels/.rels');
  const main =
    (packageRels === undefined
      ? undefined
      : [...relationships(partHead(bytes, packageRels, 64 * 1024), '').values()].find((rel) =>
          OFFICE_DOCUMENT.test(rel.type),
        )?.path) ?? MAIN_PARTS[kind].path;
  const entry = byName.get(main);
  if (entry === undefined) throw new Refusal('NOT_TEXT', `it has no main part (${main})`);
  const root = rootElement(partHead(bytes, entry, HEAD_BYTES));
  if (root === MAIN_PARTS[kind].root) return;
  const actual = (Object.keys(MAIN_PARTS) as OfficeKind[]).find((other) => MAIN_PARTS[other].root === root);
  throw new Refusal(
    'NOT_TEXT',
    actual === undefined
      ? `its main part (${main}) is not ${KIND_DESCRIPTIONS[kind]}`
      : `it is ${KIND_DESCRIPTIONS[actual]}, not ${KIND_DESCRIPTIONS[kind]}`,
  );
}

/** The start of a part as text, unpacking no more than needed. */
function partHead(bytes: Uint8Array, entry: ZipEntry, length: number): string {
  const stored = entryData(bytes, entry);
  const head =
    entry.method === 0
      ? stored.subarray(0, length)
      : // A cut deflate stream inflates as far as it goes when flushed, instead of failing.
        inflateRawSync(stored.subarray(0, length), { finishFlush: constants.Z_SYNC_FLUSH });
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8');
}

function rootElement(xml: string): string | undefined {
  for (const token of scanMarkup(xml)) if (token.type === 'open') return token.name;
  return undefined;
}

export interface Relationship {
  readonly type: string;
  /** The target as a path inside the package. */
  readonly path: string;
}

/** A part's relationships by id; `from` is the part they belong to ('' for the package). */
export function relationships(xml: string, from: string): Map<string, Relationship> {
  const found = new Map<string, Relationship>();
  for (const token of scanMarkup(xml)) {
    if (token.type !== 'open' || token.name !== 'Relationship') continue;
    const id = attribute(token.attributes, 'Id');
    const target = attribute(token.attributes, 'Target');
    if (id === undefined || target === undefined) continue;
    if (attribute(token.attributes, 'TargetMode') === 'External') continue;
    found.set(id, {
      type: attribute(token.attributes, 'Type') ?? '',
      path: resolvePart(from, target),
    });
  }
  return found;
}

/** Resolves a relationship target against the folder of the part that names it. */
export function resolvePart(from: string, target: string): string {
  const segments = target.startsWith('/') ? [] : from.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '..') segments.pop();
    else if (segment !== '.' && segment !== '') segments.push(segment);
  }
  return segments.join('/');
}

/** Where a part's relationships are kept: `a/b.xml` → `a/_rels/b.xml.rels`. */
export function relsPath(part: string): string {
  const slash = part.lastIndexOf('/');
  return `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
}
