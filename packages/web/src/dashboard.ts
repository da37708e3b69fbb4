/**
 * The dashboard's state and its connection: one `@clusnotify/client` session to the server
 * that served the page, a version-2 port on every object class feeding the event stream, the
 * cluster snapshot refreshed when indications say it changed, and the server's sessions and
 * figures polled once a second. Views subscribe and are told at most every 100 ms.
 */
import { ClusnotifyError, ClusterObjectType as T, V2_FAMILIES } from '@clusnotify/protocol';
import type { ClusterObjectType } from '@clusnotify/protocol';
import { connect } from '@clusnotify/client';
import type {
  Client,
  ClientPort,
  ClientState,
  ClusterCommand,
  PortFilter,
  ServerInfo,
  SessionList,
} from '@clusnotify/client';
import { clusterView } from './cluster-model.js';
import type { ClusterView } from './cluster-model.js';
import { EventLog } from './event-log.js';

/** Where the page is: asking for a token, connecting, live, or stopped on an error. */
export type Phase = 'token' | 'connecting' | 'live' | 'failed';

/** An operator action (each needs a full-access token and a confirmation). */
export type Action =
  | { readonly type: 'resource.online' | 'resource.offline'; readonly resource: string }
  | { readonly type: 'group.online' | 'group.offline'; readonly group: string }
  | { readonly type: 'group.move'; readonly group: string; readonly node: string }
  | { readonly type: 'node.pause' | 'node.resume'; readonly node: string };

/** The outcome of the last action, shown until the next. */
export interface ActionResult {
  readonly ok: boolean;
  readonly text: string;
}

/** Classes the stream watches: every object type the server raises v2 indications for. */
export const WATCHED_TYPES: readonly ClusterObjectType[] = [
  T.CLUSTER,
  T.NODE,
  T.GROUP,
  T.RESOURCE,
  T.RESOURCE_TYPE,
  T.NETWORK,
  T.NETWORK_INTERFACE,
  T.REGISTRY,
  T.QUORUM,
];

/** Types whose indications change what the overview shows. */
const OVERVIEW_TYPES: ReadonlySet<number> = new Set([T.CLUSTER, T.NODE, T.GROUP, T.RESOURCE]);

const TOKEN_KEY = 'clusnotify.token';
/**
 * Least time between two views' updates, between two redraws of the event stream, and between
 * two snapshot fetches. At 1,000 indications/s a redraw of the stream rewrites every row, so
 * it is drawn four times a second; the overview follows a change within about 250 ms.
 */
const RENDER_GAP_MS = 100;
const STREAM_GAP_MS = 250;
const REFRESH_GAP_MS = 250;
const POLL_MS = 1000;

/** The registrable flags of a type: all but the client-only ones. */
function registrable(objectType: ClusterObjectType): number {
  const f = V2_FAMILIES[objectType];
  return f === undefined ? 0 : (f.all & ~f.clientOnly) >>> 0;
}

/** A short description of an action, for the confirmation and the result line. */
export function describeAction(a: Action): string {
  switch (a.type) {
    case 'resource.online':
      return `Bring resource “${a.resource}” online`;
    case 'resource.offline':
      return `Take resource “${a.resource}” offline`;
    case 'group.online':
      return `Bring group “${a.group}” online`;
    case 'group.offline':
      return `Take group “${a.group}” offline`;
    case 'group.move':
      return `Move group “${a.group}” to ${a.node}`;
    case 'node.pause':
      return `Pause node ${a.node} (its groups stay; none move to it)`;
    case 'node.resume':
      return `Resume node ${a.node}`;
  }
}

/** The dashboard's model. */
export class Dashboard {
  phase: Phase = 'token';
  /** Why the page is asking for a token again, or why it failed. */
  error = '';
  connection: ClientState | 'idle' = 'idle';
  reconnects = 0;
  view: ClusterView | undefined;
  sessions: SessionList | undefined;
  server: ServerInfo | undefined;
  lastAction: ActionResult | undefined;
  /** Revision of the newest indication or snapshot seen. */
  revision = 0;
  readonly events = new EventLog(2000);
  /** Bumped (at most every 250 ms) when the stream has new rows: the stream redraws on it. */
  streamTick = 0;

