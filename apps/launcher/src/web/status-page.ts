import type { DemoUser } from '@dynapharm/db';
import { GATEWAY_STATS_PATH } from '../front-door/routes.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The launcher's status page (`/launcher/`, and `/` while `apps/web` has no
 * build): the gateway replicas (from
 * `/ws-stats`, refreshed every 2 s), the API's health, and the demo logins.
 */
export function statusPage(users: readonly DemoUser[]): string {
  const rows = users
    .map(
      (u) =>
        `<tr><td><code>${escapeHtml(u.id)}</code></td><td>${escapeHtml(u.role)}</td><td>${escapeHtml(u.name)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dynapharm Realtime — local cluster</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2630; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #dde3ea; }
  .ok { color: #0a7a3a; } .bad { color: #b3261e; } .muted { color: #66707a; }
  code { background: #f2f5f8; padding: 0 .25rem; border-radius: 3px; }
</style>
</head>
<body>
<h1>Dynapharm Realtime — local cluster</h1>
<p class="muted">The local launcher's status page (served at <code>/</code> while apps/web is not built; the web console is at <a href="/">/</a> once it is).</p>
<p>API: <span id="api">…</span> · <a href="/api/openapi.json">/api/openapi.json</a> ·
   <a href="/api/auth/dev-users">/api/auth/dev-users</a> · <a href="${GATEWAY_STATS_PATH}">${GATEWAY_STATS_PATH}</a></p>
<h2>Gateway replicas <span id="total" class="muted"></span></h2>
<table><thead><tr><th>replica</th><th>connections</th><th>rooms</th><th>events/s</th><th>deliveries/s</th><th>state</th><th>since</th></tr></thead>
<tbody id="replicas"><tr><td colspan="7" class="muted">loading…</td></tr></tbody></table>
<h2>Demo logins</h2>
<p><code>POST /api/auth/dev-login {"userId": "…"}</code> returns a token for the REST API and the Socket.IO handshake (<code>auth: { token }</code>, path <code>/ws</code>).</p>
<table><thead><tr><th>user id</th><th>role</th><th>name</th></tr></thead><tbody>${rows}</tbody></table>
<script>
const text = (tag, value, cls) => { const el = document.createElement(tag); el.textContent = value; if (cls) el.className = cls; return el; };
async function refresh() {
  const api = document.getElementById('api');
  try {
    const res = await fetch('/api/ready');
    const body = await res.json();
    api.textContent = res.ok ? 'ready' : 'not ready (' + JSON.stringify(body) + ')';
    api.className = res.ok ? 'ok' : 'bad';
  } catch (err) { api.textContent = 'unreachable'; api.className = 'bad'; }
  const tbody = document.getElementById('replicas');
  try {
    const res = await fetch('${GATEWAY_STATS_PATH}');
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const stats = await res.json();
    document.getElementById('total').textContent = '(' + stats.totals.replicas + ' live, ' + stats.totals.connections + ' connections)';
    tbody.replaceChildren(...stats.replicas.map((r) => {
      const tr = document.createElement('tr');
      tr.append(text('td', r.replicaId), text('td', r.connections), text('td', r.rooms), text('td', r.eventsPerSec),
        text('td', r.deliveriesPerSec), text('td', r.draining ? 'draining' : 'serving', r.draining ? 'bad' : 'ok'),
        text('td', new Date(r.startedAt).toLocaleTimeString()));
      return tr;
    }));
  } catch (err) {
    tbody.replaceChildren(text('tr', ''));
    tbody.firstChild.append(text('td', 'gateway stats unavailable: ' + err.message, 'bad'));
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
}
