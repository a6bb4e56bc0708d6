import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The module boundaries of the server, checked on every `npm test`:
 * - the dependency rule of `.dependency-cruiser.cjs` (no cycles, no other module's repository or table
 *   types, infrastructure below the modules), run with dependency-cruiser;
 * - table ownership: a module's queries name only the tables its `<module>.tables.ts` declares;
 * - one-way modules: no two modules import each other, directly or round a longer loop (dependency-cruiser
 *   sees cycles of files only; a module can form a cycle with files that never import each other).
 */

const src = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(src, '../../..');
const modulesDir = path.join(src, 'modules');

/**
 * Queries that knowingly cross a boundary, each with its reason: `module: table` for any file of the
 * module, or `module/file.ts: table` (path relative to modules/) for that one file only. Keep this short:
 * the fix is a call to the owning module's service, or a hook the owner installs through its wiring.
 * The module-wide entries are the ones issue 13 has not removed yet (see its note); none may be added.
 */
const CROSSINGS: Record<string, string> = {
  // The client hot path's license lookup: one query compiled once per database handle (issue 17 caches it).
  'licenses/lookup.repository.ts: products': 'validation lookup joins the product for its code (one indexed query per client request)',
  'licenses/lookup.repository.ts: policies': 'validation lookup joins the policy for its domain, overdraft and expiry rules (same query)',
};

/**
 * Module cycles still allowed, as `a <-> b` with the reason. Each excuses only the import of `b` by `a`
 * (the one going up), so a longer loop through the pair is still found. None may be added; an entry whose
 * import no longer happens fails the test until it is removed.
 */
const MODULE_CYCLE_EXCEPTIONS: Record<string, string> = {};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [file] : [];
  });
}

/** Table name → owning module, from db/schema.ts (table → row type) and the modules' tables files. */
function owners(): Map<string, string> {
  const typeOwner = new Map<string, string>();
  for (const module of readdirSync(modulesDir)) {
    const file = path.join(modulesDir, module, `${module}.tables.ts`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const [, type] of text.matchAll(/export interface (\w+)/g)) typeOwner.set(type!, module);
  }
  const schema = readFileSync(path.join(src, 'db/schema.ts'), 'utf8');
  const database = schema.slice(schema.indexOf('export interface Database'));
  const owner = new Map<string, string>();
  for (const [, table, type] of database.matchAll(/^\s+(\w+): (\w+);/gm)) {
    const module = typeOwner.get(type!);
    if (module) owner.set(table!, module);
  }
  return owner;
}

