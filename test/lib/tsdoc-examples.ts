/**
 * Type-checking the ```ts blocks of `@example` TSDoc tags, as a user would paste them.
 *
 * Each example becomes a module that imports, in this priority order: (1) what
 * the example imports itself; (2) the package's prelude
 * `test/tsdoc-preludes/<dir>.d.ts` (`export declare` of the free variables its
 * examples assume: `model`, `rng`, `xInit`...); (3) the names given in
 * {@link ExampleContext.entries} (the test passes: the exports of the source
 * file the example is in, then the package's public names, then
 * `@charlearn/core`'s); (4) `tf` as `import * as tf from '@tensorflow/tfjs-core'`.
 * The example's statements (imports aside) run inside an `async function`, so
 * they may `await` and may declare names that shadow the imports. All modules
 * are checked in ONE TypeScript program; diagnostics are mapped back to the
 * source file and line of the example.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** One fenced example found in a TSDoc comment. */
export interface TsdocExample {
  /** Absolute path of the source file. */
  file: string;
  /** 1-based line of the first code line (after the fence) in `file`. */
  line: number;
  /** The code, comment stars stripped. */
  code: string;
}

/**
 * The compiler options the examples are checked with: strict, ES2022 + DOM, Node types, bundler
 * resolution, and `paths` (specifier → source entry file) so that `@charlearn/*` resolves to the
 * packages' sources as written now (no build needed).
 */
export function exampleCompilerOptions(paths: Record<string, string[]>): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    esModuleInterop: true,
    paths,
  };
}

/** Source files of a package that carry documentation: `src/**\/*.ts` minus tests and declaration files. */
export function documentedSources(packageDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts') && !/\.(test|spec|bench)\.ts$|\.d\.ts$/.test(entry.name)) out.push(p);
    }
  };
  walk(join(packageDir, 'src'));
  return out.sort();
}

/** The ```ts / ```typescript blocks under `@example` tags of the `/** *\/` comments of `file`. */
export function extractExamples(file: string, text = readFileSync(file, 'utf8')): TsdocExample[] {
  const lines = text.split('\n');
  const out: TsdocExample[] = [];
  let inDoc = false;
  let inExample = false;
  let code: string[] | undefined;
  let start = 0;
  lines.forEach((raw, i) => {
    if (!inDoc) {
      if (/^\s*\/\*\*/.test(raw) && !/\*\/\s*$/.test(raw)) inDoc = true;
      inExample = false;
      return;
    }
    if (/^\s*\*\/\s*$/.test(raw) || (!code && /\*\/\s*$/.test(raw))) {
      inDoc = false;
      code = undefined;
      return;
    }
    const body = raw.replace(/^\s*\* ?/, '');
    if (code) {
      if (/^\s*```\s*$/.test(body)) {
        out.push({ file, line: start, code: code.join('\n') });
        code = undefined;
      } else {
        code.push(body);
      }
      return;
    }
    if (/^@\w+/.test(body.trim())) inExample = body.trim().startsWith('@example');
    if (inExample && /^\s*```(ts|typescript)\s*$/.test(body)) {
      code = [];
      start = i + 2;
    }
  });
  return out;
}

/** Names a module exports, read syntactically from its declaration file (following `export *` of relative files). */
export function exportedNames(dtsFile: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(dtsFile)) return names;
  seen.add(dtsFile);
  const sf = ts.createSourceFile(dtsFile, readFileSync(dtsFile, 'utf8'), ts.ScriptTarget.ES2022, false);
  const hasExport = (n: ts.Node): boolean => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      if (st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) names.add(el.name.text);
      } else if (st.exportClause && ts.isNamespaceExport(st.exportClause)) {
        names.add(st.exportClause.name.text);
      } else if (!st.exportClause && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text.startsWith('.')) {
        const base = join(dirname(dtsFile), st.moduleSpecifier.text.replace(/\.(c|m)?js$/, ''));
        const target = ['.ts', '/index.ts', '.d.ts', '.d.cts', '.d.mts', '/index.d.ts'].map((ext) => base + ext).find(existsSync);
        if (target) for (const n of exportedNames(target, seen)) names.add(n);
      }
    } else if (hasExport(st)) {
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.add(d.name.text);
      } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st) || ts.isModuleDeclaration(st)) && st.name && ts.isIdentifier(st.name)) {
        names.add(st.name.text);
      }
    }
  }
  return names;
}

/** Local names bound by the import declarations of `code` (default, namespace and named). */
function importedNames(importLines: string[]): Set<string> {
  const names = new Set<string>();
  const sf = ts.createSourceFile('x.ts', importLines.join('\n'), ts.ScriptTarget.ES2022, false);
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause) continue;
    const c = st.importClause;
    if (c.name) names.add(c.name.text);
    if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) names.add(c.namedBindings.name.text);
    if (c.namedBindings && ts.isNamedImports(c.namedBindings)) for (const el of c.namedBindings.elements) names.add(el.name.text);
  }
  return names;
}

