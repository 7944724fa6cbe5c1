import { describe, expect, it } from 'vitest';
import { DeniedPaths } from './denied-paths.js';

const root = '/home/ana/work';

describe('DeniedPaths', () => {
  it('denies a name anywhere when the pattern has no slash, as .gitignore does', () => {
    const denied = new DeniedPaths(['.env', '*.pem']);
    expect(denied.match(`${root}/.env`, root)).toBe('.env');
    expect(denied.match(`${root}/app/config/.env`, root)).toBe('.env');
    expect(denied.match(`${root}/keys/server.pem`, root)).toBe('*.pem');
    expect(denied.match(`${root}/.envrc`, root)).toBeUndefined();
  });

  it('denies everything inside a denied folder', () => {
    const denied = new DeniedPaths(['secrets', 'clients/*/private']);
    expect(denied.match(`${root}/secrets/a/b.txt`, root)).toBe('secrets');
    expect(denied.match(`${root}/clients/acme/private/contract.pdf`, root)).toBe('clients/*/private');
    expect(denied.match(`${root}/clients/acme/public/contract.pdf`, root)).toBeUndefined();
  });

  it('matches a pattern with a slash from the root, not anywhere', () => {
    const denied = new DeniedPaths(['finance/**/*.xlsx']);
    expect(denied.match(`${root}/finance/2026/q1.xlsx`, root)).toBe('finance/**/*.xlsx');
    expect(denied.match(`${root}/archive/finance/2026/q1.xlsx`, root)).toBeUndefined();
  });

  it('matches an absolute pattern against the absolute path', () => {
    const denied = new DeniedPaths(['/home/ana/work/hr/**']);
    expect(denied.match(`${root}/hr/salaries.csv`, root)).toBe('/home/ana/work/hr/**');
    expect(denied.match(`${root}/ops/plan.md`, root)).toBeUndefined();
  });

  it('denies everything for ** and for a pattern that cannot be read (fails closed)', () => {
    expect(new DeniedPaths(['**']).match(`${root}/a.txt`, root)).toBe('**');
    expect(new DeniedPaths(['a\0b']).match(`${root}/a.txt`, root)).toBe('a\0b');
  });

  it('does not deny the root itself for a name pattern, and denies nothing when empty', () => {
    expect(new DeniedPaths(['.env']).match(root, root)).toBeUndefined();
    expect(new DeniedPaths([]).empty).toBe(true);
  });

  it('turns the patterns into search ignore rules, absolute ones only for the root they fall in', () => {
    const denied = new DeniedPaths(['.env', '/home/ana/work/hr', '/elsewhere/x']);
    const rules = denied.ignoreRulesFor(root);
    expect(rules.map((rule) => [rule.pattern, rule.anchored])).toEqual([
      ['.env', false],
      ['hr', true],
    ]);
  });
});
