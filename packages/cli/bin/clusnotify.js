#!/usr/bin/env node
// The `clusnotify` command: the built entry point (run `npm run build` first).
import '../dist/src/main.js';
