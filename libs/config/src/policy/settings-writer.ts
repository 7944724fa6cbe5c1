import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StewardError } from '@steward/contracts';
import type { EffectivePolicy } from './effective-policy.js';
import { checkPolicyValue, isPolicyKey, type PolicyKey } from './policy-keys.js';
import { parseSettingsDocument } from './settings-document.js';

/** Why one key of an update was refused. */
export interface SettingRefusal {
  readonly code: 'INVALID_INPUT' | 'DENIED_BY_POLICY';
  readonly message: string;
}

export interface PersonSettingsUpdate {
  /** `$STEWARD_HOME/settings.json`. */
  readonly file: string;
  /** The policy in force: who holds each key, and the limits other keys set. */
  readonly policy: EffectivePolicy;
  /** The keys the caller lets a person change; a narrower list than every person-settable key. */
  readonly editable: readonly string[];
  /** Dotted key → new value; null removes the person's value so what lies beneath applies again. */
  readonly values: Readonly<Record<string, unknown>>;
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * What settings.json holds, flattened to dotted keys; empty when it is missing or unreadable (the
 * policy already reports why). Follows a symlink, as the policy loader does.
 */
export function readPersonSettings(file: string): ReadonlyMap<string, unknown> {
  try {
    if (!statSync(file).isFile()) return new Map();
    const document = parseSettingsDocument(readFileSync(file, 'utf8'));
    return document.ok ? document.entries : new Map();
  } catch {
    return new Map();
  }
}

/**
 * Checks every key of an update against who may set it, its schema and the limits other keys put
 * on it. All or nothing: any refusal throws (DENIED_BY_POLICY when the organization holds a key,
 * INVALID_INPUT otherwise) with `details.fields` naming each refused key, and nothing is written.
 */
export function checkPersonSettings(update: Omit<PersonSettingsUpdate, 'file'>): Map<PolicyKey, unknown> {
  const { policy } = update;
  const accepted = new Map<PolicyKey, unknown>();
  const fields: Record<string, SettingRefusal> = {};
  for (const [name, raw] of Object.entries(update.values)) {
    if (!isPolicyKey(name) || !update.editable.includes(name)) {
      fields[name] = { code: 'INVALID_INPUT', message: `${name} is not a setting you can change here` };
      continue;
    }
    // Clearing never loosens anything: the value beneath still applies, a managed one included.
    if (raw === null) {
      accepted.set(name, null);
      continue;
    }
    if (policy.managed[name]) {
      fields[name] = {
        code: 'DENIED_BY_POLICY',
        message:
          policy.sources[name].kind === 'fail-closed'
            ? `${name} is locked: your organization's policy could not be read, so it uses its most restrictive value`
            : `${name} is set by your organization`,
      };
      continue;
    }
    const check = checkPolicyValue(name, raw);
    if (!check.ok) {
      fields[name] = { code: 'INVALID_INPUT', message: check.reason };
      continue;
    }
    const limit = limitOf(policy, name, check.value);
    if (limit !== undefined) {
      fields[name] = limit;
      continue;
    }
    accepted.set(name, check.value);
  }
  const refused = Object.entries(fields);
  if (refused.length > 0) {
    const denied = refused.some(([, refusal]) => refusal.code === 'DENIED_BY_POLICY');
    throw new StewardError(
      denied ? 'DENIED_BY_POLICY' : 'INVALID_INPUT',
      refused.map(([name, refusal]) => `${name}: ${refusal.message}`).join('; '),
      { details: { fields } },
    );
  }
  return accepted;
}

/** The rules between keys the policy loader applies, refused up front instead of silently limited. */
function limitOf(policy: EffectivePolicy, key: PolicyKey, value: unknown): SettingRefusal | undefined {
  if (key === 'approvals.defaultMode' && value === 'auto' && !policy.values['approvals.allowAuto']) {
    return {
      code: policy.managed['approvals.allowAuto'] ? 'DENIED_BY_POLICY' : 'INVALID_INPUT',
      message: 'approval mode "auto" is not allowed (approvals.allowAuto is off)',
    };
  }
  const max = policy.values['sandbox.maxCommandTimeoutMs'];
  if (key === 'sandbox.commandTimeoutMs' && typeof value === 'number' && value > max) {
    return {
      code: policy.managed['sandbox.maxCommandTimeoutMs'] ? 'DENIED_BY_POLICY' : 'INVALID_INPUT',
      message: `must be at most ${max} (sandbox.maxCommandTimeoutMs)`,
    };
  }
  return undefined;
}

/** Validates an update (see checkPersonSettings) and writes it to settings.json. */
export function updatePersonSettings(update: PersonSettingsUpdate): void {
  writePersonSettings(update.file, checkPersonSettings(update));
}

/**
 * Sets (or, for null, removes) keys in settings.json and leaves everything else in it as it was:
 * keys Steward does not know, and the nested or dotted spelling the person chose. The file is
 * replaced atomically (a temporary file renamed over it), so the policy watchers of every service
 * read the old file or the new one whole, and it is left readable by this user only.
 */
export function writePersonSettings(file: string, changes: ReadonlyMap<string, unknown>): void {
  const target = writableTarget(file);
  const document = readDocument(target);
  for (const [key, value] of changes) {
    if (value === null) remove(document, key);
    else set(document, key, value);
  }
  replaceFile(target, `${JSON.stringify(document, null, 2)}\n`);
}

/** A symlinked settings.json (dotfile managers keep them) is written through, where the loader reads it. */
function writableTarget(file: string): string {
  let stats;
  try {
    stats = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw unwritable(file, error);
  }
  let target = file;
  if (stats.isSymbolicLink()) {
    try {
      target = realpathSync(file);
      stats = statSync(target);
    } catch (error) {
      throw new StewardError(
        'CONFLICT',
        `${file} is a link to a file that cannot be reached; fix or remove it`,
        {
          details: { file, reason: (error as NodeJS.ErrnoException).code ?? String(error) },
        },
      );
    }
  }
  if (!stats.isFile()) {
    throw new StewardError('CONFLICT', `${file} is not a regular file; remove it to save settings`, {
      details: { file },
    });
  }
  return target;
}

function readDocument(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw unwritable(file, error);
  }
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Rewriting it would throw away whatever the person meant to write there.
    throw new StewardError('CONFLICT', `${file} is not valid JSON; fix or remove it before saving settings`, {
      details: { file },
    });
  }
  if (!isPlainObject(json)) {
    throw new StewardError(
      'CONFLICT',
      `${file} is not a JSON object; fix or remove it before saving settings`,
      {
        details: { file },
      },
    );
  }
  return json;
}

