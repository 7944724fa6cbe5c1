import type { PersonSettingKey, SettingsView, SettingView } from '@steward/contracts';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, errorText } from './api.js';
import { Link } from './link.js';

type KeySource = 'env' | 'saved' | 'none';
interface Credentials {
  readonly anthropic: { readonly configured: boolean; readonly source: KeySource };
}

type Field = { readonly label: string } & (
  | { readonly kind: 'choice'; readonly options: readonly (readonly [value: string, label: string])[] }
  | { readonly kind: 'integer'; readonly min: number; readonly max?: number }
  | { readonly kind: 'number'; readonly min: number; readonly step: string }
  | { readonly kind: 'text'; readonly placeholder: string }
);

/** How each setting reads on the page; the server says what it is, who set it and what is allowed. */
const FIELDS: Record<PersonSettingKey, Field> = {
  'approvals.defaultMode': {
    label: 'Approval mode',
    kind: 'choice',
    options: [
      ['ask', 'Ask before changes'],
      ['auto', 'Auto (as policy allows)'],
    ],
  },
  'models.defaultModel': { label: 'Default model', kind: 'text', placeholder: 'claude-sonnet-4-5' },
  'budget.maxTurns': { label: 'Turn limit per task', kind: 'integer', min: 1 },
  'budget.maxCostUsd': { label: 'Cost limit per task (US$)', kind: 'number', min: 0.01, step: '0.01' },
  'agents.maxSubagentConcurrency': { label: 'Sub-agents at once', kind: 'integer', min: 1, max: 16 },
  'sandbox.commandTimeoutMs': { label: 'Command timeout (milliseconds)', kind: 'integer', min: 1000 },
  'fs.deleteBulkThreshold': {
    label: 'Files one delete may remove before it asks again',
    kind: 'integer',
    min: 1,
  },
};

const ORGANIZATION = 'set by your organization';

const fieldId = (key: string): string => `setting-${key.replace(/[^A-Za-z0-9]/g, '-')}`;
const asText = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

function sourceText(setting: SettingView): string {
  const { kind, detail } = setting.source;
  const limited = detail.includes('; limited: ') ? ` (limited: ${detail.split('; limited: ')[1]})` : '';
  switch (kind) {
    case 'managed':
      return `${ORGANIZATION}${limited}`;
    case 'fail-closed':
      return `${ORGANIZATION}: its policy could not be read, so the most restrictive value applies`;
    case 'env': {
      const saved =
        setting.saved === undefined ? '' : `; your saved ${asText(setting.saved)} applies when it is unset`;
      return `from the environment variable ${detail.split(';')[0] ?? ''}${saved}${limited}`;
    }
    case 'flag':
      return `from a command-line flag${limited}`;
    case 'settings':
      return `saved in settings.json${limited}`;
    case 'default':
      return `default${limited}`;
  }
}

/** Text from a control, as the value the key's schema expects; a string for the server to explain otherwise. */
function parseField(field: Field, text: string): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { error: 'enter a value, or use Reset to go back to the default' };
  if (field.kind === 'integer') {
    return /^-?\d+$/.test(trimmed) ? { value: Number(trimmed) } : { error: 'enter a whole number' };
  }
  if (field.kind === 'number') {
    const value = Number(trimmed);
    return Number.isFinite(value) ? { value } : { error: 'enter a number' };
  }
  return { value: trimmed };
}

function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || typeof error.details !== 'object' || error.details === null) return {};
  const fields = (error.details as { fields?: unknown }).fields;
  if (typeof fields !== 'object' || fields === null) return {};
  const out: Record<string, string> = {};
  for (const [key, refusal] of Object.entries(fields)) {
    const message = (refusal as { message?: unknown } | null)?.message;
    if (typeof message === 'string') out[key] = message;
  }
  return out;
}

export function SettingsPage() {
  const [view, setView] = useState<SettingsView>();
  const [loadError, setLoadError] = useState<string>();

  const load = useCallback(() => {
    setLoadError(undefined);
    api<SettingsView>('/api/settings').then(setView, (failure: unknown) => setLoadError(errorText(failure)));
  }, []);
  useEffect(() => {
    document.title = 'Settings · Steward';
    load();
  }, [load]);

  return (
    <main className="view-page settings-page">
      <header className="page-head">
        <h1>Settings</h1>
        <Link to="/admin" className="head-link">
          Admin view
        </Link>
      </header>
      <ModelSection view={view} />
      {view === undefined ? (
        <section className="card" aria-labelledby="defaults-title">
          <h2 id="defaults-title">Defaults for new tasks</h2>
          {loadError === undefined ? (
            <p className="muted" role="status">
              Loading settings…
            </p>
          ) : (
            <div role="alert" className="load-error">
              <p className="down">Settings could not be loaded: {loadError}</p>
              <button type="button" className="secondary" onClick={load}>
                Try again
              </button>
            </div>
          )}
        </section>
      ) : (
        <DefaultsForm view={view} onSaved={setView} />
      )}
    </main>
  );
}

