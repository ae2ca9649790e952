/**
 * Fuzzing step attributes: durations against an exact (BigInt) computation, and arbitrary
 * values for every key through the whole parser, against an oracle written from the rules.
 * Huge values must be refused, never overflow into a wrong number.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScheduleSyntaxError } from '../../src/errors.js';
import { ATTRIBUTE_KEYS, parseDuration } from '../../src/schedule/attributes.js';
import { parseSchedule } from '../../src/schedule/parse.js';
import type { StepAttributes } from '../../src/schedule/step.js';
import { hostileText, PURE_RUNS, returnsOrThrows } from './arbitraries.js';

const UNIT_MS: Record<string, bigint> = { ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n };

/**
 * The duration oracle: up to 12 whole digits and 6 decimals, then a unit; the exact value in
 * ms, rounded half up, in BigInt arithmetic; refused when it rounds to 0 or is not a safe
 * integer.
 */
function expectedDuration(text: string): number | undefined {
  const match = /^([0-9]{1,12})(?:\.([0-9]{1,6}))?(ms|s|m|h)$/.exec(text);
  if (!match) return undefined;
  const [, whole = '', fraction = '', unit = ''] = match;
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) * (UNIT_MS[unit] ?? 0n);
  const ms = (scaled * 2n + scale) / (2n * scale);
  return ms > 0n && ms <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ms) : undefined;
}

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));

/** Durations near the grammar: digit counts around the limits, units and near-miss units. */
const durationText = fc.oneof(
  fc
    .tuple(
      digits(0, 14),
      fc.option(digits(0, 8), { nil: undefined }),
      fc.constantFrom('ms', 's', 'm', 'h', '', 'S', 'sec', 'd', ' s', 'ms ', 'hm', 'µs'),
    )
    .map(([whole, fraction, unit]) => `${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`),
  fc.constantFrom(
    '999999999999h',
    '2501999792h',
    '2501999793h',
    '0.0005ms',
    '0.0004ms',
    '1.0005s',
    '0.5ms',
    // Found by this property: the product in floating point rounded 1440000000000014.4 ms up.
    '400000000.000004h',
  ),
  hostileText(10),
);

describe('fuzz: durations', () => {
  it('examples: 90s is 90000 ms, and huge or zero durations are refused', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('999999999999h')).toBeUndefined();
    expect(parseDuration('0s')).toBeUndefined();
  });

  it('every text parses to the exact rounded ms, or is refused when it is not a safe positive duration', () => {
    fc.assert(
      fc.property(durationText, (text) => {
        const ms = parseDuration(text);
        expect(ms).toBe(expectedDuration(text));
        if (ms !== undefined) expect(Number.isSafeInteger(ms) && ms > 0).toBe(true);
      }),
      { numRuns: PURE_RUNS },
    );
  });
});

/** Which field of `StepAttributes` each key sets, and the oracle for its value. */
const ORACLE: Record<string, { field: keyof StepAttributes; parse: (value: string) => unknown }> = {
  needs: {
    field: 'needs',
    parse: (value) => {
      if (value === 'none') return [];
      const items = value.split(',').map((item) => item.trim());
      // Step 3 carries the attribute; steps 1 and 2 exist and come before it.
      return items.every((item) => item === '1' || item === '2') ? items.map(Number) : undefined;
    },
  },
  when: { field: 'when', parse: (value) => (['success', 'failure', 'always'].includes(value) ? value : undefined) },
  blocks: {
    field: 'blocks',
    parse: (value) => {
      const items = value.split(',').map((item) => item.trim());
      const named = items.every((item) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(item));
      return named && new Set(items).size === items.length ? items : undefined;
    },
  },
  retries: {
    field: 'retries',
    parse: (value) => (/^[0-9]{1,3}$/.test(value) && Number(value) <= 100 ? Number(value) : undefined),
  },
  backoff: { field: 'backoffMs', parse: expectedDuration },
  timeout: { field: 'timeoutMs', parse: expectedDuration },
  stall: { field: 'stallMs', parse: expectedDuration },
  // Any shell line but an empty one or one with a control character other than a tab; one
  // item is a list of one command.
  verify: {
    field: 'verify',
    parse: (value) => {
      const codes = Array.from({ length: value.length }, (_, i) => value.charCodeAt(i));
      const control = codes.some((code) => (code < 0x20 && code !== 0x09) || code === 0x7f);
      return value === '' || control ? undefined : [value];
    },
  },
  isolation: { field: 'isolation', parse: (value) => (['worktree', 'none'].includes(value) ? value : undefined) },
  candidates: {
    field: 'candidates',
    parse: (value) =>
      /^[0-9]{1,2}$/.test(value) && Number(value) >= 2 && Number(value) <= 16 ? Number(value) : undefined,
  },
  // `first`, `smallest` and model names are all names: what a model name may be.
  judge: { field: 'judge', parse: (value) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value) ? value : undefined) },
  // A path or glob inside the working tree: not empty, no control character but a tab, not
  // absolute (`/`, `\`, `~`, a drive letter), not negated (`!`), no `..` segment, and not the
  // tree itself; one item is a list of one.
  outputs: {
    field: 'outputs',
    parse: (value) => {
      const codes = Array.from({ length: value.length }, (_, i) => value.charCodeAt(i));
      if (value === '' || codes.some((code) => (code < 0x20 && code !== 0x09) || code === 0x7f)) return undefined;
      if (['/', '\\', '~', '!'].includes(value[0] ?? '') || /^[A-Za-z]:/.test(value)) return undefined;
      const segments = value.split(/[/\\]/);
      if (segments.includes('..') || segments.every((segment) => segment === '' || segment === '.')) return undefined;
      return [value];
    },
  },
  // One step number, any step (the step that added this one).
  'added-by': {
    field: 'addedBy',
    parse: (value) => (/^[1-9][0-9]*$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : undefined),
  },
};

