#!/usr/bin/env -S node --expose-gc --heap-growing-percent=100
// The `clusnotify` command: the built entry point (run `npm run build` first).
// --expose-gc lets `serve` collect the young generation once it goes idle, so V8 gives back what
// a burst grew it to: a server holding thousands of idle ports keeps its resident memory near
// what the ports retain, while a busy one runs with V8's full young generation (decision D50,
// docs/benchmarks.md "memory per idle port").
// --heap-growing-percent=100 lets the old generation grow to twice what a full collection left
// before the next one: with V8's own choice a server fanning out 1,000 changes/s to 100 clients
// ran a full collection every few hundred milliseconds, each a pause of several (decision D51).
import '../dist/src/main.js';
