// The shape of src/: no file too long to read in one sitting, and no import
// cycles between its files or between its folders. Pure: reads the files only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const MAX_LINES = 300;

/** Every .ts file under src/, as a path relative to src/ with forward slashes ('oidc/dpop.ts'). */
const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .map((path) => path.split('\\').join('/'))
  .filter((path) => path.endsWith('.ts'))
  .sort();
const source = new Map(files.map((file) => [file, readFileSync(join(SRC, file), 'utf8')]));

// Imports and re-exports at the start of a line (`import … from`, `import type … from`,
// `export … from`, `import './x.js'`), and dynamic `import('./x.js')`.
const IMPORT =
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/**
 * The files of src/ each file imports, relative ones only (packages and node: are not src/).
 * `import type` counts too: it does not make a cycle at run time, but it is a dependency all
 * the same, and the way out of a type-only cycle (moving the type to the module that owns it)
 * is the same as for any other.
 */
function importsOf(file: string): string[] {
  const targets = new Set<string>();
  for (const match of source.get(file)!.matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2] ?? match[3])!;
    if (!specifier.startsWith('.')) continue;
    const resolved = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
    const target = source.has(resolved) ? resolved : source.has(`${resolved}/index.ts`) ? `${resolved}/index.ts` : undefined;
    assert.ok(target, `${file} imports ${specifier}, which is no file in src/`);
    targets.add(target);
  }
  return [...targets];
}

const fileGraph = new Map(files.map((file) => [file, importsOf(file)]));

/**
 * The folder a file belongs to: its first folder under src/ ('oidc/dpop.ts' → 'oidc/').
 * A file at the top of src/ is a node of its own: they are not one module (app.ts is the
 * composition root that imports every folder, config.ts and errors.ts are leaves that every
 * folder imports), so as one group they would make a cycle with every folder by construction.
 */
const folderOf = (file: string) => (file.includes('/') ? `${file.slice(0, file.indexOf('/'))}/` : file);

/** For each edge between two folders, the file imports that make it ('oidc/ → session/': ['oidc/a.ts → session/b.ts']). */
const folderEdges = new Map<string, string[]>();
for (const [file, targets] of fileGraph) {
  for (const target of targets) {
    if (folderOf(file) === folderOf(target)) continue;
    const edge = `${folderOf(file)} → ${folderOf(target)}`;
    folderEdges.set(edge, [...(folderEdges.get(edge) ?? []), `${file} → ${target}`]);
  }
}
const folderGraph = new Map<string, string[]>();
for (const file of files) folderGraph.set(folderOf(file), []);
for (const edge of folderEdges.keys()) {
  const [from, to] = edge.split(' → ') as [string, string];
  folderGraph.get(from)!.push(to);
}

/**
 * One cycle per strongly connected component of the graph (Tarjan), written out as a path
 * ['a', 'b', 'a']: the shortest way from the component's first node round to itself.
 */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) visit(next);
      if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, low.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component = stack.splice(stack.indexOf(node));
      if (component.length > 1 || graph.get(node)?.includes(node)) components.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components.map((component) => {
    const start = component[0]!;
    const cameFrom = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const next of graph.get(node) ?? []) {
        if (!component.includes(next) || cameFrom.has(next)) continue;
        cameFrom.set(next, node);
        if (next === start) queue.length = 0;
        else queue.push(next);
      }
    }
    const path = [start];
    for (let node = cameFrom.get(start)!; node !== start; node = cameFrom.get(node)!) path.push(node);
    return [...path, start].reverse();
  });
}

describe('structure of src/', () => {
  it('reads the imports (cycle checks that saw no import would pass for nothing)', () => {
    const imports = [...fileGraph.values()].flat().length;
    assert.ok(imports >= files.length, `only ${imports} imports found between ${files.length} files`);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file, lines: source.get(file)!.split('\n').length - (source.get(file)!.endsWith('\n') ? 1 : 0) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `src/${file}: ${lines} lines`);
    assert.deepEqual(long, [], `files over ${MAX_LINES} lines:\n  ${long.join('\n  ')}`);
  });

  it('has no import cycle between files', () => {
    const found = cycles(fileGraph).map((cycle) => cycle.join(' → '));
    assert.deepEqual(found, [], `import cycles between files of src/:\n  ${found.join('\n  ')}`);
  });

  it('keeps oidc-provider (an optional peer dependency) to the test kit: the server never loads it', () => {
    const packageImports = (file: string) =>
      [...source.get(file)!.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]).filter((spec): spec is string => spec !== undefined);
    const outside = files.filter((file) => !file.startsWith('testing/'));
    const loadsProvider = outside.filter((file) => packageImports(file).includes('oidc-provider'));
    const loadsKit = outside.filter((file) => fileGraph.get(file)!.some((dep) => dep.startsWith('testing/')));
    assert.deepEqual([...loadsProvider, ...loadsKit], []);
    assert.ok(packageImports('testing/op.ts').includes('oidc-provider'), 'the check sees package imports');
  });

  it('has no import cycle between folders', () => {
    const found = cycles(folderGraph).map((cycle) => {
      const imports = cycle.slice(1).flatMap((to, i) => folderEdges.get(`${cycle[i]} → ${to}`)!);
      return `${cycle.join(' → ')}, through:\n    ${imports.join('\n    ')}`;
    });
    assert.deepEqual(found, [], `import cycles between folders of src/:\n  ${found.join('\n  ')}`);
  });
});
