import { defineConfig } from 'vite';
import { resolve } from 'node:path';
import { copyPyodide } from './scripts/copy-pyodide.mjs';

// Everything is served by Sandcastle under /ui/ (no CDN): the app, the Pyodide frame, Pyodide itself.
export default defineConfig({
  base: '/ui/',
  build: {
    outDir: process.env.OUT_DIR ?? 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, 'index.html'),
        pyodide: resolve(import.meta.dirname, 'pyodide.html'),
        artifact: resolve(import.meta.dirname, 'artifact.html'),
      },
    },
  },
  plugins: [copyPyodide()],
  server: {
    proxy: { '^/(api|v1|files|execute|terminals|health)': { target: 'http://127.0.0.1:8000', ws: true } },
  },
});
