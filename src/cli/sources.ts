import type { CommonOptions, VerbSpec } from './verb.js';

/** The options that say where `run` (and `check`) find the codespace, skills, models and agents. */
export interface SourceOptions extends CommonOptions {
  readonly codespace?: string;
  readonly skills?: string;
  readonly models?: string;
  readonly agents?: string;
}

/** The commander definitions of `SourceOptions`. */
export const SOURCE_OPTIONS: NonNullable<VerbSpec['options']> = [
  ['--codespace <dir>', 'the project agents work in (default: the current folder)'],
  ['--skills <dir>', 'the folder that step refs point into'],
  ['--models <dir>', 'searched first for <model>.toml'],
  ['--agents <dir>', 'searched first for agent files (exception-handler.md, planner.md)'],
];
