/**
 * A short spinner on stderr for slow calls: shown only when stderr is a terminal and the call
 * has taken more than 300 ms, and erased when it settles, so pipes and tests never see it.
 */

/** How long a call runs before the spinner appears. */
const SHOW_AFTER_MS = 300;
const FRAMES = ['|', '/', '-', '\\'];

/** Runs `work`, with a spinner labelled `label` on stderr while it is slow. */
export async function withProgress<T>(label: string, work: () => Promise<T>): Promise<T> {
  const err = process.stderr;
  if (!err.isTTY) return work();
  let frame = 0;
  let shown = false;
  let spinner: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    shown = true;
    spinner = setInterval(() => {
      err.write(`\r${FRAMES[frame++ % FRAMES.length] ?? ''} ${label}…`);
    }, 100);
  }, SHOW_AFTER_MS);
  try {
    return await work();
  } finally {
    clearTimeout(delay);
    clearInterval(spinner);
    if (shown) err.write('\r\x1b[K');
  }
}
