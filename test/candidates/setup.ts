/**
 * Setup for the best-of-N tests: an isolation run (a codespace that is a git repository on
 * `main`) whose models `alpha`, `beta` and `gamma` are all `agent-candidate.js`, each told its
 * own name, doing what each test's plan says for each candidate k.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCandidatesRecord, type CandidatesRecord } from '../../src/candidates/record.js';
import { makeIsolationRun, type IsolationRun } from '../engine/isolation-setup.js';
import { AGENTS_BIN } from '../engine/setup.js';

export const AGENT_CANDIDATE = join(AGENTS_BIN, 'agent-candidate.js');

/** The models every candidates test may name. */
export const MODELS = ['alpha', 'beta', 'gamma'] as const;

/** What agent-candidate.js does for one candidate (see the fixture). */
export interface CandidatePlan {
  readonly write?: Readonly<Record<string, string>>;
  readonly child?: boolean;
  readonly sleepMs?: number;
  readonly waitFor?: string;
  readonly exit?: number;
}

/** What agent-candidate.js saved at its start. */
export interface CandidateStart {
  /** k, or `step-N` for a step without candidates. */
  readonly k: string;
  readonly run: number;
  readonly pid: number;
  readonly child?: number;
  readonly model: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** A candidates test's run. */
export interface CandidatesRun extends IsolationRun {
  /** Sets each candidate's plan, by k. */
  plan(plans: Readonly<Record<number | `step-${number}`, CandidatePlan>>): Promise<void>;
  /** What candidate k saved at the start of its run n; undefined if it never started. */
  started(k: number | string, n?: number): Promise<CandidateStart | undefined>;
  /** The lines of `times.log`: `[what, k, ms]`. */
  times(): Promise<[string, string, number][]>;
  /** `artifacts/step-N-candidates.json`. */
  candidatesRecord(step?: number): Promise<CandidatesRecord | undefined>;
  /** Full names of the candidates' refs (under `refs/planspace/<run id>/`, not the checkpoints'). */
  candidateRefs(): string[];
}

/** `makeIsolationRun` with the candidate models (see the module comment). */
export async function makeCandidatesRun(
  schedule: string,
  env: Readonly<Record<string, string>> = {},
  files?: Readonly<Record<string, string>>,
): Promise<CandidatesRun> {
  const run = await makeIsolationRun(schedule, files, env);
  const plan: CandidatesRun['plan'] = async (plans) => {
    for (const name of MODELS) {
      await run.setModel(name, {
        command: AGENT_CANDIDATE,
        // A model file's braces are placeholders: {{ and }} stand for literal ones.
        env: { RECORD_DIR: run.records, MODEL_NAME: name, CANDIDATES: JSON.stringify(plans).replace(/[{}]/g, '$&$&') },
      });
    }
  };
  await plan({});
  return {
    ...run,
    plan,
    started: async (k, n = 1) => {
      const names = await readdir(run.records);
      const name = `candidate-${k}-${n}.json`;
      if (!names.includes(name)) return undefined;
      return JSON.parse(await readFile(join(run.records, name), 'utf8')) as CandidateStart;
    },
    times: async () =>
      (await readFile(join(run.records, 'times.log'), 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const [what = '', k = '', ms = ''] = line.split(' ');
          return [what, k, Number(ms)];
        }),
    candidatesRecord: (step = 1) => readCandidatesRecord(join(run.planspace, 'artifacts'), step),
    candidateRefs: () =>
      run
        .git('for-each-ref', '--format=%(refname)', 'refs/planspace/')
        .split('\n')
        .filter((line) => /^refs\/planspace\/[^/]+\/step-\d+\/candidate-\d+$/.test(line)),
  };
}
