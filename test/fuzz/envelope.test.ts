/**
 * Fuzzing the stored forms of mailbox messages: the envelope file (one JSON line, then the
 * body bytes) and the 64-byte records of journals and claims logs. Encoding round-trips for
 * any bodies and fields; decoding arbitrary, truncated or corrupted bytes returns a message
 * or throws `MessageCorruptError`, nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, MessageCorruptError, type Envelope } from '../../src/mailbox/envelope.js';
import { decodeDelivery, encodeDelivery } from '../../src/mailbox/journal.js';
import { decodeRecord, encodeRecord, RECORD_BYTES } from '../../src/mailbox/records.js';
import { hostileText, PURE_RUNS, returnsOrThrows } from './arbitraries.js';

const CORRUPT = 'E_MESSAGE_CORRUPT';

const envelope: fc.Arbitrary<Envelope> = fc.record({
  id: hostileText(30),
  sender: fc.option(hostileText(20), { nil: null }),
  time: fc.oneof(
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    hostileText(10),
  ),
  runId: fc.option(hostileText(20), { nil: null }),
});

/** Bodies: any bytes (NUL, invalid UTF-8, newlines), sometimes large. */
const body = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  // Past 64 KiB (where a send stores the envelope in a file of its own), built by repetition
  // because generating 65 536 random bytes per case would dominate the run time.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 65_537, max: 70_000 }))
      .map(([unit, length]) => new Uint8Array(Buffer.alloc(length, unit))),
  },
);

describe('fuzz: message envelopes', () => {
  it('decode(encode(envelope, body)) gives back every field and the body byte for byte', () => {
    fc.assert(
      fc.property(envelope, body, fc.integer({ min: 1 }), (fields, bytes, seq) => {
        const message = decodeMessage(encodeMessage(fields, bytes), seq, 'm');
        expect({ ...message, body: undefined }).toEqual({ ...fields, seq, body: undefined });
        expect(message.body.equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: PURE_RUNS },
    );
  });

  /** Envelope lines that are valid JSON of every shape, and near misses of a real one. */
  const header = fc.oneof(
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc
      .record(
        {
          id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          sender: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          time: fc.oneof(fc.string(), fc.boolean()),
          runId: fc.oneof(fc.string(), fc.constant(null)),
          bytes: fc.oneof(fc.nat({ max: 40 }), fc.string(), fc.double(), fc.constant(-1)),
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    fc.constantFrom('null', '[]', '"x"', '0', '{"__proto__":{"id":"x"}}', '{', ''),
  );

  it('decoding arbitrary bytes returns a message whose body has the stated length, or MessageCorruptError', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 100 }).map((array) => Buffer.from(array)),
      fc
        .tuple(header, fc.uint8Array({ maxLength: 40 }))
        .map(([line, rest]) => Buffer.concat([Buffer.from(`${line}\n`), rest])),
    );
    fc.assert(
      fc.property(bytes, (input) => {
        const outcome = returnsOrThrows(() => decodeMessage(input, 7, 'm'), MessageCorruptError, CORRUPT);
        if (outcome instanceof MessageCorruptError) {
          expect(outcome.message).toMatch(/^m: not a planspace message: /);
          return;
        }
        const stated = (JSON.parse(input.subarray(0, input.indexOf(0x0a)).toString()) as { bytes: unknown }).bytes;
        expect(typeof outcome.id).toBe('string');
        expect(typeof outcome.time).toBe('string');
        expect(outcome.body.length).toBe(stated);
        expect(outcome.seq).toBe(7);
      }),
      { numRuns: PURE_RUNS },
    );
  });

  it('a truncated message is always refused; a corrupted one is refused or keeps its stated length', () => {
    fc.assert(
      fc.property(
        envelope,
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (fields, bytes, cut, flips) => {
          const whole = encodeMessage(fields, bytes);
          const truncated = whole.subarray(0, cut % whole.length);
          expect(() => decodeMessage(truncated, 1, 'm')).toThrow(MessageCorruptError);
          const corrupted = Buffer.from(whole);
          for (const [at, byte] of flips) corrupted[at % corrupted.length] = byte;
          const outcome = returnsOrThrows(() => decodeMessage(corrupted, 1, 'm'), MessageCorruptError, CORRUPT);
          if (!(outcome instanceof MessageCorruptError)) {
            expect(outcome.body.length).toBe(corrupted.length - corrupted.indexOf(0x0a) - 1);
          }
        },
      ),
      { numRuns: PURE_RUNS },
    );
  });
});

/** A record field as planspace writes them: printable, no blank, non-empty. */
const field = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 20,
});

describe('fuzz: 64-byte records', () => {
  it('decode(encode(fields)) gives back the fields, and every record is exactly 64 bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(field, fc.nat()), { minLength: 1, maxLength: 6 }), (fields) => {
        const text = fields.join(' ');
        if (text.length > RECORD_BYTES - 1) {
          expect(() => encodeRecord(fields)).toThrow(/not a valid 64-byte record/);
          return;
        }
        const record = encodeRecord(fields);
        expect(record).toHaveLength(RECORD_BYTES);
        expect(record[RECORD_BYTES - 1]).toBe(0x0a);
        expect(decodeRecord(record)).toEqual(fields.map(String));
      }),
      { numRuns: PURE_RUNS },
    );
  });

  it('a field that could not be read back is refused, never written wrong', () => {
    fc.assert(
      fc.property(fc.array(hostileText(12), { minLength: 1, maxLength: 4 }), (fields) => {
        let record: Buffer;
        try {
          record = encodeRecord(fields);
        } catch (error) {
          // The guard against a bug in the caller: a plain Error naming the record.
          expect((error as Error).message).toMatch(/not a valid 64-byte record/);
          return;
        }
        expect(record).toHaveLength(RECORD_BYTES);
        expect(decodeRecord(record)).toEqual(fields);
      }),
      { numRuns: PURE_RUNS },
    );
  });

  it('decoding arbitrary record bytes as a delivery never throws; deliveries round-trip', () => {
    const id = fc
      .array(fc.stringMatching(/^[0-9a-z]{1,8}$/), { minLength: 3, maxLength: 3 })
      .map((parts) => parts.join('.'));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: RECORD_BYTES, maxLength: RECORD_BYTES }),
        id,
        fc.boolean(),
        fc.nat(),
        fc.nat(),
        (bytes, messageId, ownFile, offset, length) => {
          const delivery = decodeDelivery(decodeRecord(Buffer.from(bytes)));
          if (delivery)
            expect(Number.isSafeInteger(delivery.offset) && Number.isSafeInteger(delivery.length)).toBe(true);
          const decoded = decodeDelivery(decodeRecord(encodeDelivery(messageId, ownFile, offset, length)));
          expect(decoded).toEqual({
            id: messageId,
            file: ownFile ? messageId : messageId.slice(0, messageId.lastIndexOf('.')),
            offset: ownFile ? 0 : offset,
            length,
          });
        },
      ),
      { numRuns: PURE_RUNS },
    );
  });
});
