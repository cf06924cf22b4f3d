import { readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AIFlowError } from '../protocol/errors.ts';
import { invalid, show } from './checks.ts';

/*
 * Turns what loading a workflow module threw into `AIFlowError('INVALID_WORKFLOW', '<file>:<line>:<col>: <reason>')`.
 * Locations come from three places: esbuild's message (a syntax error in a file tsx transforms), the stack
 * (anything thrown while a module runs) and, for a syntax error in a plain ESM `.js` file, Node's fatal-error
 * output (`describeCrash`): V8 keeps that location in a hidden field that only Node's printer reads.
 */

interface SourceLocation {
  path: string;
  line: number;
  column: number;
}

const WORKFLOW_DIR = dirname(fileURLToPath(import.meta.url));
/** Frames in these folders are the library's own (the DSL that threw), never the user's line. */
const LIBRARY_DIRS = [WORKFLOW_DIR, resolve(WORKFLOW_DIR, '../protocol')].map((dir) => dir + sep);

function toPath(pathOrUrl: string): string {
  return pathOrUrl.startsWith('file://') ? fileURLToPath(pathOrUrl) : resolve(pathOrUrl);
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Names a file in messages: the caller's spelling for the module itself, the absolute path for any other. */
function label(path: string, file: string): string {
  return realPath(path) === realPath(resolve(file)) ? file : path;
}

function at(location: SourceLocation, file: string): string {
  return `${label(location.path, file)}:${location.line}:${location.column}`;
}

/**
 * The frame where the error happened in user code: the first frame in the module itself (unless it is a bundle),
 * else the first one outside Node, `node_modules` and this library. `async` frames are skipped: they are callers awaiting an
 * `import()` (the loader, a test), not the place of the error.
 */
function userFrame(stack: string | undefined, file: string): SourceLocation | undefined {
  const frames: SourceLocation[] = [];
  for (const line of (stack ?? '').split('\n')) {
    const match = /^\s+at (?!async )(?:.*? \()?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?$/.exec(line);
    if (match)
      frames.push({ path: toPath(match[1] as string), line: Number(match[2]), column: Number(match[3]) });
  }
  const entry = realPath(resolve(file));
  const generated = hasInlineSourceMap(entry);
  const inEntry = (frame: SourceLocation) => realPath(frame.path) === entry;
  return (
    (generated ? undefined : frames.find(inEntry)) ??
    frames.find(
      (frame) =>
        !(generated && inEntry(frame)) &&
        !frame.path.includes(`${sep}node_modules${sep}`) &&
        !LIBRARY_DIRS.some((dir) => frame.path.startsWith(dir)),
    )
  );
}

/**
 * A module with an inline source map is generated (an upload's bundle): the map turns its frames into the sources'
 * files and lines, and those it leaves in the module itself are the bundler's own helpers, never the user's line.
 */
function hasInlineSourceMap(path: string): boolean {
  try {
    return /\n\/\/# sourceMappingURL=data:[^\n]*\s*$/.test(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

/** esbuild (through tsx): `Transform failed with 1 error:\n<path>:<line>:<col>: ERROR: <reason>`, col from 0. */
function describeTransformError(error: Error, file: string): string | undefined {
  if (!error.message.startsWith('Transform failed')) return undefined;
  const match = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(error.message);
  if (!match) return undefined;
  const location = { path: toPath(match[1] as string), line: Number(match[2]), column: Number(match[3]) + 1 };
  return `${at(location, file)}: SyntaxError: ${match[4]}`;
}

/** Which import failed, from ESM's or CommonJS's (a `.ts` file outside a `"type": "module"` package) message. */
function missingImport(error: Error): { missing: string; importer: string } | undefined {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_MODULE_NOT_FOUND') {
    // `Cannot find package 'x' imported from <path>`, `Cannot find module '<absolute path>' imported from <path>`
    const match = /^Cannot find (?:package|module) '([^']+)' imported from (.+)$/.exec(
      firstLine(error.message),
    );
    if (match) return { missing: match[1] as string, importer: toPath(match[2] as string) };
  }
  if (code === 'MODULE_NOT_FOUND') {
    // `Cannot find module './x'\nRequire stack:\n- <path>`
    const match = /^Cannot find module '([^']+)'\r?\nRequire stack:\r?\n- (.+)$/m.exec(error.message);
    if (match) return { missing: match[1] as string, importer: toPath(match[2] as string) };
  }
  return undefined;
}

/** An import that cannot be resolved: points at the import in the importing file when it is found there. */
function describeMissingImport(error: Error, file: string): string | undefined {
  const found = missingImport(error);
  if (found === undefined) return undefined;
  const { missing, importer } = found;
  let source: string;
  try {
    source = readFileSync(importer, 'utf8');
  } catch {
    return undefined;
  }
  for (const [index, text] of source.split('\n').entries()) {
    for (const specifier of text.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"]+)\1/g,
    )) {
      const name = specifier[2] ?? '';
      const relative = /^\.{0,2}\//.test(name);
      const matches = relative
        ? name === missing || stripExtension(resolve(dirname(importer), name)) === stripExtension(missing)
        : name === missing || name.startsWith(`${missing}/`);
      if (matches) {
        const column = (specifier.index ?? 0) + specifier[0].indexOf(specifier[1] ?? "'") + 1;
        const what = relative ? 'module' : 'package';
        return `${at({ path: importer, line: index + 1, column }, file)}: Cannot find ${what} ${show(name)}`;
      }
    }
  }
  return undefined;
}

function stripExtension(path: string): string {
  return path.replace(/\.[cm]?[jt]sx?$/, '');
}

/** Wraps anything thrown while importing `file` (as the caller spelled it) into an INVALID_WORKFLOW error. */
export function describeLoadError(error: unknown, file: string): AIFlowError {
  if (!(error instanceof Error)) return invalid(`${file}: the module threw ${show(error)}`, error);
  const located = describeTransformError(error, file) ?? describeMissingImport(error, file);
  if (located !== undefined) return invalid(located, error);
  const frame = userFrame(error.stack, file);
  // Our own errors already read well; for others the class name says what kind of failure it was.
  const reason = error.name === 'AIFlowError' ? error.message : `${error.name}: ${firstLine(error.message)}`;
  return invalid(`${frame ? at(frame, file) : file}: ${reason}`, error);
}

/**
 * A syntax error of a plain ESM file, which carries no location that JavaScript can read. The isolated loader
 * lets it reach Node's fatal-error handler, which prints the location, and reads it back with `describeCrash`.
 */
export function isUnlocatedSyntaxError(error: unknown, file: string): boolean {
  return (
    error instanceof SyntaxError &&
    !error.message.startsWith('Transform failed') &&
    userFrame(error.stack, file) === undefined
  );
}

/**
 * Reads Node's report of an uncaught error (`<url>:<line>`, the source line, a caret line, a blank line, then the
 * stack) from a process's stderr: `<file>:<line>:<col>: <Name>: <message>`, or `undefined` if there is none.
 */
export function describeCrash(stderr: string, file: string): string | undefined {
  const match =
    /^((?:file:\/\/)?\/[^\n]*?):(\d+)\r?\n[^\n]*\r?\n( *)\^[^\n]*\r?\n\r?\n(\w*Error)(?: \[\w+\])?: ([^\n]*)$/m.exec(
      stderr,
    );
  if (!match) return undefined;
  const [, path = '', line, indent = '', name, message] = match;
  return `${at({ path: toPath(path), line: Number(line), column: indent.length + 1 }, file)}: ${name}: ${message}`;
}