function ModelSection(props: { readonly view: SettingsView | undefined }) {
  const [credentials, setCredentials] = useState<Credentials>();
  const [statusError, setStatusError] = useState<string>();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();

  const loadStatus = useCallback(() => {
    api<Credentials>('/api/credentials').then(
      (answer) => {
        setCredentials(answer);
        setStatusError(undefined);
      },
      (failure: unknown) => setStatusError(errorText(failure)),
    );
  }, []);
  useEffect(loadStatus, [loadStatus]);

  const save = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (busy || key.trim() === '') return;
    setBusy(true);
    setResult(undefined);
    try {
      await api('/api/credentials/anthropic', { method: 'PUT', body: { apiKey: key.trim() } });
      // The key lives on in the orchestrator only; the page keeps no copy.
      setKey('');
      setResult({ ok: true, text: 'Saved. New tasks use this key.' });
      loadStatus();
    } catch (failure) {
      setResult({ ok: false, text: errorText(failure) });
    } finally {
      setBusy(false);
    }
  };

  const source = credentials?.anthropic.source;
  const providers = props.view?.providers;
  return (
    <section className="card settings-section" aria-labelledby="model-title">
      <h2 id="model-title">Model</h2>
      <form className="key-form" onSubmit={(event) => void save(event)}>
        <label htmlFor="api-key">Anthropic API key</label>
        <div className="row">
          <input
            id="api-key"
            type="password"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            placeholder={
              source === 'none' || source === undefined ? 'sk-ant-…' : 'Type a new key to replace it'
            }
            aria-describedby="key-status"
          />
          <button type="submit" disabled={busy || key.trim() === ''}>
            {busy ? 'Saving…' : 'Save key'}
          </button>
        </div>
        <p id="key-status" className="muted" role="status" aria-live="polite">
          {statusError !== undefined ? (
            <span className="down">Key status unknown: {statusError}</span>
          ) : source === undefined ? (
            'Checking the key…'
          ) : source === 'env' ? (
            <>
              <strong className="ok">From environment</strong>: ANTHROPIC_API_KEY is set where Steward runs
              and takes precedence over a saved key.
            </>
          ) : source === 'saved' ? (
            <>
              <strong className="ok">Saved</strong>: kept readable by you only; it is never shown again.
            </>
          ) : (
            <>
              <strong className="degraded">Not set</strong>: tasks that use Anthropic models fail until a key
              is saved.
            </>
          )}
        </p>
        {result !== undefined && (
          <p className={result.ok ? 'ok' : 'down'} role={result.ok ? 'status' : 'alert'}>
            {result.text}
          </p>
        )}
      </form>
      <div className="table-scroll">
        <table aria-label="Model providers">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Where it comes from</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>Anthropic (Messages API)</td>
              <td>
                <code>{providers?.anthropic.baseUrl ?? '…'}</code>
              </td>
              <td className="muted">
                {providers === undefined
                  ? '…'
                  : providers.anthropic.fromEnv
                    ? `environment variable ${providers.anthropic.variable}`
                    : `built in (set ${providers.anthropic.variable} to use another endpoint)`}
              </td>
            </tr>
            <tr>
              <td>OpenAI-compatible (Ollama, LM Studio, vLLM)</td>
              <td>
                {providers?.openai.baseUrl == null ? (
                  'not configured'
                ) : (
                  <code>{providers.openai.baseUrl}</code>
                )}
              </td>
              <td className="muted">
                {providers === undefined
                  ? '…'
                  : providers.openai.fromEnv
                    ? `environment variable ${providers.openai.variable}; models as openai:<model>`
                    : `set ${providers.openai.variable} where Steward runs to use one`}
              </td>
            </tr>
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DefaultsForm(props: {
  readonly view: SettingsView;
  readonly onSaved: (view: SettingsView) => void;
}) {
  const { view } = props;
  const initial = useCallback(
    () => Object.fromEntries(view.settings.map((setting) => [setting.key, asText(setting.value)])),
    [view],
  );
  const [drafts, setDrafts] = useState<Record<string, string>>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();

  useEffect(() => setDrafts(initial()), [initial]);

  const changed = view.settings.filter(
    (setting) => !setting.locked && (drafts[setting.key] ?? '') !== asText(setting.value),
  );

  const send = async (values: Record<string, unknown>, done: string): Promise<void> => {
    setBusy(true);
    setOutcome(undefined);
    try {
      const next = await api<SettingsView>('/api/settings', { method: 'PUT', body: { values } });
      setErrors({});
      props.onSaved(next);
      setOutcome({ ok: true, text: done });
    } catch (failure) {
      const fields = fieldErrorsOf(failure);
      setErrors(fields);
      setOutcome({
        ok: false,
        text:
          Object.keys(fields).length > 0
            ? 'Nothing was saved: fix the fields marked below.'
            : errorText(failure),
      });
    } finally {
      setBusy(false);
    }
  };

  const save = (event: FormEvent): void => {
    event.preventDefault();
    if (busy || changed.length === 0) return;
    const values: Record<string, unknown> = {};
    const local: Record<string, string> = {};
    for (const setting of changed) {
      const parsed = parseField(FIELDS[setting.key], drafts[setting.key] ?? '');
      if ('error' in parsed) local[setting.key] = parsed.error;
      else values[setting.key] = parsed.value;
    }
    if (Object.keys(local).length > 0) {
      setErrors(local);
      setOutcome({ ok: false, text: 'Nothing was saved: fix the fields marked below.' });
      return;
    }
    void send(values, 'Saved. New tasks use these values.');
  };

  return (
    <section className="card settings-section" aria-labelledby="defaults-title">
      <h2 id="defaults-title">Defaults for new tasks</h2>
      <p className="muted">
        Kept in <code>{view.settingsFile}</code>. Values your organization sets are locked; an environment
        variable where Steward runs takes precedence over what you save here.
      </p>
      {view.problems.length > 0 && (
        <ul className="problems" aria-label="Problems with your settings">
          {view.problems.map((problem) => (
            <li key={problem} className="notice">
              {problem}
            </li>
          ))}
        </ul>
      )}
      <form className="settings-form" onSubmit={save} noValidate>
        {view.settings.map((setting) => {
          const field = FIELDS[setting.key];
          const id = fieldId(setting.key);
          const error = errors[setting.key];
          const described = [`${id}-source`, error === undefined ? '' : `${id}-error`].join(' ').trim();
          const common = {
            id,
            disabled: setting.locked || busy,
            'aria-invalid': error !== undefined,
            'aria-describedby': described,
          };
          const value = drafts[setting.key] ?? '';
          const onChange = (text: string): void => {
            setDrafts((now) => ({ ...now, [setting.key]: text }));
            setErrors(({ [setting.key]: _cleared, ...rest }) => rest);
          };
          return (
            <div key={setting.key} className={`setting${setting.locked ? ' locked' : ''}`}>
              <label htmlFor={id}>{field.label}</label>
              <div className="setting-control">
                {field.kind === 'choice' ? (
                  <select {...common} value={value} onChange={(event) => onChange(event.target.value)}>
                    {field.options.map(([option, label]) => (
                      <option key={option} value={option}>
                        {label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    {...common}
                    type={field.kind === 'text' ? 'text' : 'number'}
                    inputMode={
                      field.kind === 'integer' ? 'numeric' : field.kind === 'number' ? 'decimal' : undefined
                    }
                    min={field.kind === 'text' ? undefined : field.min}
                    max={field.kind === 'integer' ? field.max : undefined}
                    step={field.kind === 'number' ? field.step : field.kind === 'integer' ? 1 : undefined}
                    placeholder={field.kind === 'text' ? field.placeholder : undefined}
                    value={value}
                    autoComplete="off"
                    onChange={(event) => onChange(event.target.value)}
                  />
                )}
                {setting.locked && <span className="lock-badge">{ORGANIZATION}</span>}
                {!setting.locked && setting.saved !== undefined && (
                  <button
                    type="button"
                    className="link"
                    disabled={busy}
                    onClick={() =>
                      void send(
                        { [setting.key]: null },
                        `${field.label} is back to what applies without your setting.`,
                      )
                    }
                    aria-label={`Reset ${field.label}`}
                  >
                    Reset
                  </button>
                )}
              </div>
              <p id={`${id}-source`} className="setting-source muted">
                {setting.description} <span className="source-kind">({sourceText(setting)})</span>
              </p>
              {error !== undefined && (
                <p id={`${id}-error`} className="field-error down">
                  {error}
                </p>
              )}
            </div>
          );
        })}
        <div className="actions">
          <button type="submit" disabled={busy || changed.length === 0}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
          <button
            type="button"
            className="secondary"
            disabled={busy || changed.length === 0}
            onClick={() => {
              setDrafts(initial());
              setErrors({});
              setOutcome(undefined);
            }}
          >
            Discard
          </button>
        </div>
        {outcome !== undefined && (
          <p className={outcome.ok ? 'ok' : 'down'} role={outcome.ok ? 'status' : 'alert'}>
            {outcome.text}
          </p>
        )}
      </form>
    </section>
  );
}
