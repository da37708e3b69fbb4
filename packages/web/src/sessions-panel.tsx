/**
 * Ports and sessions: every session of the server with its notification ports, their queue
 * depth against the bound, dropped and delivered counts; the server's totals above.
 */
import { memo } from 'preact/compat';
import type { ServerInfo, SessionList } from '@clusnotify/client';

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

const n = (x: number): string => x.toLocaleString('en-US');

/**
 * The panel; `localQueued` / `localDropped` are this page's own client-side queue. Drawn again
 * only when a poll brought new figures.
 */
export const SessionsPanel = memo(function SessionsPanel({
  sessions,
  server,
  localQueued,
  localDropped,
}: {
  readonly sessions: SessionList | undefined;
  readonly server: ServerInfo | undefined;
  readonly localQueued: number;
  readonly localDropped: number;
}) {
  const now = Date.now();
  return (
    <section class="panel sessions" aria-label="Ports and sessions">
      <header class="panel-head">
        <h2>Ports and sessions</h2>
      </header>
      {server !== undefined && (
        <dl class="figures">
          <div>
            <dt>sessions</dt>
            <dd data-figure="sessions">{n(server.sessions)}</dd>
          </div>
          <div>
            <dt>ports</dt>
            <dd data-figure="ports">{n(server.ports)}</dd>
          </div>
          <div>
            <dt>queued</dt>
            <dd data-figure="queued">{n(server.queued)}</dd>
          </div>
          <div>
            <dt>delivered</dt>
            <dd data-figure="delivered">{n(server.delivered)}</dd>
          </div>
          <div>
            <dt>dropped</dt>
            <dd data-figure="dropped" class={server.dropped > 0 ? 'tone-text-bad' : undefined}>
              {n(server.dropped)}
            </dd>
          </div>
        </dl>
      )}
      <p class="muted local">
        this page: local queue {n(localQueued)}, dropped {n(localDropped)}
      </p>
      <div class="table-wrap">
        <table class="ports">
          <thead>
            <tr>
              <th>session / port</th>
              <th>age</th>
              <th class="num">queue</th>
              <th class="num">dropped</th>
              <th class="num">delivered</th>
            </tr>
          </thead>
          {sessions?.sessions.map((s) => (
            <tbody key={s.id} data-session={s.id}>
              <tr class="session-row">
                <td>
                  <span class="mono nowrap">{s.id}</span>{' '}
                  <span class={`access access-${s.access}`}>{s.access}</span>
                  <span class="client muted">
                    {s.client === '' ? 'in process' : s.client}
                    {s.self ? ' (this page)' : ''}
                  </span>
                </td>
                <td>{ago(s.openedAt, now)}</td>
                <td class="num">{n(s.queued)}</td>
                <td class={`num ${s.dropped > 0 ? 'tone-text-bad' : ''}`}>{n(s.dropped)}</td>
                <td class="num">{n(s.delivered)}</td>
              </tr>
              {s.ports.map((p, i) => (
                <tr class="port-row" key={i}>
                  <td>
                    port v{p.version} · {p.filters} filter{p.filters === 1 ? '' : 's'}
                    {p.streamed ? ' · streamed' : p.parked > 0 ? ' · reading' : ''}
                    {p.state !== 'open' ? ` · ${p.state}` : ''}
                  </td>
                  <td />
                  <td class="num">
                    <span class="meter" title={`${n(p.queued)} of ${n(p.maxQueued)}`}>
                      <span
                        class={`meter-fill ${p.queued / p.maxQueued > 0.8 ? 'hot' : ''}`}
                        style={{
                          width: `${Math.min(100, (100 * p.queued) / Math.max(1, p.maxQueued))}%`,
                        }}
                      />
                    </span>
                    {n(p.queued)}
                  </td>
                  <td class={`num ${p.dropped > 0 ? 'tone-text-bad' : ''}`}>{n(p.dropped)}</td>
                  <td class="num">{n(p.delivered)}</td>
                </tr>
              ))}
              {s.portCount > s.ports.length && (
                <tr class="port-row">
                  <td class="muted" colSpan={5}>
                    and {n(s.portCount - s.ports.length)} more ports
                  </td>
                </tr>
              )}
            </tbody>
          ))}
        </table>
        {sessions !== undefined && sessions.total > sessions.sessions.length && (
          <p class="muted">
            {n(sessions.total - sessions.sessions.length)} more sessions not listed
          </p>
        )}
      </div>
    </section>
  );
});
