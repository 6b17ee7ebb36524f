/**
 * The decode kernel's variants (shaders/decode/variants/*.wgsl), each step.wgsl with blocks marked
 * `// variant NAME: begin` … `// variant NAME: end` that scripts/decode-batch.sh times by turns
 * with the tree's own (KERNELS="name=FILE"): taken out, the blocks leave step.wgsl exactly, so a
 * variant measures its blocks and nothing else, and one left behind by a change to step.wgsl fails
 * here rather than timing an older kernel. CPU only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = 'shaders/decode/variants';
const MARK = /^\s*\/\/ variant ([\w-]+): (begin|end)$/;

/**
 * The text without its marked blocks; throws on a block left open, closed twice or misnamed, and
 * on blocks that hold no code (comments and blank lines only: a variant that changes nothing).
 */
function withoutBlocks(text: string, name: string): string {
  const kept: string[] = [];
  let open = false;
  let blocks = 0;
  let code = 0;
  for (const line of text.split('\n')) {
    const m = MARK.exec(line);
    if (m === null) {
      if (!open) kept.push(line);
      else if (line.trim() !== '' && !line.trim().startsWith('//')) code++;
      continue;
    }
    if (m[1] !== name) throw new Error(`a block of '${m[1]}' in variant '${name}'`);
    if ((m[2] === 'begin') === open) throw new Error(`'${line.trim()}' out of turn`);
    open = m[2] === 'begin';
    if (!open) blocks++;
  }
  if (open) throw new Error(`variant '${name}': a block left open`);
  if (blocks === 0) throw new Error(`variant '${name}': no marked block`);
  if (code === 0) throw new Error(`variant '${name}': its blocks hold no code`);
  return kept.join('\n');
}

describe('decode kernel variants', () => {
  const step = readFileSync('shaders/decode/step.wgsl', 'utf8');
  // none waits for a GPU once the last one is measured (it landed or went beside its run)
  const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.wgsl')) : [];

  it('names each step-<name>.wgsl', () => {
    for (const f of files) expect(f).toMatch(/^step-[\w-]+\.wgsl$/);
  });

  for (const file of files) {
    const name = file.replace(/^step-/, '').replace(/\.wgsl$/, '');
    it(`${file} is step.wgsl and its marked blocks`, () => {
      const text = readFileSync(join(DIR, file), 'utf8');
      expect(text).not.toBe(step);
      expect(withoutBlocks(text, name)).toBe(step);
    });
  }

  it('refuses a block left open, a stray mark, another variant’s block and blocks of no code', () => {
    expect(() => withoutBlocks(`a\n// variant x: begin\nb\n`, 'x')).toThrow(/left open/);
    expect(() => withoutBlocks(`// variant x: end\n`, 'x')).toThrow(/out of turn/);
    expect(() => withoutBlocks(`// variant y: begin\nb\n// variant y: end\n`, 'x')).toThrow(
      /of 'y'/,
    );
    const comments = `// variant x: begin\n// only words\n\n// variant x: end\n${step}`;
    expect(() => withoutBlocks(comments, 'x')).toThrow(/no code/);
    const code = `// variant x: begin\nlet a = 1;\n// variant x: end\n${step}`;
    expect(withoutBlocks(code, 'x')).toBe(step);
  });
});
