import { describe, expect, it } from 'vitest';
import { htmlLines } from './docx-text.js';

const lines = (html: string) => [...htmlLines(html)];

describe('Word document lines', () => {
  it('writes paragraphs as lines and headings with # marks', () => {
    expect(lines('<h1>Title</h1><p>Body <strong>bold</strong> text.</p><h3>Sub</h3><p></p>')).toEqual([
      '# Title',
      'Body bold text.',
      '### Sub',
    ]);
  });

  it('writes list items with their marker, nested lists indented, ordered ones numbered', () => {
    expect(
      lines('<ul><li>one<ul><li>inner</li></ul></li><li>two</li></ul><ol><li>first</li><li>second</li></ol>'),
    ).toEqual(['- one', '  - inner', '- two', '1. first', '2. second']);
  });

  it('writes table rows as tab-separated cells, a cell’s paragraphs joined by spaces', () => {
    expect(
      lines(
        '<table><tr><th><p>Name</p></th><th><p>Notes</p></th></tr>' +
          '<tr><td><p>Ann</p></td><td><p>line one</p><p>line two</p></td></tr>' +
          '<tr><td></td><td></td></tr></table><p>after</p>',
      ),
    ).toEqual(['Name\tNotes', 'Ann\tline one line two', 'after']);
  });

  it('folds a table inside a cell into that cell, its rows joined by |', () => {
    expect(
      lines(
        '<table><tr><td><p>outer</p></td><td><table><tr><td><p>a</p></td><td><p>b</p></td></tr>' +
          '<tr><td><p>c</p></td><td><p>d</p></td></tr></table></td></tr></table>',
      ),
    ).toEqual(['outer\ta | b c | d']);
  });

  it('breaks lines at <br>, keeps image alt text and decodes entities', () => {
    expect(lines('<p>one<br />two</p><p><img src="" alt="A chart" /> Fish &amp; &lt;chips&gt;</p>')).toEqual([
      'one',
      'two',
      '[image: A chart] Fish & <chips>',
    ]);
  });

  it('is lazy: a reader that stops early stops the scan', () => {
    const iterator = htmlLines('<p>one</p><p>two</p>');
    expect(iterator.next().value).toBe('one');
  });
});
