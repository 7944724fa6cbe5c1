import type { HealthStatus, TaskFailure } from '@steward/contracts';
import { useEffect } from 'react';
import { api, errorText } from './api.js';
import { firstLine } from './format.js';
import { HealthPill, HealthTable, useHealth, type Health } from './health.js';
import { Link } from './link.js';
import { taskPath } from './router.js';
import { usePolling } from './use-polling.js';

/** GET /api/policy, as much of it as this view reads. */
interface PolicyIssue {
  readonly code: string;
  readonly message: string;
  readonly key?: string;
  readonly source?: string;
}
interface Policy {
  readonly version: string;
  readonly loadedAt: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly sources: Readonly<Record<string, { readonly kind: string; readonly detail: string }>>;
  readonly managed: Readonly<Record<string, boolean>>;
  readonly errors: readonly PolicyIssue[];
  readonly warnings: readonly PolicyIssue[];
}

const POLICY_REFRESH_MS = 5_000;
const FAILURES_REFRESH_MS = 10_000;
const FAILURES_SHOWN = 20;

const SOURCE_LABEL: Record<string, string> = {
  managed: 'Organization',
  'fail-closed': 'Organization (failed closed)',
  flag: 'Command-line flag',
  env: 'Environment',
  settings: 'Your settings',
  default: 'Default',
};

