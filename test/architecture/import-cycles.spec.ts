import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * No import cycle in the TypeScript tree, type-only imports included. ESLint's `import-x/no-cycle`
 * fails on the cycles that run (value imports); a cycle through a type import runs fine but still
 * ties two files into one unit that neither can be read or moved without the other, so it is
 * refused here.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const FOLDERS = ['apps', 'libs', 'test', 'bench'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The tsconfig `paths` aliases (`@app/common` → its index file). */
function aliases(): Map<string, string> {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path)).config as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return new Map(Object.entries(config.compilerOptions.paths).map(([alias, [target]]) => [alias, join(ROOT, target)]));
}

/** Every file's imports (and re-exports) of other files of the tree, type-only ones included. */
function importGraph(): Map<string, string[]> {
  const alias = aliases();
  const files = FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map(
        ({ fileName }) =>
          alias.get(fileName) ??
          (fileName.startsWith('.') ? resolve(dirname(file), fileName).replace(/\.js$/, '.ts') : ''),
      )
      .filter((target) => target !== '' && existsSync(target));
    graph.set(file, targets);
  }
  return graph;
}

/** The strongly connected groups of more than one file (Tarjan), each one cycle or more. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(relative(ROOT, member));
    } while (member !== file);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return groups;
}

describe('imports', () => {
  const graph = importGraph();

  it('form no cycle, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('the graph follows type-only imports and the path aliases', () => {
    const at = (path: string) => graph.get(join(ROOT, path));
    // `import type { TurnResult } from './turn.js'`
    expect(at('apps/data-proxy/src/chat/turn-sink.ts')).toContain(join(ROOT, 'apps/data-proxy/src/chat/turn.ts'));
    expect(at('apps/data-proxy/src/chat/turn-sink.ts')).toContain(join(ROOT, 'libs/common/src/index.ts'));
  });

  it('a cycle is reported with every file in it', () => {
    const cyclic = new Map([
      [join(ROOT, 'a.ts'), [join(ROOT, 'b.ts')]],
      [join(ROOT, 'b.ts'), [join(ROOT, 'c.ts')]],
      [join(ROOT, 'c.ts'), [join(ROOT, 'a.ts')]],
      [join(ROOT, 'd.ts'), [join(ROOT, 'a.ts')]],
    ]);
    expect(cycles(cyclic)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