/** Values near each key's grammar, huge numbers among them, plus arbitrary text. */
const value = fc.oneof(
  durationText,
  fc.constantFrom('1', '2', '3', '4', '1, 2', '1,2,', ' 1 ,2', '1, 1', '9,9', 'none', 'None', '0', '01', '-1'),
  fc.constantFrom('9007199254740993', '99999999999999999999', '100', '101', '1000', '1e2', '2.0'),
  fc.constantFrom(
    'worktree',
    'none',
    'Worktree',
    'first',
    'smallest',
    '16',
    '17',
    'worktrees',
    'success',
    'failure',
    'always',
    'Always',
    'a, b',
    'a,a',
    'a/b',
    '..',
    'x'.repeat(41),
  ),
  hostileText(16),
  fc.constantFrom('\u2028', '5s\u2028', '\u00a01', '1\u00a0'),
  fc.constantFrom('npm test', 'make -j4 check && echo ok', 'a\tb', 'x\u0000y', 'x\u001b[2Jy', 'x\u007fy', '\t'),
  fc.constantFrom(
    'dist/app.js',
    'docs/*.md',
    'docs/{a,b}/**',
    './out',
    '.',
    './',
    './/.',
    '../x',
    'a/../b',
    'a\\..\\b',
    '..x/y',
    'x/..',
    '/abs',
    '\\abs',
    '~/x',
    'C:x',
    '!x',
    'a!b',
  ),
);

describe('fuzz: attribute values', () => {
  it('the oracle knows every attribute key, so no key goes unfuzzed', () => {
    expect(Object.keys(ORACLE).sort()).toEqual([...ATTRIBUTE_KEYS].sort());
  });

  it('a value for any key is stored as the oracle computes it, or refused with its line', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ATTRIBUTE_KEYS),
        value.map((text) => text.replace(/[\r\n]/g, '')),
        fc.constantFrom('  - ', '\t* ', '  + '),
        fc.constantFrom('', ' ', '\t', '  '),
        (key, text, bullet, padding) => {
          const schedule = [
            '[wait] 1. a | m -- d',
            '[wait] 2. b | m -- d',
            '[wait] 3. c | m -- d',
            `${bullet}${key}:${padding}${text}${padding}`,
            // A judge judges candidates: `judge:` without `candidates:` is refused whatever its value.
            ...(key === 'judge' ? ['  - candidates: 2'] : []),
            '',
          ].join('\n');
          const { field, parse } = ORACLE[key] ?? { field: 'needs', parse: () => undefined };
          // A line separator (U+2028, U+2029) in an item is refused, whatever the key.
          const expected = /[\u2028\u2029]/.test(text) ? undefined : parse(text.replace(/^[ \t]+|[ \t]+$/g, ''));
          const outcome = returnsOrThrows(() => parseSchedule(schedule), ScheduleSyntaxError, 'E_SCHEDULE_INVALID');
          if (outcome instanceof ScheduleSyntaxError) {
            expect(expected).toBeUndefined();
            expect(outcome.problems.map((problem) => problem.line)).toEqual([4]);
            expect(outcome.problems[0]?.column).toBeGreaterThan(bullet.length);
          } else {
            expect(expected).not.toBeUndefined();
            expect(outcome.steps[2]?.attributes[field]).toEqual(expected);
          }
        },
      ),
      { numRuns: PURE_RUNS },
    );
  });
});
