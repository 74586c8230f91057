import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository stands on its own: its docs and code state behaviour instead of pointing at
 * documents a reader does not have (section signs, the design notes and issue tracker the work
 * was planned in, Markdown files that are not in the tree).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage', 'results', 'artifacts', 'golden']);
const TEXT = new Set(['.ts', '.mjs', '.js', '.md', '.py', '.yaml', '.yml', '.html', '.css']);
const NAMED = new Set(['Dockerfile', 'run']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : files(path);
    const wanted = TEXT.has(extname(entry.name)) || NAMED.has(entry.name);
    return wanted && statSync(path).size < 1_000_000 ? [path] : [];
  });
}

const SECTION_SIGN = '\u00a7';
/** Where the work was planned: not in the repository, so never named in it. */
const OUTSIDE = [/\/work\/shared/, /\bshared\/(spec|docs)\b/, /\b[Ii]ssues? #?\d+\b/];
const MARKDOWN_REFERENCE = /[\w./-]*[\w-]\.md\b/g;

/** A Markdown file a text names, found beside it, from the root, or in docs/. */
function resolves(file: string, reference: string): boolean {
  return [join(dirname(file), reference), join(ROOT, reference), join(ROOT, 'docs', reference)].some((p) =>
    existsSync(p),
  );
}

describe('docs and code stand on their own', () => {
  const checked = files(ROOT).filter((file) => !file.endsWith('self-contained.spec.ts'));

  it('finds the docs and the code', () => {
    const names = checked.map((file) => relative(ROOT, file));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'docs/COMPATIBILITY.md', 'bench/run.mjs', '.ci/run']));
    expect(names.some((name) => name.startsWith('apps/') && name.endsWith('.ts'))).toBe(true);
  });

  it('no section sign, no pointer to the planning documents or the issue tracker', () => {
    const found: string[] = [];
    for (const file of checked) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const at = [line.indexOf(SECTION_SIGN), ...OUTSIDE.map((pattern) => line.search(pattern))].filter(
            (index) => index >= 0,
          );
          if (at.length > 0)
            found.push(`${relative(ROOT, file)}:${i + 1}: …${line.slice(Math.max(0, at[0] - 40), at[0] + 60).trim()}…`);
        });
    }
    expect(found).toEqual([]);
  });

  it('every Markdown file a doc or a comment names is in the repository', () => {
    const missing: string[] = [];
    for (const file of checked) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // A link to a public page is followable; only names of local files must resolve.
          const local = line.replace(/\bhttps?:\/\/\S+/g, '');
          for (const [reference] of local.matchAll(MARKDOWN_REFERENCE))
            if (!resolves(file, reference)) missing.push(`${relative(ROOT, file)}:${i + 1}: ${reference}`);
        });
    }
    expect(missing).toEqual([]);
  });
});
