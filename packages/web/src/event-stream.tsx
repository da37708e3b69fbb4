/**
 * The live event stream: the newest version-2 indications, narrowed by object type, flag and
 * object name, with pause (the view freezes; arrivals are counted and kept in the ring).
 */
import { memo } from 'preact/compat';
import { useState } from 'preact/hooks';
import { V2_FAMILIES } from '@clusnotify/protocol';
import type { ClusterObjectType } from '@clusnotify/protocol';
import { WATCHED_TYPES } from './dashboard.js';
import { flagName, typeName } from './event-log.js';
import type { EventFilter, EventLog } from './event-log.js';

/**
 * Rows drawn at most while live (about what the panel shows: at 1,000 indications/s each
 * redraw rewrites them all, so fewer rows keep frames short) and while paused (then nothing
 * changes and the operator can scroll back).
 */
const SHOWN_LIVE = 40;
const SHOWN_PAUSED = 500;

function time(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** The flags a type's indications can carry (registrable ones). */
function flagsOf(objectType: number): number[] {
  const f = V2_FAMILIES[objectType as ClusterObjectType];
  if (f === undefined) return [];
  return Object.keys(f.specNames)
    .map(Number)
    .filter((flag) => (flag & f.clientOnly) === 0 && flag !== f.modifier);
}

/** The stream over `log`; redrawn when `tick` changes (or a control is used). */
export const EventStream = memo(function EventStream({
  log,
}: {
  readonly log: EventLog;
  readonly tick: number;
}) {
  const [objectType, setObjectType] = useState<number | undefined>(undefined);
  const [flag, setFlag] = useState<number | undefined>(undefined);
  const [object, setObject] = useState('');
  const [pausedAt, setPausedAt] = useState<number | undefined>(undefined);
  const filter: EventFilter = { objectType, flag, object };
  const rows = log.query(filter, pausedAt === undefined ? SHOWN_LIVE : SHOWN_PAUSED, pausedAt);
  const waiting = pausedAt === undefined ? 0 : log.lastSeq - pausedAt;
  return (
    <section class="panel stream" aria-label="Event stream">
      <header class="panel-head">
        <h2>Event stream</h2>
        <span class="muted">v2 indications, newest first</span>
        <span class="spacer" />
        <div class="filters">
          <select
            aria-label="Object type"
            value={objectType === undefined ? '' : String(objectType)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setObjectType(v === '' ? undefined : Number(v));
              setFlag(undefined);
            }}
          >
            <option value="">all types</option>
            {WATCHED_TYPES.map((t) => (
              <option key={t} value={String(t)}>
                {typeName(t).toLowerCase().replace(/_/g, ' ')}
              </option>
            ))}
          </select>
          <select
            aria-label="Flag"
            disabled={objectType === undefined}
            value={flag === undefined ? '' : String(flag)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setFlag(v === '' ? undefined : Number(v));
            }}
          >
            <option value="">all flags</option>
            {objectType !== undefined &&
              flagsOf(objectType).map((f) => (
                <option key={f} value={String(f)}>
                  {flagName(objectType, f)}
                </option>
              ))}
          </select>
          <input
            type="search"
            aria-label="Object name"
            placeholder="object name"
            value={object}
            onInput={(e) => setObject(e.currentTarget.value)}
          />
          <button
            type="button"
            class={`btn ${pausedAt === undefined ? '' : 'active'}`}
            aria-pressed={pausedAt !== undefined}
            onClick={() => setPausedAt(pausedAt === undefined ? log.lastSeq : undefined)}
          >
            {pausedAt === undefined ? 'Pause' : `Resume (${waiting.toLocaleString()} new)`}
          </button>
        </div>
      </header>
      <div class="table-wrap">
        <table class="events">
          <thead>
            <tr>
              <th class="c-time">time</th>
              <th class="c-rev">revision</th>
              <th class="c-type">type</th>
              <th class="c-flag">flag</th>
              <th class="c-name">object</th>
              <th>detail</th>
            </tr>
          </thead>
          <tbody>
            {/* Keyed by position: at 1,000 indications/s every row changes between two
                renders, and rewriting cells costs less than replacing rows. */}
            {rows.map((r, i) => (
              <tr key={i} class={r.alert ? 'alert' : undefined} data-type={r.typeName}>
                <td class="c-time mono">{time(r.at)}</td>
                <td class="c-rev mono">{r.revision}</td>
                <td class="c-type">{r.typeName}</td>
                <td class="c-flag mono">{r.flagName}</td>
                <td class="c-name">{r.name}</td>
                <td class="c-detail">{r.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && (
          <p class="muted empty">
            {log.total === 0 ? 'Waiting for indications…' : 'No indications match.'}
          </p>
        )}
      </div>
    </section>
  );
});
