/**
 * Where the package's own files are (`bin/`, `templates/`, `agents/`, `package.json`), found from
 * this module's location. The code runs from `src/` (tests), `dist/` (the library) or a bundle
 * chunk under `dist/bin/`, at different depths, so the root is the nearest folder upwards whose
 * `package.json` names this package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'planspace'
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`planspace: no package.json of planspace above ${import.meta.url}`);
  }
}

/** The package's root folder, absolute. */
export const PACKAGE_ROOT = findRoot();

/** The package's version, from its `package.json`. */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** A path inside the package, e.g. `packagePath('templates', 'step-prompt.md')`. */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
