/**
 * The WebSocket the client speaks through, declared structurally: the browser's `WebSocket`,
 * Node.js 22's global `WebSocket` and the `ws` package's `WebSocket` all fit. Only the
 * `addEventListener` form is used, because it is the one all three share.
 */

/** The events of a {@link WebSocketLike} the client listens to. */
export interface WebSocketEvents {
  open: unknown;
  message: { readonly data: unknown };
  close: { readonly code: number; readonly reason: string };
  error: unknown;
}

/** The part of a WebSocket the client uses (it sends text frames; it reads text and binary). */
export interface WebSocketLike {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  readonly readyState: number;
  /** How binary messages arrive; the client sets `'arraybuffer'` where the default is Blobs. */
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener<K extends keyof WebSocketEvents>(
    type: K,
    listener: (event: WebSocketEvents[K]) => void,
  ): void;
}

/** A WebSocket constructor, e.g. `globalThis.WebSocket` or `import { WebSocket } from 'ws'`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket. */
export const WS_OPEN = 1;

/**
 * The WebSocket constructor to use: the one given, else the host's `globalThis.WebSocket`
 * (browsers, Node.js 22+), else the optional `ws` package (Node.js 20).
 *
 * @throws Error when none is available (`connect` turns it into NO_SERVER).
 */
export async function resolveWebSocket(
  given: WebSocketConstructor | undefined,
): Promise<WebSocketConstructor> {
  if (given !== undefined) return given;
  const g = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof g === 'function') return g;
  // A variable specifier keeps bundlers and the type checker from resolving `ws` in browsers.
  const specifier = 'ws';
  const mod = (await import(specifier)) as {
    WebSocket?: WebSocketConstructor;
    default?: WebSocketConstructor;
  };
  const ctor = mod.WebSocket ?? mod.default;
  if (typeof ctor !== 'function') throw new Error('the ws package exports no WebSocket');
  return ctor;
}
