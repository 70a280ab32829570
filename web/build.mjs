// Bundles the dashboard for the server jar: node build.mjs [outdir] (default: dist).
// The Maven build runs it after `npm ci` and puts the output on the classpath under webroot/.
//
// The script and the style sheet are named after their content (app-<hash>.js, style-<hash>.css), so
// that the server may let browsers keep them for a year: a new build is new names. index.html, which
// names them, is written from public/index.html with the real names; the server has it revalidated
// on every load. Nothing is inlined: the server's Content-Security-Policy allows only these files.
import { build } from 'esbuild';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

/** The entry points, by the name public/index.html refers to them with. */
const ENTRIES = { 'app.js': 'src/main.js', 'style.css': 'public/style.css' };

const outdir = resolve(process.argv[2] || 'dist');
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name.replace(/\.\w+$/, ''), source])),
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Current Chromium and Firefox, and a little older.
  target: ['chrome109', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  outdir,
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  logLevel: 'warning',
});

// What each entry point became, by the name public/index.html uses.
const built = {};
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const name = Object.keys(ENTRIES).find((n) => ENTRIES[n] === output.entryPoint);
  if (name) built[name] = basename(file);
}

let html = await readFile('public/index.html', 'utf8');
for (const [name, file] of Object.entries(built)) {
  const reference = new RegExp(`(src|href)="${name.replace('.', '\\.')}"`, 'g');
  if (!reference.test(html)) throw new Error(`public/index.html does not refer to ${name}: the page would miss ${file}`);
  html = html.replace(reference, `$1="${file}"`);
}
// The policy refuses inline script and style: one here would break the page silently, so fail the build.
if (/<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|\sstyle="|\son[a-z]+="/i.test(html)) {
  throw new Error('public/index.html has an inline script, style or event handler: the Content-Security-Policy refuses them');
}
await writeFile(`${outdir}/index.html`, html);

// Anything else in public/ (none today) is copied as it is.
const sources = new Set(Object.values(ENTRIES));
for (const entry of await readdir('public')) {
  if (entry !== 'index.html' && !sources.has(`public/${entry}`)) {
    await cp(`public/${entry}`, `${outdir}/${entry}`, { recursive: true });
  }
}
console.log(`dashboard bundled into ${outdir}: ${Object.values(built).join(', ')}`);
