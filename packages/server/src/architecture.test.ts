import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The structure rules (docs/decisions/0008-module-ownership.md), checked on every unit run:
 * - imports, by dependency-cruiser with the repository's .dependency-cruiser.cjs: no cycles anywhere
 *   in packages/ (type-only imports included), no module importing another module's tables.ts, no
 *   module importing from http/, no lib/ importing a module;
 * - table ownership, by reading the sources: a module's code queries only the tables its own
 *   tables.ts creates (foreign keys in a tables.ts may name other modules' tables).
 * Each rule is also run against a planted violation, so a rule that can no longer fail is noticed.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const MODULES_DIR = join(ROOT, 'packages/server/src/modules');
const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

/** Reads of another module's table that are deliberate, each with its reason. A stale entry fails the test. */
const ALLOWED_FOREIGN_QUERIES = [
  {
    file: 'packages/server/src/modules/delivery/tables.ts',
    table: 'partners',
    why: 'migration 0007 copies the webhook settings of existing partners into webhook_endpoints once',
  },
];

describe('import rules (dependency-cruiser)', () => {
  it('packages/ has no cycles, no foreign tables.ts imports, no module → http, no lib → module imports, adapters built only in providers.ts', async () => {
    const violations = await importViolations(ROOT);
    expect(violations, `\n${violations.join('\n')}\n`).toEqual([]);
  });

  describe('each rule fails on a planted violation', () => {
    const fixture = mkdtempSync(join(tmpdir(), 'architecture-'));
    afterAll(() => rmSync(fixture, { recursive: true, force: true }));
    const plant = (files: Record<string, string>) => {
      for (const [path, source] of Object.entries(files)) {
        mkdirSync(dirname(join(fixture, path)), { recursive: true });
        writeFileSync(join(fixture, path), source);
      }
    };
    const src = 'packages/server/src';
    plant({
      [`${src}/modules/alpha/tables.ts`]: 'export type AlphaTables = { alpha: { id: string } };\n',
      [`${src}/modules/beta/tables.ts`]: 'export type BetaTables = { beta: { id: string } };\n',
      // Its own tables.ts is fine; beta's is not.
      [`${src}/modules/alpha/alpha-store.ts`]:
        "import type { AlphaTables } from './tables.ts';\nimport type { BetaTables } from '../beta/tables.ts';\nexport type Both = AlphaTables & BetaTables;\n",
      [`${src}/modules/alpha/alpha-routes.ts`]: "import { schemas } from '../../http/schemas.ts';\nexport const routes = schemas;\n",
      [`${src}/http/schemas.ts`]: 'export const schemas = {};\n',
      [`${src}/lib/helper.ts`]:
        "import type { Both } from '../modules/alpha/alpha-store.ts';\nexport const helper = (both: Both) => both;\n",
      // A cycle made of type-only imports.
      [`${src}/one.ts`]: "import type { Two } from './two.ts';\nexport type One = { two?: Two };\n",
      [`${src}/two.ts`]: "import type { One } from './one.ts';\nexport type Two = { one?: One };\n",
      // A concrete adapter used outside the composition file (which may import it).
      [`${src}/modules/alpha/sandbox-alpha-provider.ts`]: 'export class SandboxAlphaProvider {}\n',
      [`${src}/modules/alpha/use-alpha.ts`]:
        "import { SandboxAlphaProvider } from './sandbox-alpha-provider.ts';\nexport const use = new SandboxAlphaProvider();\n",
      [`${src}/providers.ts`]:
        "import { SandboxAlphaProvider } from './modules/alpha/sandbox-alpha-provider.ts';\nexport const alpha = new SandboxAlphaProvider();\n",
    });
    let planted: string[];
    const plantedViolations = async () => (planted ??= await importViolations(fixture));

    it.each([
      ['no-foreign-tables', `${src}/modules/alpha/alpha-store.ts → ${src}/modules/beta/tables.ts`],
      ['no-modules-to-http', `${src}/modules/alpha/alpha-routes.ts → ${src}/http/schemas.ts`],
      ['no-lib-to-modules', `${src}/lib/helper.ts → ${src}/modules/alpha/alpha-store.ts`],
      ['no-circular', `${src}/one.ts → ${src}/two.ts → ${src}/one.ts`],
      ['only-composition-imports-adapters', `${src}/modules/alpha/use-alpha.ts → ${src}/modules/alpha/sandbox-alpha-provider.ts`],
    ])('%s', async (rule, path) => {
      const found = await plantedViolations();
      expect(found).toContain(`${rule}: ${path}`);
      expect(found.filter((line) => line.startsWith(`${rule}:`))).toHaveLength(1);
    });
  });
});

describe('table ownership', () => {
  it("no module queries a table another module's tables.ts creates", () => {
    const { owners, files } = readModules();
    const violations = findForeignQueries(owners, files);
    const allowed = (line: string) =>
      ALLOWED_FOREIGN_QUERIES.some((entry) => line.startsWith(`${entry.file}:`) && line.includes(`"${entry.table}"`));
    const unexpected = violations.filter((line) => !allowed(line));
    expect(unexpected, `\n${unexpected.join('\n')}\n`).toEqual([]);
    for (const entry of ALLOWED_FOREIGN_QUERIES) {
      expect(
        violations.some((line) => line.startsWith(`${entry.file}:`) && line.includes(`"${entry.table}"`)),
        `stale exception: ${entry.file} ${entry.table}`,
      ).toBe(true);
    }
  });

  it('knows which module owns each table', () => {
    const { owners } = readModules();
    expect(owners.get('partners')).toBe('partners');
    expect(owners.get('webhook_endpoints')).toBe('delivery');
    expect(owners.get('transactions')).toBe('transactions');
  });

  it('catches every way of naming a foreign table, and only those', () => {
    const owners = new Map([
      ['partners', 'partners'],
      ['identities', 'kyc'],
      ['webhook_deliveries', 'delivery'],
    ]);
    const file = (source: string, path = 'packages/server/src/modules/delivery/example.ts') => ({ path, module: 'delivery', source });
    const found = (source: string, path?: string) =>
      findForeignQueries(owners, [file(source, path)]).map((line) => line.replace(/^[^:]+:\d+: /, ''));
    const partners = 'module "delivery" queries "partners" (owned by partners)';

    expect(found("await db.selectFrom('partners').selectAll().execute();")).toEqual([partners]);
    expect(found("db.selectFrom('webhook_deliveries as d')\n  .innerJoin('partners as p', 'p.id', 'd.partner_id')")).toEqual([partners]);
    expect(
      found("db.selectFrom('webhook_deliveries').leftJoin('identities', 'identities.partner_id', 'webhook_deliveries.partner_id')"),
    ).toEqual(['module "delivery" queries "identities" (owned by kyc)']);
    for (const call of ['insertInto', 'updateTable', 'deleteFrom']) expect(found(`trx.${call}('partners')`)).toEqual([partners]);
    expect(found('const url = sql<string>`(select p.webhook_url from partners p where p.id = ${id})`;')).toEqual([partners]);
    expect(found('await sql`select d.id from webhook_deliveries d join partners p on p.id = d.partner_id`.execute(db);')).toEqual([
      partners,
    ]);
    expect(found('sql`update partners set name = ${name}`')).toEqual([partners]);
    expect(found('sql`insert into partners (id) values (${id})`')).toEqual([partners]);
    expect(found('sql`delete from "partners" where id = ${id}`')).toEqual([partners]);
    // Its own tables, a foreign key in a tables.ts, and prose are not queries.
    expect(found("db.selectFrom('webhook_deliveries').where('partner_id', '=', id)")).toEqual([]);
    expect(
      found(
        ".addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))",
        'packages/server/src/modules/delivery/tables.ts',
      ),
    ).toEqual([]);
    expect(found('// reads the webhook URL from partners when it replays')).toEqual([]);
    // Where it is reported.
    expect(findForeignQueries(owners, [file("const a = 1;\nconst b = db\n  .selectFrom('partners');")])).toEqual([
      `packages/server/src/modules/delivery/example.ts:3: ${partners}`,
    ]);
  });
});

/** Every rule violation under `baseDir`/packages, one readable line each. */
async function importViolations(baseDir: string): Promise<string[]> {
  const { output } = await cruise(['packages'], {
    ...config.options,
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
  });
  const result = output as ICruiseResult;
  return result.summary.violations.map((violation) => {
    const path = violation.cycle ? [violation.from, ...violation.cycle.map((step) => step.name)] : [violation.from, violation.to];
    return `${violation.rule.name}: ${path.join(' → ')}`;
  });
}

interface SourceFile {
  /** Relative to the repository root. */
  path: string;
  module: string;
  source: string;
}

function readModules(): { owners: Map<string, string>; files: SourceFile[] } {
  const owners = new Map<string, string>();
  const files: SourceFile[] = [];
  for (const module of readdirSync(MODULES_DIR)) {
    for (const entry of readdirSync(join(MODULES_DIR, module), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts') || entry.endsWith('.test.ts')) continue;
      const path = join(MODULES_DIR, module, entry);
      const source = readFileSync(path, 'utf8');
      files.push({ path: relative(ROOT, path), module, source });
      if (entry === 'tables.ts') for (const table of tablesCreatedIn(source)) owners.set(table, module);
    }
  }
  return { owners, files };
}

function tablesCreatedIn(source: string): string[] {
  return [
    ...source.matchAll(/createTable\(\s*'([a-z_][a-z0-9_]*)'|\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?"?([a-z_][a-z0-9_]*)/gi),
  ].map((match) => (match[1] ?? match[2])!);
}

const KYSELY_TABLE_CALL =
  /\.(?:selectFrom|insertInto|updateTable|deleteFrom|mergeInto|replaceInto|innerJoin|leftJoin|rightJoin|fullJoin|crossJoin|innerJoinLateral|leftJoinLateral)\(\s*\[?\s*'([a-z_][a-z0-9_]*)/g;
const SQL_TEMPLATE = /\bsql(?:<[^`>]*>)?`/g;
const SQL_TABLE_CLAUSE = /\b(?:from|join|update|into)\s+(?:only\s+)?"?([a-z_][a-z0-9_]*)/gi;

/** One line per query of a table owned by another module than the file's: `path:line: module "m" queries "t" (owned by o)`. */
function findForeignQueries(owners: Map<string, string>, files: SourceFile[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const report = (table: string, index: number) => {
      const owner = owners.get(table);
      if (owner === undefined || owner === file.module) return;
      const line = file.source.slice(0, index).split('\n').length;
      violations.push(`${file.path}:${line}: module "${file.module}" queries "${table}" (owned by ${owner})`);
    };
    for (const match of file.source.matchAll(KYSELY_TABLE_CALL)) report(match[1]!, match.index);
    for (const template of sqlTemplates(file.source)) {
      for (const match of template.text.matchAll(SQL_TABLE_CLAUSE)) report(match[1]!, template.start + match.index);
    }
  }
  return violations;
}

/** The text of every sql`…` template, with its ${…} expressions blanked out (same length, so positions hold). */
function sqlTemplates(source: string): Array<{ start: number; text: string }> {
  const templates: Array<{ start: number; text: string }> = [];
  for (const match of source.matchAll(SQL_TEMPLATE)) {
    const start = match.index + match[0].length;
    let text = '';
    let depth = 0;
    for (let i = start; i < source.length; i++) {
      const char = source[i]!;
      if (depth === 0 && char === '`') break;
      if (depth === 0 && char === '$' && source[i + 1] === '{') {
        depth = 1;
        text += '  ';
        i++;
        continue;
      }
      if (depth > 0) {
        if (char === '{') depth++;
        if (char === '}') depth--;
        text += char === '\n' ? '\n' : ' ';
        continue;
      }
      text += char;
    }
    templates.push({ start, text });
  }
  return templates;
}
