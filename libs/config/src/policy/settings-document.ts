import { isPolicyKey } from './policy-keys.js';

export type SettingsDocument =
  | { readonly ok: true; readonly entries: ReadonlyMap<string, unknown> }
  | { readonly ok: false; readonly code: 'unparseable-source' | 'invalid-source'; readonly detail: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Accepts both `{"sandbox.network": "none"}` and `{"sandbox": {"network": "none"}}`: administrators
 * write whichever their MDM tooling produces. Leaves that are not policy keys are kept so the caller
 * can name them.
 */
export function flattenSettings(object: Record<string, unknown>): Map<string, unknown> {
  const entries = new Map<string, unknown>();
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(node)) {
      const dotted = prefix === '' ? name : `${prefix}.${name}`;
      if (!isPolicyKey(dotted) && isPlainObject(value)) walk(value, dotted);
      else entries.set(dotted, value);
    }
  };
  walk(object, '');
  return entries;
}

export function parseSettingsDocument(text: string): SettingsDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      code: 'unparseable-source',
      detail: `is not valid JSON (${(error as Error).message})`,
    };
  }
  if (!isPlainObject(json)) return { ok: false, code: 'invalid-source', detail: 'is not a JSON object' };
  return { ok: true, entries: flattenSettings(json) };
}
