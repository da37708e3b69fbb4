#!/usr/bin/env -S node --expose-gc
// The `clusnotify` command: the built entry point (run `npm run build` first).
// --expose-gc lets `serve` collect the young generation once it goes idle, so V8 gives back what
// a burst grew it to: a server holding thousands of idle ports keeps its resident memory near
// what the ports retain, while a busy one runs with V8's full young generation (decision D50,
// docs/benchmarks.md "memory per idle port").
import '../dist/src/main.js';
