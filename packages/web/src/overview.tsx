/**
 * The cluster overview: one column per node with its state, the groups it owns with their
 * resources, all in state colours; action buttons for a full-access session.
 */
import { memo } from 'preact/compat';
import { useState } from 'preact/hooks';
import type { GroupView, NodeView, ResourceView, StateView } from './cluster-model.js';
import type { ClusterView } from './cluster-model.js';
import type { Action } from './dashboard.js';

/** A state badge. */
export function Badge({ state }: { readonly state: StateView }) {
  return <span class={`badge tone-${state.tone}`}>{state.label}</span>;
}

interface ActProps {
  /** Undefined for a read-only session: no buttons are drawn. */
  readonly onAction: ((a: Action) => void) | undefined;
}

function ResourceRow({ r, onAction }: { readonly r: ResourceView } & ActProps) {
  return (
    <li class="resource" data-resource={r.name}>
      <span class={`dot tone-${r.state.tone}`} aria-hidden="true" />
      <span class="resource-name" title={r.typeName}>
        {r.name}
      </span>
      <span class={`state-text tone-${r.state.tone}`}>{r.state.label}</span>
      {onAction !== undefined && (
        <span class="row-actions">
          {r.state.tone === 'off' || r.state.tone === 'bad' ? (
            <button
              type="button"
              class="btn small"
              onClick={() => onAction({ type: 'resource.online', resource: r.name })}
            >
              Online
            </button>
          ) : (
            <button
              type="button"
              class="btn small"
              onClick={() => onAction({ type: 'resource.offline', resource: r.name })}
            >
              Offline
            </button>
          )}
        </span>
      )}
    </li>
  );
}

function GroupCard({
  g,
  nodes,
  onAction,
}: { readonly g: GroupView; readonly nodes: readonly NodeView[] } & ActProps) {
  const targets = nodes.filter((n) => n.id !== g.ownerNodeId);
  const [target, setTarget] = useState('');
  const chosen = targets.find((n) => n.name === target)?.name ?? targets[0]?.name ?? '';
  return (
    <section class={`group tone-edge-${g.state.tone}`} data-group={g.name}>
      <header class="group-head">
        <span class="group-name">{g.name}</span>
        <Badge state={g.state} />
      </header>
      <ul class="resources">
        {g.resources.map((r) => (
          <ResourceRow key={r.id} r={r} onAction={onAction} />
        ))}
        {g.resources.length === 0 && <li class="muted">no resources</li>}
      </ul>
      {onAction !== undefined && (
        <footer class="group-actions">
          <select
            aria-label={`Move ${g.name} to`}
            value={chosen}
            onChange={(e) => setTarget(e.currentTarget.value)}
          >
            {targets.map((n) => (
              <option key={n.id} value={n.name}>
                {n.name}
              </option>
            ))}
          </select>
          <button
            type="button"
            class="btn small"
            disabled={chosen === ''}
            onClick={() => onAction({ type: 'group.move', group: g.name, node: chosen })}
          >
            Move
          </button>
          <span class="spacer" />
          {g.state.tone === 'off' || g.state.tone === 'bad' ? (
            <button
              type="button"
              class="btn small"
              onClick={() => onAction({ type: 'group.online', group: g.name })}
            >
              Online
            </button>
          ) : (
            <button
              type="button"
              class="btn small"
              onClick={() => onAction({ type: 'group.offline', group: g.name })}
            >
              Offline
            </button>
          )}
        </footer>
      )}
    </section>
  );
}

/** The overview of `view`; drawn again only when the snapshot or the action handler changes. */
export const Overview = memo(function Overview({
  view,
  onAction,
}: { readonly view: ClusterView } & ActProps) {
  return (
    <div class="nodes">
      {view.nodes.map((n) => (
        <article class={`node tone-edge-${n.state.tone}`} data-node={n.name} key={n.id}>
          <header class="node-head">
            <span class="node-name">{n.name}</span>
            <Badge state={n.state} />
            {onAction !== undefined && (
              <span class="row-actions">
                {n.state.tone === 'warn' ? (
                  <button
                    type="button"
                    class="btn small"
                    onClick={() => onAction({ type: 'node.resume', node: n.name })}
                  >
                    Resume
                  </button>
                ) : (
                  <button
                    type="button"
                    class="btn small"
                    disabled={n.state.tone !== 'ok'}
                    onClick={() => onAction({ type: 'node.pause', node: n.name })}
                  >
                    Pause
                  </button>
                )}
              </span>
            )}
          </header>
          <div class="node-groups">
            {n.groups.map((g) => (
              <GroupCard key={g.id} g={g} nodes={view.nodes} onAction={onAction} />
            ))}
            {n.groups.length === 0 && <p class="muted empty">no groups</p>}
          </div>
        </article>
      ))}
      {view.orphanGroups.length > 0 && (
        <article class="node tone-edge-bad" data-node="">
          <header class="node-head">
            <span class="node-name">No owner</span>
          </header>
          <div class="node-groups">
            {view.orphanGroups.map((g) => (
              <GroupCard key={g.id} g={g} nodes={view.nodes} onAction={onAction} />
            ))}
          </div>
        </article>
      )}
    </div>
  );
});
