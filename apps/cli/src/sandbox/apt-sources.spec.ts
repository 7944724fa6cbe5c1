import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEBIAN_MIRROR,
  DEFAULT_SECURITY_MIRROR,
  debianMirrors,
  parseDeb822Sources,
  parseOneLineSources,
  readHostAptSources,
} from './apt-sources.js';

const DEBIAN_12_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
`;

describe('host apt sources', () => {
  it('reads deb822 stanzas, skipping deb-src and disabled ones', () => {
    const sources = parseDeb822Sources(
      `${DEBIAN_12_SOURCES}\nTypes: deb-src\nURIs: http://src.example.org/debian\nSuites: bookworm\n\nTypes: deb\nEnabled: no\nURIs: http://off.example.org/debian\nSuites: bookworm\n`,
    );
    expect(sources).toEqual([
      { uri: 'http://mirror.example.org/debian/', suites: ['bookworm', 'bookworm-updates'] },
      { uri: 'http://mirror.example.org/debian-security', suites: ['bookworm-security'] },
    ]);
  });

  it('reads one-line sources with options and comments', () => {
    expect(
      parseOneLineSources(
        '# deb http://old.example.org/debian bookworm main\n' +
          'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example.org/debian bookworm main # local\n' +
          'deb-src http://src.example.org/debian bookworm main\n',
      ),
    ).toEqual([{ uri: 'http://mirror.example.org/debian', suites: ['bookworm'] }]);
  });

  it('builds from the mirror the host uses for bookworm and its security suite', () => {
    expect(debianMirrors(parseDeb822Sources(DEBIAN_12_SOURCES), 'bookworm')).toEqual({
      main: 'http://mirror.example.org/debian',
      security: 'http://mirror.example.org/debian-security',
    });
  });

  it('falls back to deb.debian.org on a host without bookworm sources (Ubuntu, another release)', () => {
    const ubuntu = parseOneLineSources('deb http://archive.ubuntu.com/ubuntu noble main\n');
    expect(debianMirrors(ubuntu, 'bookworm')).toEqual({
      main: DEFAULT_DEBIAN_MIRROR,
      security: DEFAULT_SECURITY_MIRROR,
    });
  });

  it('ignores mirrors debootstrap cannot fetch from, like file: and cdrom: sources', () => {
    const local = parseOneLineSources(
      'deb cdrom:[Debian 12]/ bookworm main\ndeb file:/srv/debian bookworm main\n',
    );
    expect(debianMirrors(local, 'bookworm').main).toBe(DEFAULT_DEBIAN_MIRROR);
  });

  it('reads sources.list and every .list and .sources file of sources.list.d', () => {
    const aptDir = mkdtempSync(join(tmpdir(), 'steward-apt-spec-'));
    try {
      mkdirSync(join(aptDir, 'sources.list.d'));
      writeFileSync(join(aptDir, 'sources.list'), 'deb http://a.example.org/debian bookworm main\n');
      writeFileSync(join(aptDir, 'sources.list.d', 'debian.sources'), DEBIAN_12_SOURCES);
      writeFileSync(join(aptDir, 'sources.list.d', 'other.list'), 'deb http://b.example.org/x stable main\n');
      writeFileSync(join(aptDir, 'sources.list.d', 'notes.txt'), 'deb http://c.example.org/x stable main\n');
      expect(readHostAptSources(aptDir).map((source) => source.uri)).toEqual([
        'http://a.example.org/debian',
        'http://mirror.example.org/debian/',
        'http://mirror.example.org/debian-security',
        'http://b.example.org/x',
      ]);
    } finally {
      rmSync(aptDir, { recursive: true, force: true });
    }
  });
});
