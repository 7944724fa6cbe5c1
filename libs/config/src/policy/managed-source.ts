import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Env } from '../runtime.config.js';
import { readFileNoFollow } from '../secure-file.js';
import type { PolicyIssue } from './effective-policy.js';
import { checkPolicyValue, isPolicyKey, type PolicyKey } from './policy-keys.js';
import { parseSettingsDocument } from './settings-document.js';

export const SYSTEM_MANAGED_DIR = '/etc/steward';
export const MANAGED_FILE_NAME = 'managed-settings.json';
export const MANAGED_DROP_IN_DIR_NAME = 'managed-settings.d';

export interface ManagedLocationOptions {
  readonly env: Env;
  readonly managedDir: string | undefined;
  readonly platform: NodeJS.Platform;
  readonly trustedOwnerUid: number;
}

export interface ManagedLocation {
  /** Undefined where this platform's managed store cannot be read yet. */
  readonly dir: string | undefined;
  readonly trustedOwners: readonly number[];
  readonly errors: readonly PolicyIssue[];
}

export type ManagedEntry =
  | { readonly ok: true; readonly value: unknown; readonly file: string }
  | { readonly ok: false; readonly file: string; readonly reason: string };

export interface ManagedLayer {
  /** Set when any source could not be trusted or read: no key can then be known. */
  readonly failClosedReason: string | undefined;
  readonly entries: ReadonlyMap<PolicyKey, ManagedEntry>;
  readonly errors: readonly PolicyIssue[];
}

const UNSUPPORTED_PLATFORMS: ReadonlySet<NodeJS.Platform> = new Set(['darwin', 'win32']);

function systemLocationInUse(): boolean {
  return [MANAGED_FILE_NAME, MANAGED_DROP_IN_DIR_NAME].some((name) => {
    try {
      lstatSync(join(SYSTEM_MANAGED_DIR, name));
      return true;
    } catch {
      return false;
    }
  });
}

export function resolveManagedLocation(options: ManagedLocationOptions): ManagedLocation {
  const owners = [options.trustedOwnerUid];
  if (options.managedDir !== undefined)
    return { dir: resolve(options.managedDir), trustedOwners: owners, errors: [] };

  const unsupported = UNSUPPORTED_PLATFORMS.has(options.platform);
  const override = options.env['STEWARD_MANAGED_SETTINGS_DIR']?.trim();
  if (override !== undefined && override !== '') {
    // An environment variable is the person's to set, so it must not hide a policy an organization installed.
    if (!unsupported && systemLocationInUse()) {
      const message = `STEWARD_MANAGED_SETTINGS_DIR=${override} is ignored because ${SYSTEM_MANAGED_DIR} holds managed policy`;
      return {
        dir: SYSTEM_MANAGED_DIR,
        trustedOwners: owners,
        errors: [{ code: 'ignored-override-location', message, source: 'STEWARD_MANAGED_SETTINGS_DIR' }],
      };
    }
    // Whoever chose this folder could as well have chosen an empty one, so their own files are as
    // trusted as the choice; files of any third user still are not.
    const self = process.getuid?.();
    return {
      dir: resolve(override),
      trustedOwners: self === undefined ? owners : [...owners, self],
      errors: [],
    };
  }

  if (unsupported) {
    const message = `managed policy is not supported yet on ${options.platform}: organization settings are not applied`;
    return { dir: undefined, trustedOwners: owners, errors: [{ code: 'unsupported-platform', message }] };
  }
  return { dir: SYSTEM_MANAGED_DIR, trustedOwners: owners, errors: [] };
}

function distrust(stats: Stats, trustedOwners: readonly number[]): string | undefined {
  if (!trustedOwners.includes(stats.uid)) {
    return `is owned by uid ${stats.uid}, not by ${trustedOwners.map((uid) => `uid ${uid}`).join(' or ')}`;
  }
  const mode = stats.mode & 0o7777;
  if ((mode & 0o022) !== 0)
    return `is writable by group or others (mode ${mode.toString(8).padStart(4, '0')})`;
  return undefined;
}

