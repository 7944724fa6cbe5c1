import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown, safeHref } from './markdown.js';

const html = (text: string): string => renderToStaticMarkup(createElement(Markdown, { text }));
/** The rendered markup without the wrapper, for short expectations. */
const inner = (text: string): string => html(text).replace(/^<div class="md">|<\/div>$/g, '');

describe('the markdown renderer', () => {
  it('renders headings, paragraphs, lists, ordered lists and code blocks', () => {
    expect(inner('# Report\n\nTotals are **up** and *steady*.\n\n- alpha\n- beta')).toBe(
      '<h3>Report</h3><p>Totals are <strong>up</strong> and <em>steady</em>.</p>' +
        '<ul><li><span class="md-line">alpha</span></li><li><span class="md-line">beta</span></li></ul>',
    );
    expect(inner('3. three\n4. four')).toBe(
      '<ol start="3"><li><span class="md-line">three</span></li><li><span class="md-line">four</span></li></ol>',
    );
    expect(inner('```python\nprint("<b>")\n```')).toBe(
      '<pre class="md-code"><code>print(&quot;&lt;b&gt;&quot;)</code></pre>',
    );
    expect(inner('Run `ls -la` now')).toBe('<p>Run <code>ls -la</code> now</p>');
    expect(inner('###### six\n## two')).toBe('<h6>six</h6><h4>two</h4>');
  });

  it('nests lists by indentation and keeps loose items as paragraphs', () => {
    expect(inner('- a\n  - a1\n  - a2\n- b')).toBe(
      '<ul><li><span class="md-line">a</span><ul><li><span class="md-line">a1</span></li>' +
        '<li><span class="md-line">a2</span></li></ul></li><li><span class="md-line">b</span></li></ul>',
    );
    expect(inner('1. one\n\n2. two')).toBe('<ol><li><p>one</p></li><li><p>two</p></li></ol>');
    // Only a list that starts at 1 breaks into a paragraph.
    expect(inner('It happened in\n1990. was a year')).toBe('<p>It happened in\n1990. was a year</p>');
  });

  it('renders tables, quotes and rules', () => {
    expect(inner('| name | total |\n| :--- | ---: |\n| North | 12 |\n| South |')).toBe(
      '<div class="md-table"><table><thead><tr><th class="md-left">name</th><th class="md-right">total</th></tr></thead>' +
        '<tbody><tr><td class="md-left">North</td><td class="md-right">12</td></tr>' +
        '<tr><td class="md-left">South</td><td class="md-right"></td></tr></tbody></table></div>',
    );
    expect(inner('> quoted *text*\n\n---')).toBe('<blockquote><p>quoted <em>text</em></p></blockquote><hr/>');
  });

  it('opens http(s) and mailto links in a new tab without an opener', () => {
    expect(inner('[the docs](https://example.com/a?b=1 "Docs")')).toBe(
      '<p><a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">the docs</a></p>',
    );
    expect(inner('see https://example.com/x. and <mailto:a@b.example>')).toBe(
      '<p>see <a href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>. ' +
        'and <a href="mailto:a@b.example" target="_blank" rel="noopener noreferrer">mailto:a@b.example</a></p>',
    );
  });

  it('keeps hostile markup inert: no script, no handler, no image, no javascript: link', () => {
    const out = html(
      '<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n' +
        '[click](javascript:alert(3)) [data](data:text/html,<b>x</b>) [rel](/api/tasks) [vb](vbscript:x)\n\n' +
        '![tracker](https://evil.example/pixel.png) <b onmouseover=alert(4)>bold</b>',
    );
    expect(out).not.toMatch(/<(script|img|b|iframe)[\s>]/);
    expect(out).not.toContain('href');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(out).toContain('<span class="md-image">tracker (https://evil.example/pixel.png)</span>');
    expect(out).toContain('<span>click</span>');
    expect(safeHref('JaVaScRiPt:alert(1)')).toBeUndefined();
    expect(safeHref(' https://ok.example ')).toBe('https://ok.example/');
    expect(safeHref('https://a.example/"onmouseover=x')).toBeUndefined();
  });

  it('leaves unbalanced markers as the characters they are', () => {
    expect(inner('a ** b * c _ d ` e [f](g ~~h')).toBe('<p>a ** b * c _ d ` e [f](g ~~h</p>');
    expect(inner('snake_case_name and 2 * 3 * 4')).toBe('<p>snake_case_name and 2 * 3 * 4</p>');
    expect(inner('```\nunclosed fence <i>')).toBe(
      '<pre class="md-code"><code>unclosed fence &lt;i&gt;</code></pre>',
    );
    expect(inner('\\*not emphasis\\*')).toBe('<p>*not emphasis*</p>');
  });

  it('stays fast on large and pathological input', () => {
    const inputs = [
      '[['.repeat(100_000) + ']',
      '**a '.repeat(50_000),
      '`'.repeat(1) + ' x `` y'.repeat(40_000),
      '- '.repeat(20_000) + 'deep',
      '> '.repeat(20_000) + 'quote',
      '_a '.repeat(50_000) + '_',
      `${'a'.repeat(200_000)}\n`.repeat(3),
      Array.from({ length: 20_000 }, (_, i) => `| ${i} | x |`).join('\n'),
      'https://a.example/'.repeat(20_000),
      '[x](' + '('.repeat(100_000),
    ];
    for (const input of inputs) {
      const started = performance.now();
      html(input);
      expect(performance.now() - started, input.slice(0, 20)).toBeLessThan(1_500);
    }
  });
});
