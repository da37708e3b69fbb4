#!/usr/bin/env -S node --max-semi-space-size=2
// The `clusnotify` command: the built entry point (run `npm run build` first).
// --max-semi-space-size=2 caps V8's young generation at 2 MiB per semi-space: a server holding
// thousands of idle ports then keeps its resident memory near what the ports retain instead of
// tens of MiB of young-generation growth (docs/benchmarks.md, "memory per idle port").
import '../dist/src/main.js';
