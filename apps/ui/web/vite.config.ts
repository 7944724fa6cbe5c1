import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** The budget for the page's script, compressed as the browser would receive it. */
const SCRIPT_BUDGET_BYTES = 300 * 1024;

/** Prints the gzip size of every script and fails the build when the total is over budget. */
function scriptBudget(): Plugin {
  return {
    name: 'steward-script-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let total = 0;
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const size = gzipSync(file.code, { level: 9 }).length;
        total += size;
        console.log(`${file.fileName}: ${(size / 1024).toFixed(1)} KB gzip`);
      }
      const line = `script total: ${(total / 1024).toFixed(1)} KB gzip (budget ${SCRIPT_BUDGET_BYTES / 1024} KB)`;
      if (total > SCRIPT_BUDGET_BYTES) this.error(line);
      console.log(line);
    },
  };
}

/**
 * Writes a brotli and a gzip copy beside each script, stylesheet and SVG, which the ui server
 * sends to browsers that accept them (apps/ui/src/http/precompressed.middleware.ts).
 */
function precompress(): Plugin {
  return {
    name: 'steward-precompress',
    apply: 'build',
    writeBundle(options) {
      const assets = join(options.dir ?? '', 'assets');
      for (const name of readdirSync(assets)) {
        if (!/\.(js|css|svg)$/.test(name)) continue;
        const content = readFileSync(join(assets, name));
        writeFileSync(join(assets, `${name}.gz`), gzipSync(content, { level: 9 }));
        writeFileSync(
          join(assets, `${name}.br`),
          brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

// The page is built into apps/ui/public, which the ui server serves as static files under a
// strict CSP: one script and one stylesheet, fixed names, nothing inline, nothing remote.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: fileURLToPath(new URL('public', import.meta.url)),
  logLevel: 'warn',
  plugins: [scriptBudget(), precompress()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../public', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: (asset) =>
          asset.names.some((name) => name.endsWith('.css')) ? 'assets/app.css' : 'assets/[name][extname]',
      },
    },
  },
});