function formatValue(value: unknown): string {
  if (value === null) return 'not set';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(String).join(', ');
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const loadPolicy = (): Promise<Policy> => api<Policy>('/api/policy');
const loadFailures = (): Promise<readonly TaskFailure[]> =>
  api<{ failures: TaskFailure[] }>(`/api/admin/failures?limit=${FAILURES_SHOWN}`).then(
    (answer) => answer.failures,
  );

export function AdminPage() {
  const health = useHealth();
  const policy = usePolling(loadPolicy, POLICY_REFRESH_MS);
  const failures = usePolling(loadFailures, FAILURES_REFRESH_MS);
  useEffect(() => {
    document.title = 'Admin · Steward';
  }, []);

  return (
    <main className="view-page admin-page">
      <header className="page-head">
        <h1>Admin</h1>
        <HealthPill health={health.health} />
        <Link to="/settings" className="head-link">
          Settings
        </Link>
      </header>
      <HealthTable {...health} />
      <SandboxCard health={health} />
      <RecentErrors
        health={health}
        policy={policy.value}
        policyError={policy.error}
        failures={failures.value}
        failuresError={failures.error}
        retryFailures={failures.reload}
      />
      <PolicyTable policy={policy.value} error={policy.error} retry={policy.reload} />
    </main>
  );
}

function SandboxCard(props: { readonly health: Health }) {
  const vm = props.health.health?.services['vm-service'];
  const checks = Object.entries(vm?.report?.checks ?? {});
  return (
    <section className="card" aria-labelledby="sandbox-title">
      <h2 id="sandbox-title">Sandbox</h2>
      {props.health.health === undefined ? (
        <p className="muted" role="status">
          Checking…
        </p>
      ) : (
        <dl className="facts">
          <div className="fact-row">
            <dt>Runtime</dt>
            <dd>{props.health.health.sandbox.runtime}</dd>
          </div>
          <div className="fact-row">
            <dt>vm-service</dt>
            <dd className={vm?.status ?? 'unknown'}>{vm?.status ?? 'unknown'}</dd>
          </div>
          {checks.map(([name, check]) => (
            <div key={name} className="fact-row">
              <dt>{name}</dt>
              <dd>
                <span className={check.status}>{check.status}</span>
                {check.detail === undefined ? '' : ` · ${check.detail}`}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

interface ErrorItem {
  readonly id: string;
  readonly kind: string;
  readonly severity: HealthStatus;
  readonly text: string;
  readonly at?: string;
  readonly taskId?: string;
}

function serviceItems(health: Health): ErrorItem[] {
  const services = health.health?.services ?? {};
  return Object.entries(services)
    .filter(([, service]) => service.status !== 'ok')
    .map(([name, service]) => {
      const failing = Object.entries(service.report?.checks ?? {})
        .filter(([, check]) => check.status !== 'ok')
        .map(([check, result]) => `${check}: ${result.detail ?? result.status}`);
      const why = failing.length > 0 ? failing.join('; ') : (service.detail ?? 'no answer');
      return {
        id: `service:${name}`,
        kind: 'Service',
        severity: service.status === 'degraded' ? 'degraded' : 'down',
        text: `${name} is ${service.status}: ${why}`,
        ...(health.checkedAt === undefined ? {} : { at: health.checkedAt.toISOString() }),
      };
    });
}

function RecentErrors(props: {
  readonly health: Health;
  readonly policy: Policy | undefined;
  readonly policyError: unknown;
  readonly failures: readonly TaskFailure[] | undefined;
  readonly failuresError: unknown;
  readonly retryFailures: () => void;
}) {
  const items: ErrorItem[] = [
    ...serviceItems(props.health),
    ...(props.policy?.errors ?? []).map((issue, i): ErrorItem => ({
      id: `policy-error:${i}:${issue.message}`,
      kind: 'Policy',
      severity: 'down',
      text: issue.message,
      at: props.policy?.loadedAt ?? '',
    })),
    ...(props.policy?.warnings ?? []).map((issue, i): ErrorItem => ({
      id: `policy-warning:${i}:${issue.message}`,
      kind: 'Policy',
      severity: 'degraded',
      text: issue.message,
      at: props.policy?.loadedAt ?? '',
    })),
    ...(props.failures ?? []).map((failure): ErrorItem => ({
      id: `task:${failure.taskId}`,
      kind: failure.status === 'interrupted' ? 'Task interrupted' : 'Task failed',
      severity: 'down',
      text: failure.error,
      at: failure.at,
      taskId: failure.taskId,
    })),
  ];
  const prompts = new Map((props.failures ?? []).map((failure) => [failure.taskId, failure.prompt]));
  const loading =
    props.health.health === undefined ||
    (props.policy === undefined && props.policyError === undefined) ||
    (props.failures === undefined && props.failuresError === undefined);

  return (
    <section className="card" aria-labelledby="errors-title">
      <h2 id="errors-title">Recent errors</h2>
      {props.failuresError !== undefined && (
        <div role="alert" className="load-error">
          <p className="down">Failed tasks could not be loaded: {errorText(props.failuresError)}</p>
          <button type="button" className="secondary" onClick={props.retryFailures}>
            Try again
          </button>
        </div>
      )}
      {items.length === 0 ? (
        <p className="muted" role="status">
          {loading
            ? 'Checking…'
            : 'None: every service is healthy, the policy loaded cleanly, and no task failed recently.'}
        </p>
      ) : (
        <ul className="error-list" aria-label="Recent errors">
          {items.map((item) => (
            <li key={item.id} className={`error-item sev-${item.severity}`}>
              <span className="error-kind">{item.kind}</span>
              {item.taskId === undefined ? (
                <span className="error-text">{item.text}</span>
              ) : (
                <span className="error-text">
                  <Link to={taskPath(item.taskId)}>
                    {firstLine(prompts.get(item.taskId) ?? item.taskId, 70)}
                  </Link>
                  {`: ${item.text}`}
                </span>
              )}
              {item.at !== undefined && item.at !== '' && (
                <time className="muted" dateTime={item.at}>
                  {new Date(item.at).toLocaleString()}
                </time>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PolicyTable(props: {
  readonly policy: Policy | undefined;
  readonly error: unknown;
  readonly retry: () => void;
}) {
  const { policy } = props;
  return (
    <section className="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Policy in force</h2>
      {props.error !== undefined && (
        <div role="alert" className="load-error">
          <p className="down">The policy could not be loaded: {errorText(props.error)}</p>
          <button type="button" className="secondary" onClick={props.retry}>
            Try again
          </button>
        </div>
      )}
      {policy === undefined ? (
        props.error === undefined && (
          <p className="muted" role="status">
            Loading the policy…
          </p>
        )
      ) : (
        <>
          <p className="muted">
            Version <code>{policy.version}</code>, loaded {new Date(policy.loadedAt).toLocaleString()}.
            Organization values come from managed policy and cannot be changed here.
          </p>
          <div className="table-scroll">
            <table aria-label="Policy in force" className="policy-table">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Value</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {Object.keys(policy.values).map((key) => {
                  const source = policy.sources[key];
                  return (
                    <tr key={key} className={policy.managed[key] === true ? 'managed' : undefined}>
                      <th scope="row">
                        <code>{key}</code>
                      </th>
                      <td>{formatValue(policy.values[key])}</td>
                      <td>
                        <span className="source-kind">
                          {SOURCE_LABEL[source?.kind ?? ''] ?? source?.kind}
                        </span>
                        {policy.managed[key] === true && (
                          <span className="lock-badge">set by your organization</span>
                        )}
                        {source !== undefined && source.detail !== source.kind && (
                          <span className="source-detail muted">{source.detail}</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
