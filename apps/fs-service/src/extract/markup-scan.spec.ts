import { describe, expect, it } from 'vitest';
import { attribute, decodeEntities, scanMarkup, type MarkupToken } from './markup-scan.js';

const tokens = (source: string): MarkupToken[] => [...scanMarkup(source)];

describe('markup scanning', () => {
  it('yields open, close and text tokens with namespace prefixes dropped', () => {
    expect(tokens('<a:p><a:t>Hi</a:t><a:br/></a:p>')).toEqual([
      { type: 'open', name: 'p', attributes: '', selfClosing: false },
      { type: 'open', name: 't', attributes: '', selfClosing: false },
      { type: 'text', text: 'Hi' },
      { type: 'close', name: 't' },
      { type: 'open', name: 'br', attributes: '', selfClosing: true },
      { type: 'close', name: 'p' },
    ]);
  });

  it('keeps a > inside a quoted attribute value as part of the tag', () => {
    const [open, text] = tokens('<pic descr="a > b" id=\'1\'>after');
    expect(open).toMatchObject({ type: 'open', name: 'pic' });
    expect(attribute(open?.type === 'open' ? open.attributes : '', 'descr')).toBe('a > b');
    expect(attribute(open?.type === 'open' ? open.attributes : '', 'id')).toBe('1');
    expect(text).toEqual({ type: 'text', text: 'after' });
  });

  it('skips declarations, comments and processing instructions and keeps CDATA as text', () => {
    expect(tokens('<?xml version="1.0"?><!DOCTYPE x><!-- <t>no</t> --><t><![CDATA[a<b]]></t>')).toEqual([
      { type: 'open', name: 't', attributes: '', selfClosing: false },
      { type: 'text', text: 'a<b' },
      { type: 'close', name: 't' },
    ]);
  });

  it('ends the scan at an unterminated tag instead of searching on', () => {
    expect(tokens('<t>kept</t><t attr="never closed>')).toEqual([
      { type: 'open', name: 't', attributes: '', selfClosing: false },
      { type: 'text', text: 'kept' },
      { type: 'close', name: 't' },
    ]);
  });

  it('decodes named and numeric entities, and replaces invalid code points', () => {
    expect(decodeEntities('&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#65;&#x42;')).toBe(
      '<a> & "b" \'c\' AB',
    );
    expect(decodeEntities('&#xD800;&#0;')).toBe('\ufffd\ufffd');
    expect(decodeEntities('&unknown; & alone')).toBe('&unknown; & alone');
  });

  it('matches attributes on their full prefixed name', () => {
    expect(attribute(' id="256" r:id="rId2"', 'r:id')).toBe('rId2');
    expect(attribute(' id="256" r:id="rId2"', 'id')).toBe('256');
    expect(attribute(' id="256"', 'name')).toBeUndefined();
  });
});
