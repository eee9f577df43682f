import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../../..');
const CORE = path.join(ROOT, 'src/core');

/**
 * Every relative import of each file under src/core, as a path relative to src/core.  Type-only
 * imports count as well: a file that needs another's types depends on it as surely as on its code,
 * and a type that sits on the wrong side of a circle is the contract a layer should own.
 */
export function coreImports(dir: string = CORE): Map<string, string[]> {
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.split(path.sep).join('/'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(dir, file), 'utf8'), ts.ScriptTarget.ES2022, false);
    const targets: string[] = [];
    const add = (specifier: ts.Expression | undefined) => {
      if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
      const target = resolve(dir, path.posix.join(path.posix.dirname(file), specifier.text));
      if (target !== undefined && !targets.includes(target)) targets.push(target);
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
      else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
      else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || isRequire(node.expression))) add(node.arguments[0]);
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal as ts.Expression);
      ts.forEachChild(node, visit);
    };
    visit(source);
    graph.set(file, targets);
  }
  return graph;
}

function isRequire(e: ts.Expression): boolean {
  return ts.isIdentifier(e) && e.text === 'require';
}

/** The file an import names: `x` as `x.ts` or `x/index.ts`; undefined outside src/core. */
function resolve(dir: string, spec: string): string | undefined {
  const normal = path.posix.normalize(spec);
  if (normal.startsWith('..')) return undefined;
  for (const candidate of [`${normal}.ts`, `${normal}/index.ts`]) if (fs.existsSync(path.join(dir, candidate))) return candidate;
  return undefined;
}

/** Each import circle of the graph (a strongly connected component of more than one file, or a file importing itself), each sorted. */
export function importCircles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) connect(v);
  return circles;
}

/** One path round a circle, as `a.ts -> b.ts -> a.ts`: the imports to cut. */
function cycleThrough(graph: Map<string, string[]>, members: string[]): string {
  const inside = new Set(members);
  const start = members[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start].join(' -> ');
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return members.join(', ');
}

describe('src/core in layers', () => {
  it('has no import circle, type-only imports included', () => {
    const graph = coreImports();
    assert.ok(graph.size > 40 && graph.get('engine.ts')!.includes('holes.ts'), 'the import graph is read');
    const circles = importCircles(graph);
    assert.deepEqual(
      circles.map((c) => `${c.length} files: ${c.join(', ')}\n    e.g. ${cycleThrough(graph, c)}`),
      [],
      'src/core has import circles',
    );
  });

  it('finds a circle, and the files in it', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    assert.deepEqual(importCircles(graph), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
    assert.equal(cycleThrough(graph, ['a.ts', 'b.ts', 'c.ts']), 'a.ts -> b.ts -> c.ts -> a.ts');
  });
});
