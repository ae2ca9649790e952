/**
 * A question is never seen half-written: `workflow questions` (a person, or the demo's scripted
 * human) reads the questions folder while the engine records new ones. A reader that met an
 * empty `q1.json` failed with E_QUESTION_INVALID, and the demo's human, whose `workflow
 * questions` then exited non-zero, stopped answering (seen once in CI: the demo hung).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listQuestions, recordQuestion } from '../../src/engine/questions.js';
import { planspacePaths } from '../../src/planspace/paths.js';

describe('recordQuestion', () => {
  it('gives 40 questions recorded at once 40 ids, and a reader meanwhile only whole records', async () => {
    const paths = planspacePaths(await mkdtemp(join(tmpdir(), 'planspace-questions-')));
    const state = { recording: true };
    const reads: number[] = [];
    const reader = (async () => {
      while (state.recording) reads.push((await listQuestions(paths)).length);
    })();
    const recorded = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        recordQuestion(paths, { kind: 'ask', step: 1, asker: 'step-1', question: `question ${i}`, runId: 'r1-1-1' }),
      ),
    );
    state.recording = false;
    await reader;
    expect(new Set(recorded.map((question) => question.id)).size).toBe(40);
    const listed = await listQuestions(paths);
    expect(listed.map((question) => question.question).sort()).toEqual(recorded.map((q) => q.question).sort());
    expect(reads.length).toBeGreaterThan(0);
  });
});
