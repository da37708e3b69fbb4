/**
 * The page: the token form on first visit, then the header (cluster, revision, connection,
 * rate), the overview, the event stream and the ports and sessions; actions go through a
 * confirmation dialog.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeAction } from './dashboard.js';
import type { Action, Dashboard } from './dashboard.js';
import { EventStream } from './event-stream.js';
import { Overview } from './overview.js';
import { SessionsPanel } from './sessions-panel.js';

function TokenForm({ dashboard }: { readonly dashboard: Dashboard }) {
  const [token, setToken] = useState('');
  const busy = dashboard.phase === 'connecting';
  return (
    <main class="gate">
      <form
        class="gate-card"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim() !== '') void dashboard.start(token.trim());
        }}
      >
        <h1>
          <span class="brand">clusnotify</span> dashboard
        </h1>
        <p class="muted">
          Enter an access token (<code>clusnotify token create</code>). A read token watches; a full
          token can also run actions. The token is kept for this browser tab only.
        </p>
        <label for="token">Access token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="cn_…"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        {dashboard.error !== '' && (
          <p class="error" role="alert">
            {dashboard.error}
          </p>
        )}
        <button type="submit" class="btn primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Connecting…' : 'Connect'}
        </button>
      </form>
    </main>
  );
}

function Confirm({
  action,
  onConfirm,
  onCancel,
}: {
  readonly action: Action;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}) {
  const ok = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    ok.current?.focus();
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    <div class="overlay" role="presentation">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
        <h2 id="confirm-title">Confirm</h2>
        <p>{describeAction(action)}?</p>
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" class="btn primary" ref={ok} onClick={onConfirm}>
            Confirm
          </button>
        </div>
      </div>
    </div>
  );
}

const CONNECTION_TONE = {
  idle: 'off',
  connecting: 'pending',
  open: 'ok',
  reconnecting: 'warn',
  disconnected: 'bad',
  closed: 'off',
} as const;

function Header({ dashboard }: { readonly dashboard: Dashboard }) {
  const c = dashboard.client;
  const rate = dashboard.events.rate(Date.now());
  return (
    <header class="topbar">
      <span class="brand">clusnotify</span>
      <span class="cluster-name" data-cluster>
        {dashboard.view?.name ?? c?.clusterName ?? ''}
      </span>
      <span class="muted">via {c?.serverName ?? '…'}</span>
      <span class="spacer" />
      <span class="stat">
        <span class="stat-label">revision</span>
        <span class="mono" data-figure="revision">
          {dashboard.revision}
        </span>
      </span>
      <span class="stat">
        <span class="stat-label">indications</span>
        <span class="mono" data-figure="rate">
          {rate.toLocaleString('en-US')}/s
        </span>
      </span>
      <span class="stat">
        <span class="stat-label">received</span>
        <span class="mono" data-figure="received">
          {dashboard.events.total.toLocaleString('en-US')}
        </span>
      </span>
      <span
        class={`pill tone-${CONNECTION_TONE[dashboard.connection]}`}
        data-connection={dashboard.connection}
      >
        {dashboard.connection}
      </span>
      <span class="stat">
        <span class="stat-label">reconnects</span>
        <span class="mono" data-figure="reconnects">
          {dashboard.reconnects}
        </span>
      </span>
      <span class={`access access-${c?.access ?? 'read'}`}>
        {c?.access === 'full' ? 'full access' : 'read only'}
      </span>
      <button type="button" class="btn small" onClick={() => void dashboard.signOut()}>
        Sign out
      </button>
    </header>
  );
}

/** The whole page over `dashboard`. */
export function App({ dashboard }: { readonly dashboard: Dashboard }) {
  const [, setTick] = useState(0);
  const [pending, setPending] = useState<Action | undefined>(undefined);
  useEffect(() => dashboard.subscribe(() => setTick((t) => t + 1)), [dashboard]);
  useEffect(() => dashboard.resume(), [dashboard]);

  if (dashboard.phase === 'token' || (dashboard.phase === 'connecting' && !dashboard.client))
    return <TokenForm dashboard={dashboard} />;
  if (dashboard.phase === 'failed')
    return (
      <main class="gate">
        <div class="gate-card">
          <h1>
            <span class="brand">clusnotify</span> dashboard
          </h1>
          <p class="error" role="alert">
            Could not connect: {dashboard.error}
          </p>
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={() => void dashboard.signOut()}>
              Other token
            </button>
            <button type="button" class="btn primary" onClick={() => void dashboard.retry()}>
              Retry
            </button>
          </div>
        </div>
      </main>
    );

  const onAction = dashboard.canAct ? setPending : undefined;
  const last = dashboard.lastAction;
  return (
    <div class="shell">
      <Header dashboard={dashboard} />
      {last !== undefined && (
        <div class={`notice ${last.ok ? 'ok' : 'bad'}`} role="status">
          {last.text}
        </div>
      )}
      <main class="grid">
        <section class="panel overview" aria-label="Cluster overview">
          <header class="panel-head">
            <h2>Cluster</h2>
            <span class="muted">
              {dashboard.view === undefined
                ? 'loading…'
                : `${dashboard.view.nodes.length} nodes · ${dashboard.view.resourceCount} resources · snapshot r${dashboard.view.revision}`}
            </span>
          </header>
          {dashboard.view !== undefined && <Overview view={dashboard.view} onAction={onAction} />}
        </section>
        <EventStream log={dashboard.events} tick={dashboard.streamTick} />
        <SessionsPanel
          sessions={dashboard.sessions}
          server={dashboard.server}
          localQueued={dashboard.localQueue.queued}
          localDropped={dashboard.localQueue.dropped}
        />
      </main>
      {pending !== undefined && (
        <Confirm
          action={pending}
          onCancel={() => setPending(undefined)}
          onConfirm={() => {
            const a = pending;
            setPending(undefined);
            void dashboard.act(a);
          }}
        />
      )}
    </div>
  );
}
