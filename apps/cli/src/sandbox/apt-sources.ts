import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
export const DEFAULT_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';

/** One `deb` source of the host: where it points and which suites it serves. */
export interface AptSource {
  readonly uri: string;
  readonly suites: readonly string[];
}

export interface DebianMirrors {
  /** Serves `<suite>` and `<suite>-updates`. */
  readonly main: string;
  /** Serves `<suite>-security`. */
  readonly security: string;
}

/** `deb [arch=amd64 signed-by=…] http://… bookworm main` lines; `deb-src` and comments are skipped. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined)
      sources.push({ uri: match[1], suites: [match[2]] });
  }
  return sources;
}

/** deb822 `.sources` stanzas (`Types: deb`, `URIs:`, `Suites:`), the format Debian 12 installs. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (match?.[1] !== undefined && match[2] !== undefined)
        fields.set(match[1].toLowerCase(), match[2].trim());
    }
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || fields.get('enabled') === 'no') continue;
    for (const uri of words('uris')) sources.push({ uri, suites: words('suites') });
  }
  return sources;
}

const plainHttp = (uri: string): boolean => /^https?:\/\//.test(uri);
const trimSlash = (uri: string): string => uri.replace(/\/+$/, '');

/**
 * The host's own Debian mirrors for `suite`, so a machine that reaches only its configured mirror
 * (a proxy, a local mirror) builds from it; anything else falls back to deb.debian.org.
 */
export function debianMirrors(sources: readonly AptSource[], suite: string): DebianMirrors {
  const serving = (wanted: string): string | undefined =>
    sources.find((source) => plainHttp(source.uri) && source.suites.includes(wanted))?.uri;
  const main = serving(suite);
  const security = serving(`${suite}-security`);
  return {
    main: main === undefined ? DEFAULT_DEBIAN_MIRROR : trimSlash(main),
    security: security === undefined ? DEFAULT_SECURITY_MIRROR : trimSlash(security),
  };
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Every `deb` source in /etc/apt/sources.list and /etc/apt/sources.list.d. */
export function readHostAptSources(aptDir = '/etc/apt'): AptSource[] {
  const sources = parseOneLineSources(readOrEmpty(join(aptDir, 'sources.list')));
  let names: string[] = [];
  try {
    names = readdirSync(join(aptDir, 'sources.list.d')).sort();
  } catch {
    return sources;
  }
  for (const name of names) {
    const text = readOrEmpty(join(aptDir, 'sources.list.d', name));
    if (name.endsWith('.list')) sources.push(...parseOneLineSources(text));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(text));
  }
  return sources;
}
