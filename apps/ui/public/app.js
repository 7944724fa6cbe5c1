// The first page: the health of the stack and a folder check. Everything is rendered with
// textContent, never innerHTML, so names and messages from the system render inert.
const REFRESH_MS = 2000;
const ORDER = ['ui', 'orchestrator', 'fs-service', 'vm-service', 'plugin-host', 'scheduler'];

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function describe(service) {
  const report = service.report;
  if (!report) return service.detail ?? '';
  const failing = Object.entries(report.checks ?? {})
    .filter(([, check]) => check.status !== 'ok')
    .map(([name, check]) => `${name}: ${check.detail ?? check.status}`);
  const uptime = Math.round((report.uptimeMs ?? 0) / 1000);
  return [
    `v${report.version}`,
    `pid ${report.pid}`,
    `up ${uptime}s`,
    `start #${report.starts}`,
    ...failing,
  ].join(' · ');
}

async function refresh() {
  let health;
  let detailed = true;
  try {
    let res = await fetch('/api/health/details', { credentials: 'same-origin' });
    if (res.status === 401) {
      detailed = false;
      res = await fetch('/api/health');
    }
    health = await res.json();
  } catch {
    health = { status: 'down', services: {}, sandbox: { runtime: 'unknown' } };
  }
  document.getElementById('signin').hidden = detailed;
  const overall = document.getElementById('overall');
  overall.textContent =
    { ok: 'All services healthy', degraded: 'Degraded', down: 'Something is down' }[health.status] ??
    'Unknown';
  overall.className = `pill ${health.status}`;
  const body = document.getElementById('services');
  body.replaceChildren(
    ...ORDER.map((name) => {
      const service = health.services?.[name] ?? { status: 'unknown' };
      const row = el('tr');
      row.append(
        el('td', {}, name),
        el('td', { class: service.status }, service.status),
        el('td', { class: 'detail' }, describe(service)),
      );
      return row;
    }),
  );
  document.getElementById('sandbox').textContent = health.sandbox?.runtime ?? 'unknown';
  document.getElementById('checked').textContent = new Date().toLocaleTimeString();
}

async function checkFolder(event) {
  event.preventDefault();
  const folder = document.getElementById('folder').value.trim();
  const out = document.getElementById('folder-result');
  out.replaceChildren(el('p', { class: 'meta' }, 'Checking…'));
  try {
    const res = await fetch('/api/folders/inspect', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ folders: [folder] }),
    });
    const body = await res.json();
    if (!res.ok) {
      out.replaceChildren(el('p', { class: 'down' }, body.error?.message ?? `failed (${res.status})`));
      return;
    }
    const lines = body.ready
      ? [el('p', { class: 'ok' }, 'Ready: Steward can work in this folder.')]
      : body.problems.map((p) => el('p', { class: 'down' }, p));
    out.replaceChildren(...lines);
  } catch (error) {
    out.replaceChildren(el('p', { class: 'down' }, String(error)));
  }
}

document.getElementById('folder-form').addEventListener('submit', checkFolder);
refresh();
setInterval(refresh, REFRESH_MS);
