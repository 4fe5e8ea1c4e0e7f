import { defineConfig } from 'vite';

/**
 * The widget app's build: src/index.html and its modules into dist/ (committed), served by the
 * platform at /embed/v1/frame (the page) and /embed/v1/assets/ (its files, named by content hash).
 * Steps loaded later (camera, card, deposit) become their own chunks.
 */
export default defineConfig({
  root: 'src',
  base: '/embed/v1/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact', development: false } },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // Every browser that runs the widget supports modulepreload; no polyfill in the initial script.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
