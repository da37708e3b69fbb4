/** Bad usage found in an action: `clusnotify` prints it as `clusnotify: USAGE: …` and exits 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}
