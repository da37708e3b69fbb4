/**
 * HCHANGE: the application's handle to a notification port of the Win32-shaped layer
 * (CreateClusterNotifyPort / CreateClusterNotifyPortV2, §8). It stays valid across reconnects
 * until CloseClusterNotifyPort.
 */
import type { PortCore } from './notify-port.js';

let coreOf: (h: NotifyPortHandle) => PortCore;

/** A notification port handle (HCHANGE). */
export class NotifyPortHandle {
  readonly #core: PortCore;

  static {
    coreOf = (h) => h.#core;
  }

  /** @internal Made by `createClusterNotifyPort(V2)`. */
  constructor(core: PortCore) {
    this.#core = core;
  }

  /** 1 for CreateClusterNotifyPort ports, 2 for CreateClusterNotifyPortV2 ports. */
  get version(): 1 | 2 {
    return this.#core.version;
  }

  /** Whether the port was closed. */
  get closed(): boolean {
    return this.#core.closed;
  }

  /** Entries waiting in the local queue (§7.1). */
  get queued(): number {
    return this.#core.queue.size;
  }

  /** Indications the local queue dropped because it was full (D24). */
  get dropped(): number {
    return this.#core.queue.dropped;
  }

  /** Store revision of the newest indication received from the server. */
  get lastRevision(): number | undefined {
    return this.#core.lastRevision;
  }
}

/** The client-side state behind a port handle. */
export function portCore(h: NotifyPortHandle): PortCore {
  return coreOf(h);
}