interface Place {
  readonly container: Json;
  readonly name: string;
  /** The objects walked through to reach it, outermost first, to prune the ones left empty. */
  readonly path: readonly { readonly parent: Json; readonly name: string }[];
}

/** Every place the document sets `key`, in the order the loader reads them (the last one wins). */
function places(document: Json, key: string): Place[] {
  const found: Place[] = [];
  const walk = (node: Json, prefix: string, path: Place['path']): void => {
    for (const [name, value] of Object.entries(node)) {
      const dotted = prefix === '' ? name : `${prefix}.${name}`;
      if (dotted === key) found.push({ container: node, name, path });
      else if (!isPolicyKey(dotted) && isPlainObject(value) && key.startsWith(`${dotted}.`)) {
        walk(value, dotted, [...path, { parent: node, name }]);
      }
    }
  };
  walk(document, '', []);
  return found;
}

function set(document: Json, key: string, value: unknown): void {
  const found = places(document, key);
  const kept = found.at(-1);
  if (kept === undefined) {
    document[key] = value;
    return;
  }
  for (const place of found.slice(0, -1)) removeAt(place);
  kept.container[kept.name] = value;
}

function remove(document: Json, key: string): void {
  for (const place of places(document, key)) removeAt(place);
}

function removeAt(place: Place): void {
  delete place.container[place.name];
  for (let i = place.path.length - 1; i >= 0; i -= 1) {
    const step = place.path[i]!;
    const child = step.parent[step.name];
    if (!isPlainObject(child) || Object.keys(child).length > 0) break;
    delete step.parent[step.name];
  }
}

function replaceFile(file: string, text: string): void {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // O_EXCL and O_NOFOLLOW: nothing planted at the temporary name is followed or reused.
    const fd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
      0o600,
    );
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed into place.
    }
    throw unwritable(file, error);
  }
}

function unwritable(file: string, error: unknown): StewardError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new StewardError('UNAVAILABLE', `${file} cannot be written (${code})`, {
    retryable: false,
    details: { file, reason: code },
  });
}