type DirCheck =
  | { readonly kind: 'absent' }
  | { readonly kind: 'trusted' }
  | { readonly kind: 'untrusted'; readonly reason: string };

function checkDirectory(path: string, trustedOwners: readonly number[]): DirCheck {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    return { kind: 'untrusted', reason: `cannot be read (${code ?? String(error)})` };
  }
  if (stats.isSymbolicLink()) return { kind: 'untrusted', reason: 'is a symbolic link' };
  if (!stats.isDirectory()) return { kind: 'untrusted', reason: 'is not a directory' };
  const reason = distrust(stats, trustedOwners);
  return reason === undefined ? { kind: 'trusted' } : { kind: 'untrusted', reason };
}

function listDropIns(dir: string): string[] | { readonly error: string } {
  try {
    // Dot-files are editors' and installers' temporaries, not policy.
    const names = readdirSync(dir).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => join(dir, name));
  } catch (error) {
    return { error: `cannot be listed (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
}

class ManagedLayerBuilder {
  failClosedReason: string | undefined;
  readonly entries = new Map<PolicyKey, ManagedEntry>();
  readonly errors: PolicyIssue[] = [];

  constructor(private readonly trustedOwners: readonly number[]) {}

  failSource(path: string, code: PolicyIssue['code'], reason: string): void {
    const message = `${path} ${reason}; every policy key takes its most restrictive value`;
    this.failClosedReason ??= `${path} ${reason}`;
    this.errors.push({ code, message, source: path });
  }

  directory(path: string): boolean {
    const check = checkDirectory(path, this.trustedOwners);
    if (check.kind === 'untrusted') this.failSource(path, 'untrusted-source', check.reason);
    return check.kind === 'trusted';
  }

  /** A missing file is no policy: absence is the normal case, and a rename in progress ends in one. */
  file(path: string): void {
    const read = readFileNoFollow(path);
    if (!read.ok) {
      if (read.reason === 'missing') return;
      const code = read.reason === 'unreadable' ? 'unreadable-source' : 'untrusted-source';
      this.failSource(path, code, read.detail);
      return;
    }
    const reason = distrust(read.stats, this.trustedOwners);
    if (reason !== undefined) return this.failSource(path, 'untrusted-source', reason);
    const document = parseSettingsDocument(read.text);
    if (!document.ok) return this.failSource(path, document.code, document.detail);
    for (const [name, value] of document.entries) this.entry(path, name, value);
  }

  private entry(file: string, name: string, value: unknown): void {
    if (!isPolicyKey(name)) {
      this.errors.push({
        code: 'unknown-key',
        key: name,
        source: file,
        message: `${file}: unknown policy key "${name}"`,
      });
      return;
    }
    const check = checkPolicyValue(name, value);
    if (check.ok) {
      this.entries.set(name, { ok: true, value: check.value, file });
      return;
    }
    const reason = `${file}: ${name} is invalid (${check.reason})`;
    this.entries.set(name, { ok: false, file, reason });
    this.errors.push({
      code: 'invalid-value',
      key: name,
      source: file,
      message: `${reason}; it takes its most restrictive value`,
    });
  }
}

/**
 * Reads `managed-settings.json` and then `managed-settings.d/*.json` in name order; a later file wins
 * per key, including over an earlier file's invalid value for that key.
 */
export function readManagedLayer(location: ManagedLocation): ManagedLayer {
  const builder = new ManagedLayerBuilder(location.trustedOwners);
  const dir = location.dir;
  if (dir !== undefined && builder.directory(dir)) {
    builder.file(join(dir, MANAGED_FILE_NAME));
    const dropInDir = join(dir, MANAGED_DROP_IN_DIR_NAME);
    if (builder.directory(dropInDir)) {
      const files = listDropIns(dropInDir);
      if (Array.isArray(files)) {
        for (const file of files) builder.file(file);
      } else {
        builder.failSource(dropInDir, 'unreadable-source', files.error);
      }
    }
  }
  return {
    failClosedReason: builder.failClosedReason,
    entries: builder.entries,
    errors: [...location.errors, ...builder.errors],
  };
}
