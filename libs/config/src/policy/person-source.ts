import { readFileSync, statSync } from 'node:fs';
import type { Env } from '../runtime.config.js';
import type { PolicyIssue, PolicySourceKind } from './effective-policy.js';
import { isPolicyKey, POLICY_KEY_NAMES, POLICY_KEYS } from './policy-keys.js';
import { flattenSettings, parseSettingsDocument } from './settings-document.js';

export interface PersonEntry {
  readonly raw: unknown;
  /** How a message names where the value came from: "settings.json", "environment variable X". */
  readonly label: string;
  readonly detail: string;
}

export interface PersonLayer {
  readonly kind: Extract<PolicySourceKind, 'flag' | 'env' | 'settings'>;
  readonly entries: ReadonlyMap<string, PersonEntry>;
  /** Environment variables and command-line flags arrive as text and are coerced to the key's type. */
  readonly fromText: boolean;
}

export interface PersonLayers {
  /** Highest precedence first. */
  readonly layers: readonly PersonLayer[];
  readonly errors: readonly PolicyIssue[];
  readonly warnings: readonly PolicyIssue[];
}

const SETTINGS_LABEL = 'settings.json';
const FLAG_LABEL = 'a command-line flag';

function flagLayer(flags: Record<string, unknown>, warnings: PolicyIssue[]): PersonLayer {
  const entries = new Map<string, PersonEntry>();
  for (const [name, raw] of flattenSettings(flags)) {
    if (raw === undefined) continue;
    if (!isPolicyKey(name)) {
      warnings.push({
        code: 'unknown-key',
        key: name,
        source: 'flag',
        message: `${FLAG_LABEL} sets unknown policy key "${name}"; ignored`,
      });
      continue;
    }
    entries.set(name, { raw, label: FLAG_LABEL, detail: 'flag' });
  }
  return { kind: 'flag', entries, fromText: true };
}

function envLayer(env: Env): PersonLayer {
  const entries = new Map<string, PersonEntry>();
  for (const name of POLICY_KEY_NAMES) {
    const variable = POLICY_KEYS[name].env;
    const raw = variable === undefined ? undefined : env[variable]?.trim();
    if (variable === undefined || raw === undefined || raw === '') continue;
    entries.set(name, { raw, label: `environment variable ${variable}`, detail: variable });
  }
  return { kind: 'env', entries, fromText: true };
}

type SettingsText = { readonly text: string } | { readonly missing: true } | { readonly problem: string };

function readSettingsText(file: string): SettingsText {
  try {
    // The person may keep settings.json as a symlink (dotfile managers do), so follow it; but a
    // FIFO or a folder there must not hang or break the loader.
    if (!statSync(file).isFile()) return { problem: 'is not a regular file' };
    return { text: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { problem: `cannot be read (${code ?? String(error)})` };
  }
}

function settingsLayer(file: string, errors: PolicyIssue[], warnings: PolicyIssue[]): PersonLayer {
  const entries = new Map<string, PersonEntry>();
  const layer: PersonLayer = { kind: 'settings', entries, fromText: false };
  const read = readSettingsText(file);
  if ('missing' in read) return layer;
  if ('problem' in read) {
    errors.push({
      code: 'unreadable-source',
      source: file,
      message: `${file} ${read.problem}; its settings are ignored`,
    });
    return layer;
  }
  const document = parseSettingsDocument(read.text);
  if (!document.ok) {
    errors.push({
      code: document.code,
      source: file,
      message: `${file} ${document.detail}; its settings are ignored`,
    });
    return layer;
  }
  for (const [name, raw] of document.entries) {
    if (!isPolicyKey(name)) {
      warnings.push({
        code: 'unknown-key',
        key: name,
        source: file,
        message: `${SETTINGS_LABEL} sets unknown policy key "${name}"; ignored`,
      });
      continue;
    }
    entries.set(name, { raw, label: SETTINGS_LABEL, detail: file });
  }
  return layer;
}

export function readPersonLayers(options: {
  readonly flags: Record<string, unknown>;
  readonly env: Env;
  readonly settingsFile: string;
}): PersonLayers {
  const errors: PolicyIssue[] = [];
  const warnings: PolicyIssue[] = [];
  const layers = [
    flagLayer(options.flags, warnings),
    envLayer(options.env),
    settingsLayer(options.settingsFile, errors, warnings),
  ];
  return { layers, errors, warnings };
}

/** Candidate readings of a text value, tried in turn against the key's schema: as is, as JSON, as a list. */
export function textCandidates(raw: unknown): unknown[] {
  if (typeof raw !== 'string') return [raw];
  const candidates: unknown[] = [raw];
  try {
    candidates.push(JSON.parse(raw));
  } catch {
    // Not JSON: the text itself and the comma list remain.
  }
  candidates.push(
    raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  );
  return candidates;
}
