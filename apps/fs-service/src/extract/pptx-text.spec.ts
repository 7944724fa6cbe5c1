import { describe, expect, it } from 'vitest';
import { drawingLines, slideOrder } from './pptx-text.js';

const A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"';
const shape = (placeholder: string | undefined, body: string) =>
  `<p:sp><p:nvSpPr><p:nvPr>${placeholder === undefined ? '' : `<p:ph type="${placeholder}"/>`}</p:nvPr>` +
  `</p:nvSpPr><p:txBody>${body}</p:txBody></p:sp>`;
const paragraph = (...runs: string[]) =>
  `<a:p>${runs.map((run) => `<a:r><a:t>${run}</a:t></a:r>`).join('')}</a:p>`;
const slide = (content: string) => `<p:sld ${A}><p:cSld><p:spTree>${content}</p:spTree></p:cSld></p:sld>`;

describe('slide text', () => {
  it('writes one line per paragraph, runs joined, <a:br/> breaking a paragraph', () => {
    const xml = slide(
      shape(
        undefined,
        paragraph('Hello ', 'world') +
          '<a:p><a:r><a:t>one</a:t></a:r><a:br/><a:r><a:t>two</a:t></a:r></a:p><a:p/>',
      ),
    );
    expect([...drawingLines(xml, () => true)]).toEqual(['Hello world', 'one', 'two']);
  });

  it('keeps only the shapes whose placeholder type is accepted', () => {
    const xml = slide(
      shape('sldImg', '') + shape('body', paragraph('the notes')) + shape('sldNum', paragraph('3')),
    );
    expect([...drawingLines(xml, (placeholder) => placeholder === 'body')]).toEqual(['the notes']);
    expect([...drawingLines(xml, () => true)]).toEqual(['the notes', '3']);
  });

  it('writes table rows as tab-separated cells', () => {
    const cell = (text: string) => `<a:tc><a:txBody>${paragraph(text)}</a:txBody></a:tc>`;
    const xml = slide(
      `<p:graphicFrame><a:graphic><a:graphicData><a:tbl><a:tr>${cell('A')}${cell('B')}</a:tr>` +
        `<a:tr>${cell('1')}${cell('2')}</a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>`,
    );
    expect([...drawingLines(xml, () => true)]).toEqual(['A\tB', '1\t2']);
  });

  it('lists slide relationship ids in presentation order, whatever the prefix', () => {
    expect(
      slideOrder(
        '<p:presentation><p:sldIdLst><p:sldId id="257" r:id="rId7"/><p:sldId id="256" rel:id="rId2"/>' +
          '</p:sldIdLst></p:presentation>',
      ),
    ).toEqual(['rId7', 'rId2']);
  });
});
