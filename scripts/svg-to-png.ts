/**
 * Converts SVG charts to PNG, to look at them as a reader would (an image viewer, a pull request):
 *   npx tsx scripts/svg-to-png.ts results/<run-id>/charts/*.svg [--out DIR] [--zoom 2]
 * Writes <name>.png beside each SVG, or into --out. Uses @resvg/resvg-js (a devDependency) with
 * the system's fonts, DejaVu Sans standing in for the generic sans-serif family.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

function main(argv: string[]): number {
  const files: string[] = [];
  let outDir: string | undefined;
  let zoom = 2;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--out') outDir = argv[++i];
    else if (arg === '--zoom') zoom = Number(argv[++i]);
    else files.push(arg);
  }
  if (files.length === 0 || !(zoom > 0)) {
    process.stderr.write('usage: svg-to-png.ts FILE.svg... [--out DIR] [--zoom 2]\n');
    return 2;
  }
  for (const file of files) {
    const resvg = new Resvg(readFileSync(file, 'utf8'), {
      fitTo: { mode: 'zoom', value: zoom },
      background: 'white',
      font: {
        loadSystemFonts: true,
        defaultFontFamily: 'DejaVu Sans',
        sansSerifFamily: 'DejaVu Sans',
      },
    });
    const dir = outDir ?? dirname(file);
    mkdirSync(dir, { recursive: true });
    const target = join(dir, `${basename(file, '.svg')}.png`);
    writeFileSync(target, resvg.render().asPng());
    process.stdout.write(`${target}\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
