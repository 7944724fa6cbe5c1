import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { Refusal } from './extract-protocol.js';
import { expectMainPart, relationships, relsPath, resolvePart, type OfficeKind } from './opc-package.js';
import { inspectZip } from './zip-inspect.js';

describe('package parts', () => {
  it('resolves relationship targets against the naming part’s folder', () => {
    expect(resolvePart('ppt/presentation.xml', 'slides/slide1.xml')).toBe('ppt/slides/slide1.xml');
    expect(resolvePart('ppt/slides/slide1.xml', '../notesSlides/notesSlide1.xml')).toBe(
      'ppt/notesSlides/notesSlide1.xml',
    );
    expect(resolvePart('ppt/slides/slide1.xml', '/ppt/media/x.png')).toBe('ppt/media/x.png');
    expect(resolvePart('', 'ppt/presentation.xml')).toBe('ppt/presentation.xml');
    expect(resolvePart('a.xml', '../../../etc/passwd')).toBe('etc/passwd');
  });

  it('names the relationships part of a part', () => {
    expect(relsPath('ppt/slides/slide1.xml')).toBe('ppt/slides/_rels/slide1.xml.rels');
    expect(relsPath('ppt/presentation.xml')).toBe('ppt/_rels/presentation.xml.rels');
  });

  it('reads relationships by id and leaves out external targets', () => {
    const found = relationships(
      '<Relationships><Relationship Id="rId1" Type="x/slide" Target="slides/slide1.xml"/>' +
        '<Relationship Id="rId2" Type="x/hyperlink" Target="https://example.com" TargetMode="External"/>' +
        '</Relationships>',
      'ppt/presentation.xml',
    );
    expect([...found]).toEqual([['rId1', { type: 'x/slide', path: 'ppt/slides/slide1.xml' }]]);
  });
});

describe('main part check', () => {
  const RELS =
    '<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/' +
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>';

  async function officePackage(files: Record<string, string>): Promise<Uint8Array> {
    const zip = new JSZip();
    for (const [name, data] of Object.entries(files)) zip.file(name, data, { createFolders: false });
    return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
  }

  function check(bytes: Uint8Array, kind: OfficeKind): string | undefined {
    try {
      expectMainPart(bytes, inspectZip(bytes), kind);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(Refusal);
      return (error as Refusal).reason;
    }
  }

  it('accepts a package whose main part, found through its relationships, is of the named kind', async () => {
    const docx = await officePackage({
      '_rels/.rels': RELS,
      'word/document.xml': '<?xml version="1.0"?><!-- x --><w:document xmlns:w="w"><w:body/></w:document>',
    });
    expect(check(docx, 'docx')).toBeUndefined();
  });

  it('says what a package really is when its name names another kind', async () => {
    const docx = await officePackage({ '_rels/.rels': RELS, 'word/document.xml': '<w:document/>' });
    expect(check(docx, 'pptx')).toBe('it is a Word document, not a PowerPoint presentation');
    expect(check(docx, 'xlsx')).toBe('it is a Word document, not an Excel workbook');
  });

  it('refuses a package without the main part, or with a main part of no known kind', async () => {
    expect(check(await officePackage({ 'a.txt': 'hello' }), 'xlsx')).toBe(
      'it has no main part (xl/workbook.xml)',
    );
    expect(check(await officePackage({ 'ppt/presentation.xml': '<html/>' }), 'pptx')).toBe(
      'its main part (ppt/presentation.xml) is not a PowerPoint presentation',
    );
  });
});
