import { createHash } from 'node:crypto';
import type { RolloutSpec } from '../spec';
import { SpecValidationError } from '../spec/errors';

// Kept importable from here: the sync compares targets with it.
export { stableStringify } from '../shared/stable-json';

/** Where specs live in the configuration repository, and which files count. */
export interface SpecLocation {
  /** Folder prefix, e.g. `.canary/` (nested folders included). */
  folder: string;
  extensions: readonly string[];
}

export const DEFAULT_SPEC_LOCATION: SpecLocation = { folder: '.canary/', extensions: ['.yaml', '.yml', '.json'] };

/** Reads the spec location from `SPEC_FOLDER` (default `.canary/`). */
export function specLocationFromEnv(env: NodeJS.ProcessEnv = process.env): SpecLocation {
  const folder = (env.SPEC_FOLDER ?? '').trim().replace(/^\.\//, '').replace(/^\/+/, '');
  if (!folder) return DEFAULT_SPEC_LOCATION;
  return { ...DEFAULT_SPEC_LOCATION, folder: folder.endsWith('/') ? folder : `${folder}/` };
}

/**
 * True for a relative path inside a repository: no leading `/`, no `.` or `..` segment, no
 * backslash or control character. A `..` would climb out of the spec folder (and, in the GitHub
 * contents URL, out of the repository, carrying the token to another API path).
 */
export function isSafeRepoPath(path: string): boolean {
  if (path.length === 0 || path.length > 1024 || path.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** `owner/repo` (GitHub) or a CodeCommit repository name: letters, digits, `.`, `_`, `-`, never `.` or `..` alone. */
export function isSafeRepositoryName(name: string): boolean {
  const parts = name.split('/');
  return parts.length <= 2 && parts.every((p) => /^[A-Za-z0-9_.-]{1,100}$/.test(p) && p !== '.' && p !== '..');
}

/** True for a rollout spec file: a safe relative path inside the folder, with a spec extension. */
export function isSpecPath(path: string, location: SpecLocation = DEFAULT_SPEC_LOCATION): boolean {
  return isSafeRepoPath(path) && path.startsWith(location.folder) && location.extensions.some((ext) => path.toLowerCase().endsWith(ext));
}

/** sha256 of the file text, hex: the content part of a git revision. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** One line per issue, each naming the file and the field: `.canary/user.yaml: strategy.steps[2]: must be greater than 25`. */
export function describeSpecError(error: unknown, path: string): string {
  if (error instanceof SpecValidationError) {
    return error.issues.map((i) => `${path}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ');
  }
  return `${path}: ${error instanceof Error ? error.message : String(error)}`;
}

export type ParsedSpecFile = { ok: true; spec: RolloutSpec; contentHash: string } | { ok: false; error: string };

/** Parses and validates one spec file; never throws. */
export function parseSpecFile(path: string, text: string): ParsedSpecFile {
  // Required here: the triggers import this module for its path rules, and only a changed spec
  // file needs the YAML parser and the spec schema (most of a trigger's cold start).
  const { parseSpecText } = require('../spec/load') as typeof import('../spec/load');
  try {
    return { ok: true, spec: parseSpecText(text, path), contentHash: contentHash(text) };
  } catch (error) {
    return { ok: false, error: describeSpecError(error, path) };
  }
}