/** Tables a source file queries: Kysely calls naming a table, and tables named in raw SQL. */
export function tablesQueried(text: string): Set<string> {
  const tables = new Set<string>();
  const call = /\.(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin|mergeInto|with)\(\s*['"`](\w+)/g;
  for (const [, table] of text.matchAll(call)) tables.add(table!);
  for (const [, body] of text.matchAll(/sql(?:<[^`]*?>)?`([^`]*)`/g)) {
    for (const [, table] of body!.matchAll(/\b(?:from|join|update|into)\s+"?(\w+)/gi)) tables.add(table!);
  }
  return tables;
}

/**
 * The relative modules a source file imports: `import … from`, `import type … from`, `export … from`,
 * side-effect `import '…'` and dynamic `import('…')`, comments left out.
 */
export function relativeImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;
  return [...code.matchAll(specifiers)].map((match) => match[2]!);
}

/** Module → the modules it imports, each with the first file (and what it imports) that makes the edge. */
function moduleGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(modulesDir).sort()) {
    const [module, ...rest] = path.relative(modulesDir, file).split(path.sep);
    if (rest.length === 0) continue;
    for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
      const [target, ...inside] = path.relative(modulesDir, path.resolve(path.dirname(file), specifier)).split(path.sep);
      if (target === '..' || inside.length === 0 || target === module) continue;
      const edges = graph.get(module!) ?? new Map<string, string>();
      graph.set(module!, edges);
      if (!edges.has(target!)) edges.set(target!, `${path.relative(modulesDir, file)} imports ${specifier}`);
    }
  }
  return graph;
}

/**
 * The cycles of a graph: for each module inside a strongly connected component, the shortest loop
 * through it, each loop once (written from its smallest module), as the list of modules round it.
 */
export function moduleCycles(graph: ReadonlyMap<string, ReadonlyMap<string, string>>): string[][] {
  const cycles = new Map<string, string[]>();
  for (const start of [...graph.keys()].sort()) {
    // Breadth-first from `start`'s imports back to `start`: the first path found is a shortest loop.
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0 && !previous.has(start)) {
      const module = queue.shift()!;
      for (const next of [...(graph.get(module)?.keys() ?? [])].sort()) {
        if (previous.has(next)) continue;
        previous.set(next, module);
        queue.push(next);
      }
    }
    if (!previous.has(start)) continue;
    const loop = [start];
    for (let at = previous.get(start)!; at !== start; at = previous.get(at)!) loop.unshift(at);
    const first = loop.indexOf([...loop].sort()[0]!);
    const rotated = [...loop.slice(first), ...loop.slice(0, first)];
    cycles.set(rotated.join(' -> '), rotated);
  }
  return [...cycles.values()];
}

describe('module boundaries', () => {
  test('the dependency rule holds: no cycles, no other module’s repository or tables, infrastructure below the modules', async () => {
    const bin = path.join(root, 'node_modules/.bin/depcruise');
    const run = promisify(execFile);
    try {
      await run(bin, ['packages/server/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      assert.fail(`dependency-cruiser found violations (rules in .dependency-cruiser.cjs):\n${stdout ?? ''}${stderr ?? ''}`);
    }
  });

  test('each module queries only its own tables', () => {
    const owner = owners();
    assert.ok(owner.size > 30, 'the table owners were read from db/schema.ts and the <module>.tables.ts files');
    const found: string[] = [];
    const used = new Set<string>();
    for (const file of sources(modulesDir)) {
      const relative = path.relative(modulesDir, file).split(path.sep).join('/');
      const module = relative.split('/')[0]!;
      for (const table of tablesQueried(readFileSync(file, 'utf8'))) {
        const tableOwner = owner.get(table);
        if (tableOwner === undefined || tableOwner === module) continue;
        const crossing = [`${relative}: ${table}`, `${module}: ${table}`].find((key) => CROSSINGS[key]);
        if (crossing) {
          used.add(crossing);
          continue;
        }
        found.push(`${path.relative(src, file)} queries ${table} (owned by ${tableOwner})`);
      }
    }
    assert.deepEqual(found, [], `modules query other modules' tables; call the owner's service instead:\n${found.join('\n')}`);
    const stale = Object.keys(CROSSINGS).filter((crossing) => !used.has(crossing));
    assert.deepEqual(stale, [], 'CROSSINGS lists crossings that no longer happen: remove them');
  });

  test('no two modules import each other, directly or round a loop', () => {
    const graph = moduleGraph();
    assert.ok(graph.size > 20, 'the imports of the modules were read');
    const stale: string[] = [];
    for (const pair of Object.keys(MODULE_CYCLE_EXCEPTIONS)) {
      const [lower, upper] = pair.split(' <-> ') as [string, string];
      const up = graph.get(lower)?.get(upper);
      if (up === undefined || !graph.get(upper)?.has(lower)) stale.push(pair);
      // The excused import, up from the lower module; the other direction is the allowed one.
      graph.get(lower)?.delete(upper);
    }
    const found = moduleCycles(graph).map((loop) => {
      const edges = loop.map((module, i) => `  ${module} -> ${loop[(i + 1) % loop.length]}: ${graph.get(module)!.get(loop[(i + 1) % loop.length]!)}`);
      return `${[...loop, loop[0]].join(' -> ')}\n${edges.join('\n')}`;
    });
    assert.deepEqual(found, [], `modules import each other; move the shared rule down, or let the lower module offer a hook:\n${found.join('\n')}`);
    assert.deepEqual(stale, [], 'MODULE_CYCLE_EXCEPTIONS lists module cycles that no longer happen: remove them');
  });

  test('the import scan sees every form of import, and the cycle search every loop', () => {
    const text = [
      "import type { A } from '../a/a.js';",
      "import {\n  b,\n  type B,\n} from '../b/b.service.js';",
      "export { c } from './c.js';",
      "export * from '../d/d.js';",
      "import '../e/e.js';",
      "const f = await import('../f/f.js');",
      "import { g } from 'node:g';",
      "// import { h } from '../h/h.js';",
    ].join('\n');
    assert.deepEqual(relativeImports(text), ['../a/a.js', '../b/b.service.js', './c.js', '../d/d.js', '../e/e.js', '../f/f.js']);
    const graph = (edges: string[]) => {
      const result = new Map<string, Map<string, string>>();
      for (const edge of edges) {
        const [from, to] = edge.split(' -> ') as [string, string];
        result.set(from, (result.get(from) ?? new Map<string, string>()).set(to, edge));
      }
      return result;
    };
    assert.deepEqual(moduleCycles(graph(['a -> b', 'b -> c', 'c -> d'])), []);
    assert.deepEqual(moduleCycles(graph(['b -> a', 'a -> b', 'c -> d', 'd -> e', 'e -> c', 'e -> f'])), [['a', 'b'], ['c', 'd', 'e']]);
  });

  test('the table scan sees Kysely calls and raw SQL', () => {
    const seen = tablesQueried("db.selectFrom('licenses').innerJoin('machines', …); sql`SELECT 1 FROM users u JOIN sessions s`");
    assert.deepEqual([...seen].sort(), ['licenses', 'machines', 'sessions', 'users']);
  });
});