  #client: Client | undefined;
  #port: ClientPort | undefined;
  readonly #listeners = new Set<() => void>();
  #renderTimer: ReturnType<typeof setTimeout> | undefined;
  #lastRender = 0;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshing = false;
  #refreshAgain = false;
  #lastRefresh = 0;
  #poller: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  #names = new Map<string, string>();
  #lastStreamTick = 0;
  /** The token of the last attempt, kept in memory only for a retry. */
  #token = '';
  #streamAt = 0;
  #streamTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly wsUrl: string,
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
  ) {}

  /** The client, once connected (for its access level and names). */
  get client(): Client | undefined {
    return this.#client;
  }

  /** Whether actions are offered: only a full-access session may run them. */
  get canAct(): boolean {
    return this.#client?.access === 'full';
  }

  /** Indications the local port held and dropped (its client-side queue), as of the last poll. */
  localQueue: { readonly queued: number; readonly dropped: number } = { queued: 0, dropped: 0 };

  /** Calls `listener` after changes (at most every 100 ms); returns its remover. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Connects with the token remembered for this browser session, if there is one. */
  resume(): void {
    const token = this.storage.getItem(TOKEN_KEY);
    if (token !== null && token !== '') void this.start(token);
  }

  /** Connects with `token`; remembers it for the browser session once the server accepts it. */
  async start(token: string): Promise<void> {
    if (this.phase === 'connecting' || this.phase === 'live') return;
    this.#token = token;
    this.phase = 'connecting';
    this.error = '';
    this.#changed(true);
    try {
      const client = await connect(this.wsUrl, {
        token,
        clientName: 'clusnotify-dashboard/0.1.0',
        reconnect: { initialDelayMs: 250, maxDelayMs: 5000 },
      });
      this.storage.setItem(TOKEN_KEY, token);
      this.#client = client;
      this.connection = client.state;
      client.onStateChange((s) => {
        const was = this.connection;
        this.connection = s;
        if (s === 'open' && (was === 'reconnecting' || was === 'disconnected')) {
          this.reconnects++;
          this.#refreshSoon();
        }
        this.#changed(true);
      });
      const filters: PortFilter[] = WATCHED_TYPES.map((objectType, i) => ({
        kind: 'v2',
        objectType,
        filterFlags: registrable(objectType),
        notifyKey: i + 1,
      }));
      this.#port = await client.openPort({ version: 2, filters });
      this.phase = 'live';
      void this.#read(this.#port);
      await this.#refresh();
      this.#poller = setInterval(() => void this.#poll(), POLL_MS);
      void this.#poll();
    } catch (e) {
      await this.#stop();
      if (e instanceof ClusnotifyError && e.code === 'AUTH_FAILED') {
        this.storage.removeItem(TOKEN_KEY);
        this.phase = 'token';
        this.error = 'The server did not accept this token.';
      } else {
        this.phase = 'failed';
        this.error = e instanceof Error ? e.message : String(e);
      }
    }
    this.#changed(true);
  }

  /** Tries again with the token of the last attempt (after a failure to connect). */
  retry(): Promise<void> {
    return this.start(this.#token);
  }

  /** Forgets the token and disconnects. */
  async signOut(): Promise<void> {
    this.storage.removeItem(TOKEN_KEY);
    this.#token = '';
    await this.#stop();
    this.phase = 'token';
    this.error = '';
    this.#changed(true);
  }

  /** Runs an action with the full-access session; the result is kept in `lastAction`. */
  async act(a: Action): Promise<void> {
    const client = this.#client;
    if (client === undefined || !this.canAct) return;
    const { type, ...rest } = a;
    const command: ClusterCommand = { type, ...rest };
    try {
      const r = await client.execute(command);
      this.lastAction = { ok: true, text: `${describeAction(a)}: done (revision ${r.revision})` };
      this.#refreshSoon();
    } catch (e) {
      const why =
        e instanceof ClusnotifyError
          ? `${e.code}: ${e.message}`
          : e instanceof Error
            ? e.message
            : String(e);
      this.lastAction = { ok: false, text: `${describeAction(a)}: refused — ${why}` };
    }
    this.#changed(true);
  }

  /** The name of an object id the overview knows. */
  nameOf(id: string): string | undefined {
    return this.#names.get(id);
  }

  async #stop(): Promise<void> {
    if (this.#poller !== undefined) clearInterval(this.#poller);
    if (this.#refreshTimer !== undefined) clearTimeout(this.#refreshTimer);
    this.#poller = undefined;
    this.#refreshTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#port = undefined;
    this.connection = 'idle';
    await client?.close();
  }

  async #read(port: ClientPort): Promise<void> {
    const nameOf = (id: string): string | undefined => this.#names.get(id);
    for await (const i of port) {
      if (i.version !== 2) continue;
      this.events.push(i, Date.now(), nameOf);
      if (i.revision > this.revision) this.revision = i.revision;
      if (OVERVIEW_TYPES.has(i.filterAndType.objectType)) this.#refreshSoon();
      this.#changed(false);
    }
  }

  /** Called for every render: lets the stream redraw when it has news and its gap passed. */
  #tickStream(now: number): void {
    if (this.events.lastSeq === this.#lastStreamTick) return;
    const wait = this.#streamAt + STREAM_GAP_MS - now;
    if (wait <= 0) {
      this.#lastStreamTick = this.events.lastSeq;
      this.#streamAt = now;
      this.streamTick++;
    } else if (this.#streamTimer === undefined) {
      // News that must not wait for the next arrival: draw it when the gap has passed.
      this.#streamTimer = setTimeout(() => {
        this.#streamTimer = undefined;
        this.#changed(false);
      }, wait);
    }
  }

  /** Fetches the snapshot soon: at once if the last fetch was long enough ago. */
  #refreshSoon(): void {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    if (this.#refreshTimer !== undefined) return;
    const wait = Math.max(0, this.#lastRefresh + REFRESH_GAP_MS - Date.now());
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      void this.#refresh();
    }, wait);
  }

  async #refresh(): Promise<void> {
    const client = this.#client;
    if (client === undefined || client.state !== 'open') return;
    this.#refreshing = true;
    this.#lastRefresh = Date.now();
    try {
      const v = clusterView(await client.getClusterState());
      this.view = v;
      const names = new Map<string, string>();
      for (const n of v.nodes) {
        names.set(n.id, n.name);
        for (const g of n.groups) {
          names.set(g.id, g.name);
          for (const r of g.resources) names.set(r.id, r.name);
        }
      }
      this.#names = names;
      if (v.revision > this.revision) this.revision = v.revision;
    } catch {
      // The connection went away: the reconnect refreshes again.
    } finally {
      this.#refreshing = false;
    }
    if (this.#refreshAgain) {
      this.#refreshAgain = false;
      this.#refreshSoon();
    }
    this.#changed(true);
  }

  async #poll(): Promise<void> {
    const client = this.#client;
    if (client === undefined || client.state !== 'open' || this.#polling) return;
    this.#polling = true;
    try {
      const [sessions, server] = await Promise.all([client.listSessions(), client.getServerInfo()]);
      this.sessions = sessions;
      this.server = server;
      this.localQueue = { queued: this.#port?.queued ?? 0, dropped: this.#port?.dropped ?? 0 };
      if (server.revision > this.revision) this.revision = server.revision;
    } catch {
      // Shown as the connection state; the next poll tries again.
    } finally {
      this.#polling = false;
    }
    this.#changed(false);
  }

  /** Tells the views, now (`urgent`) or within 100 ms of the last time. */
  #changed(urgent: boolean): void {
    if (this.#renderTimer !== undefined) {
      if (!urgent) return;
      clearTimeout(this.#renderTimer);
    }
    const wait = urgent ? 0 : Math.max(0, this.#lastRender + RENDER_GAP_MS - Date.now());
    this.#renderTimer = setTimeout(() => {
      this.#renderTimer = undefined;
      this.#lastRender = Date.now();
      this.#tickStream(this.#lastRender);
      for (const l of [...this.#listeners]) l();
    }, wait);
  }
}
