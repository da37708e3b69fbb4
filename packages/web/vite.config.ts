// The dashboard's build: one page, hashed assets under dist/site/assets, which
// `clusnotify serve` serves at / (immutable caching relies on the hashes).
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src',
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/site',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: true,
    // The modulepreload polyfill is inline script, which the page's CSP forbids; targets have it.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
