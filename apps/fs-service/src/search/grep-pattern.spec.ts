import { describe, expect, it } from 'vitest';
import { StewardError } from '@steward/contracts';
import { compileGrepPattern } from './grep-pattern.js';

function rejection(pattern: string): StewardError {
  try {
    compileGrepPattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(StewardError);
    return error as StewardError;
  }
  throw new Error(`expected ${pattern} to be refused`);
}

describe('grep patterns', () => {
  it('recognises a plain string, escaped punctuation included', () => {
    expect(compileGrepPattern('total amount').literal).toBe('total amount');
    expect(compileGrepPattern('config\\.json').literal).toBe('config.json');
    expect(compileGrepPattern('a\\(b\\)').literal).toBe('a(b)');
  });

  it('does not take a pattern with regex syntax for a plain string', () => {
    for (const pattern of ['fo+', 'a.c', '^start', 'end$', 'x{2}', '(ab)', '[ab]', 'a|b', '\\bword']) {
      expect(compileGrepPattern(pattern).literal, pattern).toBeUndefined();
    }
  });

  it('finds the longest string every match must contain', () => {
    expect(compileGrepPattern('INV-\\d{4}-\\d{2}').requiredLiteral).toBe('INV-');
    expect(compileGrepPattern('colou?r').requiredLiteral).toBe('colo');
    expect(compileGrepPattern('(foo|bar)baz').requiredLiteral).toBe('baz');
    expect(compileGrepPattern('fo+bar').requiredLiteral).toBe('bar');
    expect(compileGrepPattern('xyzzy+b').requiredLiteral).toBe('xyzzy');
    expect(compileGrepPattern('ab*cdef').requiredLiteral).toBe('cdef');
    expect(compileGrepPattern('x{0,3}yz').requiredLiteral).toBe('yz');
  });

  it('requires nothing where an alternative or an escape could match without it', () => {
    expect(compileGrepPattern('foo|bar').requiredLiteral).toBeUndefined();
    expect(compileGrepPattern('\\x41').requiredLiteral).toBeUndefined();
    expect(compileGrepPattern('\\x41BC').requiredLiteral).toBe('BC');
    expect(compileGrepPattern('\\u0041').requiredLiteral).toBeUndefined();
    expect(compileGrepPattern('\\p{Lu}').requiredLiteral).toBeUndefined();
    expect(compileGrepPattern('(a)\\12').requiredLiteral).toBeUndefined();
    expect(compileGrepPattern('[xyz]+').requiredLiteral).toBeUndefined();
  });

  it('never names a required string that a matching line lacks', () => {
    const cases: [string, string[]][] = [
      ['colou?r', ['color', 'colour']],
      ['ab*cdef', ['acdef', 'abbbcdef']],
      ['\\x41BC', ['ABC']],
      ['(foo|bar)baz', ['barbaz']],
      ['INV-\\d{4}', ['INV-2024']],
      ['a{2}b', ['aab']],
      ['q\\.?r', ['qr', 'q.r']],
      ['\\bend\\b', ['the end']],
      ['[}]x\\}', ['}x}']],
    ];
    for (const [pattern, lines] of cases) {
      const compiled = compileGrepPattern(pattern);
      const regex = new RegExp(compiled.source, compiled.flags.replace('g', ''));
      for (const line of lines) {
        expect(regex.test(line), `${pattern} ~ ${line}`).toBe(true);
        if (compiled.requiredLiteral !== undefined) expect(line).toContain(compiled.requiredLiteral);
      }
    }
  });

  it('uses Unicode mode when the pattern allows it, legacy mode otherwise', () => {
    expect(compileGrepPattern('\\p{L}+').flags).toBe('gmu');
    expect(compileGrepPattern('a\\-b').flags).toBe('gm');
    expect(compileGrepPattern('a{').flags).toBe('gm');
  });

  it('refuses an invalid regular expression with INVALID_INPUT and the reason', () => {
    const error = rejection('(unclosed');
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/invalid regular expression/);
    expect(rejection('a**').code).toBe('INVALID_INPUT');
    expect(rejection('').code).toBe('INVALID_INPUT');
  });

  it('refuses a pattern that needs a line break, since lines are matched one at a time', () => {
    expect(rejection('end\\nstart').code).toBe('INVALID_INPUT');
    expect(rejection('end\nstart').message).toMatch(/one line/);
    expect(compileGrepPattern('[^\\n]+').flags).toBe('gmu');
  });

  it('asks for each candidate line to be confirmed when the pattern has lookarounds', () => {
    expect(compileGrepPattern('(?<=a)b').confirmEachLine).toBe(true);
    expect(compileGrepPattern('a(?!b)').confirmEachLine).toBe(true);
    expect(compileGrepPattern('a(?:b)').confirmEachLine).toBe(false);
  });
});
