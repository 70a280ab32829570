// Bundles the dashboard for the server jar: node build.mjs [outdir] (default: dist).
// The Maven build runs it after `npm ci` and puts the output on the classpath under webroot/.
import { build } from 'esbuild';
import { cp, mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';

const outdir = resolve(process.argv[2] || 'dist');
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Current Chromium and Firefox, and a little older.
  target: ['chrome109', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  outfile: `${outdir}/app.js`,
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  logLevel: 'warning',
});
await cp('public', outdir, { recursive: true });
console.log(`dashboard bundled into ${outdir}`);
