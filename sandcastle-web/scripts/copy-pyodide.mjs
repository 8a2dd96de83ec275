// Copies the runtime files of the pyodide npm package into the build (ui/pyodide/), so the
// browser loads Python from Sandcastle and never from a CDN. Packages beyond the standard library
// (numpy, matplotlib) are not in the npm package: the server mirrors them (/pyodide/packages/),
// by the lock file copied here; its package.json tells the server the version.
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';

const FILES = ['pyodide.js', 'pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json', 'package.json'];

export function copyPyodide() {
  let outDir = 'dist';
  return {
    name: 'sandcastle-copy-pyodide',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const from = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
      const to = join(outDir, 'pyodide');
      mkdirSync(to, { recursive: true });
      for (const file of FILES) {
        if (!existsSync(join(from, file))) {
          throw new Error(`pyodide package lacks ${file}`);
        }
        copyFileSync(join(from, file), join(to, file));
      }
    },
  };
}
