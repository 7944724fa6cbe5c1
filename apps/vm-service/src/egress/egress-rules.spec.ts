import { describe, expect, it } from 'vitest';
import { allowingRule, isInternalAddress, mayConnect } from './egress-rules.js';

describe('allowingRule', () => {
  it('allows a listed host on the web ports, or on the port it names', () => {
    expect(allowingRule({ host: 'pypi.org', port: 443 }, ['pypi.org'])).toBe('pypi.org');
    expect(allowingRule({ host: 'PyPI.org.', port: 80 }, ['pypi.org'])).toBe('pypi.org');
    expect(allowingRule({ host: 'pypi.org', port: 22 }, ['pypi.org'])).toBeUndefined();
    expect(allowingRule({ host: 'git.example.com', port: 22 }, ['git.example.com:22'])).toBe(
      'git.example.com:22',
    );
  });

  it('allows subdomains for *. and never the bare domain or a look-alike', () => {
    const rules = ['*.example.com'];
    expect(allowingRule({ host: 'api.example.com', port: 443 }, rules)).toBe('*.example.com');
    expect(allowingRule({ host: 'example.com', port: 443 }, rules)).toBeUndefined();
    expect(allowingRule({ host: 'evilexample.com', port: 443 }, rules)).toBeUndefined();
    expect(allowingRule({ host: 'example.com.evil.net', port: 443 }, rules)).toBeUndefined();
  });

  it('allows nothing with no rules', () => {
    expect(allowingRule({ host: 'pypi.org', port: 443 }, [])).toBeUndefined();
  });
});

describe('internal addresses', () => {
  it('recognises loopback, private, link-local, metadata and mapped forms', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ]) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ['1.1.1.1', '151.101.0.223', '2606:4700::1111']) {
      expect(isInternalAddress(address), address).toBe(false);
    }
  });

  it('connects to an internal address only when the rule names that very address', () => {
    expect(mayConnect('127.0.0.1', { host: 'localhost', port: 8080 }, 'localhost:8080')).toBe(false);
    expect(mayConnect('127.0.0.1', { host: 'rebind.example.com', port: 443 }, 'rebind.example.com')).toBe(
      false,
    );
    expect(mayConnect('127.0.0.1', { host: '127.0.0.1', port: 8080 }, '127.0.0.1:8080')).toBe(true);
    expect(mayConnect('151.101.0.223', { host: 'pypi.org', port: 443 }, 'pypi.org')).toBe(true);
  });
});
