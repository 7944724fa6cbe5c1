import { describe, expect, it } from 'vitest';
import { dateText, numberText, valueText } from './xlsx-text.js';

describe('spreadsheet cell text', () => {
  it('writes numbers to 15 significant digits, as Excel keeps them', () => {
    expect(numberText(3)).toBe('3');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(-1234.5)).toBe('-1234.5');
    expect(numberText(1e21)).toBe('1e+21');
  });

  it('writes dates as ISO 8601: the day alone at midnight, the time alone on day zero', () => {
    expect(dateText(new Date(Date.UTC(2024, 2, 15)))).toBe('2024-03-15');
    expect(dateText(new Date(Date.UTC(2024, 2, 16, 9, 30)))).toBe('2024-03-16T09:30:00');
    expect(dateText(new Date(Date.UTC(2024, 2, 16, 9, 30, 0, 250)))).toBe('2024-03-16T09:30:00.250');
    expect(dateText(new Date(Date.UTC(1899, 11, 30, 13, 5)))).toBe('13:05:00');
    expect(dateText(new Date(Number.NaN))).toBe('');
  });

  it('writes each kind of cell value as the text it shows', () => {
    expect(valueText(null)).toBe('');
    expect(valueText(true)).toBe('TRUE');
    expect(valueText('tab\there\nand line')).toBe('tab here and line');
    expect(valueText({ error: '#DIV/0!' })).toBe('#DIV/0!');
    expect(valueText({ richText: [{ text: 'bold ' }, { text: 'plain' }] })).toBe('bold plain');
    expect(valueText({ text: 'Docs', hyperlink: 'https://example.com' })).toBe('Docs (https://example.com)');
    expect(valueText({ text: 'https://example.com', hyperlink: 'https://example.com' })).toBe(
      'https://example.com',
    );
    expect(valueText({ formula: 'A1*2', result: new Date(Date.UTC(2024, 0, 2)) })).toBe('2024-01-02');
  });
});
