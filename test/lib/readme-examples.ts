/**
 * The ```ts code blocks of the repository's READMEs, as a user would paste them.
 *
 * A block is checked unless the line before its fence is
 * `<!-- not type-checked: <why> -->` (a sketch, such as the contract summary).
 * A block whose line before the fence is `<!-- runs in test/readme-examples.test.ts -->`
 * is also executed by that test, exactly as written.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TsdocExample } from './tsdoc-examples';

/** A README code block: where it is, its code, and whether a test runs it. */
export interface ReadmeBlock extends TsdocExample {
  /** Marked to be executed as written. */
  run: boolean;
}

const SKIP = /^<!--\s*not type-checked:\s*\S.*-->$/;
const RUN = /^<!--\s*runs in test\/readme-examples\.test\.ts\s*-->$/;

/** The README.md files of the repo: the root's, then every workspace package's (packages/, plugins/, examples/). */
export function readmeFiles(root: string): string[] {
  const out = [join(root, 'README.md')];
  for (const group of ['packages', 'plugins', 'examples']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const dir of readdirSync(base).sort()) {
      const f = join(base, dir, 'README.md');
      if (existsSync(f)) out.push(f);
    }
  }
  return out.filter((f) => existsSync(f));
}

/** The ```ts / ```typescript blocks of a Markdown file (indented fences too), minus the ones marked not type-checked. */
export function extractReadmeBlocks(file: string, text = readFileSync(file, 'utf8')): ReadmeBlock[] {
  const lines = text.split('\n');
  const out: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const before = lines[i - 1]?.trim() ?? '';
    const code: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) code.push(lines[j++]!.slice(indent));
    if (!SKIP.test(before)) out.push({ file, line: i + 2, code: code.join('\n'), run: RUN.test(before) });
    i = j;
  }
  return out;
}