/** What an example module is checked against: the names it may use without importing them, and its prelude. */
export interface ExampleContext {
  /** `specifier → exported names`, in priority order (a name is imported from the first that has it). */
  entries: Map<string, Set<string>>;
  /** Absolute path of the prelude `.d.ts`, and the names it exports. */
  prelude: { file: string; names: Set<string> } | undefined;
}

/** A generated module: its text, and for each of its lines the example line it came from (0 = generated). */
export interface ExampleModule {
  text: string;
  origin: number[];
}

/**
 * The module checked for `example` (see the module comment). `preludeImport` is the specifier of the prelude from the module's folder.
 * `implicitTf: false` leaves out the implicit `tf` import (README blocks import what they use, as pasted code must).
 */
export function exampleModule(example: TsdocExample, ctx: ExampleContext, preludeImport: string, { implicitTf = true } = {}): ExampleModule {
  const lines = example.code.split('\n');
  // import declarations may span lines: take every line up to the closing `from '...';` of each import
  const importIdx = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*import\s/.test(lines[i]!)) continue;
    let j = i;
    while (j < lines.length && !/from\s+['"][^'"]+['"];?\s*$|^\s*import\s+['"][^'"]+['"];?\s*$/.test(lines[j]!)) j++;
    for (let k = i; k <= Math.min(j, lines.length - 1); k++) importIdx.add(k);
    i = j;
  }
  const own = importedNames([...importIdx].sort((a, b) => a - b).map((i) => lines[i]!));
  const text: string[] = [];
  const origin: number[] = [];
  const add = (line: string, from: number): void => {
    text.push(line);
    origin.push(from);
  };
  add(`// ${example.file}:${example.line}`, 0);
  // a relative import in an example means "next to the documented file"
  const absolute = (l: string): string => l.replace(/(from\s+|import\s+)(['"])(\.\.?\/[^'"]*)\2/, (_m, kw: string, q: string, spec: string) => `${kw}${q}${join(dirname(example.file), spec)}${q}`);
  lines.forEach((l, i) => importIdx.has(i) && add(absolute(l), example.line + i));
  const taken = new Set(own);
  const preludeNames = [...(ctx.prelude?.names ?? [])].filter((n) => !taken.has(n));
  preludeNames.forEach((n) => taken.add(n));
  for (const [specifier, names] of ctx.entries) {
    const free = [...names].filter((n) => !taken.has(n));
    free.forEach((n) => taken.add(n));
    if (free.length) add(`import { ${free.join(', ')} } from '${specifier}';`, 0);
  }
  if (preludeNames.length) add(`import { ${preludeNames.join(', ')} } from '${preludeImport}';`, 0);
  if (implicitTf && !taken.has('tf')) add("import * as tf from '@tensorflow/tfjs-core';", 0);
  add('export async function example(): Promise<void> {', 0);
  lines.forEach((l, i) => !importIdx.has(i) && add(l.replace(/^(\s*)export\s+(?!\{)/, '$1'), example.line + i));
  add('}', 0);
  return { text: text.join('\n') + '\n', origin };
}

/** A type error in an example, located in its source file. */
export interface ExampleDiagnostic {
  /** `path/relative/to/root.ts:LINE` of the example line (the fence line for errors in generated lines). */
  where: string;
  code: number;
  message: string;
}

/** Checks all `modules` (path → module) in one program; returns the diagnostics mapped to `examples` (same keys). */
export function checkExamples(
  modules: Map<string, { module: ExampleModule; example: TsdocExample }>,
  extraRoots: string[],
  options: ts.CompilerOptions,
  root: string,
): ExampleDiagnostic[] {
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => modules.get(f)?.module.text ?? readFile(f);
  host.fileExists = (f) => modules.has(f) || fileExists(f);
  const program = ts.createProgram({ rootNames: [...modules.keys(), ...extraRoots], options, host });
  const out: ExampleDiagnostic[] = [];
  // Only the examples (and the preludes) are checked: the sources they import are checked by their packages' typecheck.
  const checked = program.getSourceFiles().filter((sf) => modules.has(sf.fileName) || extraRoots.includes(sf.fileName));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...checked.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
  ];
  for (const d of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const entry = d.file ? modules.get(d.file.fileName) : undefined;
    if (!d.file || !entry) {
      out.push({ where: d.file ? relative(root, d.file.fileName) : '(options)', code: d.code, message });
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const from = entry.module.origin[line] ?? 0;
    out.push({ where: `${relative(root, entry.example.file)}:${from || entry.example.line - 1}`, code: d.code, message });
  }
  return out;
}

/** A file name for the module of `example` inside `dir`: `<package-dir>__<file>__L<line>.ts`. */
export function exampleFileName(dir: string, example: TsdocExample, packageDir: string): string {
  const rel = relative(join(packageDir, 'src'), example.file).replace(/[\\/]/g, '_').replace(/\.ts$/, '');
  return join(dir, `${basename(packageDir)}__${rel}__L${example.line}.ts`);
}
