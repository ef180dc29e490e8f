import { describe, expect, it } from 'vitest';
import {
  DATAGRAM_REJECT_REASONS,
  datagramLength,
  HEADER_LENGTH,
  writeCombinedDatagram,
  writeDatagram,
  type DatagramExpectations,
  type DatagramRejectReason,
  type SymbolHeader,
} from '../../encoder/datagram.js';
import { crc32Scheme } from '../../encoder/integrity.js';
import { DatagramIntake, MAX_SEQUENCE_JUMP, RECEIVER_DROP_REASONS, SEQUENCE_HISTORY, SequenceTracker } from '../../receiver/intake.js';
import { SeededRandom } from '../../util/random.js';

const T = 64;
const expect0: DatagramExpectations = {
  sessionId: 0xabcdef01,
  symbolSize: T,
  segmentCount: 3,
  encodingSymbolIdLimit: 1000,
  integrity: crc32Scheme,
};

function datagram(header: Partial<SymbolHeader> = {}, symbolSize = T): Uint8Array {
  const out = new Uint8Array(datagramLength(symbolSize, crc32Scheme));
  const symbol = new SeededRandom(9).fill(new Uint8Array(symbolSize));
  writeDatagram(out, { sessionId: expect0.sessionId, sequenceNumber: 0, segmentIndex: 0, encodingSymbolId: 0, ...header }, symbol, crc32Scheme);
  return out;
}

function resealed(d: Uint8Array, edit: (d: Uint8Array) => void): Uint8Array {
  edit(d);
  crc32Scheme.seal(d, HEADER_LENGTH + T);
  return d;
}

const hostile: Record<DatagramRejectReason, () => Uint8Array> = {
  'too-short': () => datagram().subarray(0, 10),
  'bad-magic': () => resealed(datagram(), (d) => (d[0] = 0x00)),
  'bad-version': () => resealed(datagram(), (d) => (d[2] = 2)),
  'bad-type': () => resealed(datagram(), (d) => (d[3] = 7)),
  'bad-tag-kind': () => resealed(datagram(), (d) => (d[4] = 2)),
  'bad-flags': () => resealed(datagram(), (d) => (d[5] = 0x80)),
  'length-mismatch': () => datagram({}, T + 8),
  'wrong-session': () => datagram({ sessionId: 1 }),
  'bad-tag': () => {
    const d = datagram();
    d[HEADER_LENGTH + 3]! ^= 1;
    return d;
  },
  'segment-out-of-range': () => datagram({ segmentIndex: 3 }),
  'bad-source-block': () => resealed(datagram(), (d) => (d[20] = 1)),
  'esi-out-of-range': () => datagram({ encodingSymbolId: 1000 }),
  'bad-combination': () => {
    const d = new Uint8Array(datagramLength(T, crc32Scheme, 2));
    writeCombinedDatagram(d, { sessionId: expect0.sessionId, sequenceNumber: 0, segmentIndex: 0 }, [4, 6], new Uint8Array(T), crc32Scheme);
    d[26] = 3; // the second id below the first
    crc32Scheme.seal(d, HEADER_LENGTH + 3 + T);
    return d;
  },
};

describe('DatagramIntake', () => {
  it('accepts a valid datagram and returns its header and symbol view', () => {
    const intake = new DatagramIntake(expect0);
    const d = intake.accept(datagram({ sequenceNumber: 5, segmentIndex: 2, encodingSymbolId: 999 }));
    expect(d).toMatchObject({ ok: true, sequenceNumber: 5, segmentIndex: 2, encodingSymbolId: 999 });
    expect(d!.symbol.length).toBe(T);
    expect(intake.accepted).toBe(1);
    expect(intake.dropped).toBe(0);
  });

  for (const reason of DATAGRAM_REJECT_REASONS) {
    it(`counts ${reason}`, () => {
      const intake = new DatagramIntake(expect0);
      expect(intake.accept(hostile[reason]())).toBeUndefined();
      expect(intake.drops[reason]).toBe(1);
      expect(intake.dropped).toBe(1);
      expect(intake.accepted).toBe(0);
      expect(intake.sequence.received).toBe(0);
    });
  }

  it('counts state drops and starts every reason at zero', () => {
    const intake = new DatagramIntake(expect0);
    for (const r of RECEIVER_DROP_REASONS) expect(intake.drops[r]).toBe(0);
    intake.countDrop('window-full');
    intake.countDrop('window-full');
    intake.countDrop('simulated-loss');
    expect(intake.drops['window-full']).toBe(2);
    expect(intake.dropped).toBe(3);
  });

  it('drops a datagram implausibly far ahead as sequence-jump, uncounted in the sequence', () => {
    const intake = new DatagramIntake(expect0);
    expect(intake.accept(datagram({ sequenceNumber: 7 }))).toBeDefined();
    expect(intake.accept(datagram({ sequenceNumber: 7 + 2 ** 31 - 1 }))).toBeUndefined();
    expect(intake.drops['sequence-jump']).toBe(1);
    expect(intake.accepted).toBe(1);
    expect(intake.sequence.snapshot()).toMatchObject({ highestSequence: 7, received: 1, lost: 0 });
  });

  it('random bytes never throw and are all counted', () => {
    const intake = new DatagramIntake(expect0);
    const rnd = new SeededRandom(4242);
    for (let i = 0; i < 2000; i++) {
      const b = rnd.fill(new Uint8Array(rnd.nextInt(200)));
      if (i % 2 === 0 && b.length >= 2) {
        b[0] = 0xfc;
        b[1] = 0x57;
      }
      intake.accept(b);
    }
    expect(intake.accepted + intake.dropped).toBe(2000);
    expect(intake.accepted).toBe(0);
  });
});

describe('SequenceTracker', () => {
  const feed = (seqs: number[]) => {
    const t = new SequenceTracker();
    for (const s of seqs) t.record(s);
    return t;
  };

  it('in order: no loss', () => {
    const t = feed(Array.from({ length: 100 }, (_, i) => i));
    expect(t.snapshot()).toEqual({ highestSequence: 99, received: 100, lost: 0, reordered: 0, duplicateSequences: 0, stale: 0 });
  });

  it('gaps count as lost until a late datagram fills them; repeats are duplicates', () => {
    const t = feed([0, 1, 5]);
    expect(t.lost).toBe(3);
    t.record(3);
    expect(t.snapshot()).toMatchObject({ highestSequence: 5, received: 4, lost: 2, reordered: 1 });
    t.record(3);
    t.record(5);
    expect(t.duplicateSequences).toBe(2);
    expect(t.received).toBe(4);
  });

  it('wraps at 2^32', () => {
    const t = feed([2 ** 32 - 2, 2 ** 32 - 1, 0, 1]);
    expect(t.snapshot()).toMatchObject({ highestSequence: 1, received: 4, lost: 0 });
    const g = feed([2 ** 32 - 1, 2]);
    expect(g.lost).toBe(2);
    g.record(0);
    expect(g.snapshot()).toMatchObject({ highestSequence: 2, lost: 1, reordered: 1, received: 3 });
  });

  it('a datagram from before the first one seen opens no negative loss', () => {
    const t = feed([100, 97]);
    expect(t.snapshot()).toMatchObject({ highestSequence: 100, received: 2, lost: 2 });
    t.record(98);
    t.record(99);
    expect(t.snapshot()).toMatchObject({ received: 4, lost: 0 });
  });

  it('datagrams older than the history are stale, not received', () => {
    const t = feed([200_000]);
    t.record(200_000 - SEQUENCE_HISTORY);
    expect(t.snapshot()).toMatchObject({ received: 1, stale: 1, lost: 0 });
    t.record(200_000 - SEQUENCE_HISTORY + 1);
    expect(t.snapshot()).toMatchObject({ received: 2, reordered: 1 });
  });

  it('a long outage re-anchors: the jump is dropped, the next datagram near it moves the count there', () => {
    const t = feed([10, 11]);
    expect(t.record(10 + 3 * SEQUENCE_HISTORY)).toBe(false);
    expect(t.snapshot()).toMatchObject({ highestSequence: 11, received: 2, lost: 0 });
    expect(t.record(10 + 3 * SEQUENCE_HISTORY + 2)).toBe(true);
    // The gap is not loss: either side of it may have been forged.
    expect(t.snapshot()).toMatchObject({ highestSequence: 12 + 3 * SEQUENCE_HISTORY, received: 3, lost: 0 });
    t.record(11); // now far too old
    expect(t.stale).toBe(1);
    t.record(10 + 3 * SEQUENCE_HISTORY + 4);
    t.record(10 + 3 * SEQUENCE_HISTORY + 3);
    expect(t.snapshot()).toMatchObject({ received: 5, lost: 0, reordered: 1, duplicateSequences: 0 });
  });

  it('jumps up to MAX_SEQUENCE_JUMP count as loss; one further is dropped and leaves the counts alone', () => {
    const t = feed([2 ** 32 - 5]);
    expect(t.record((2 ** 32 - 5 + MAX_SEQUENCE_JUMP) >>> 0)).toBe(true);
    expect(t.snapshot()).toMatchObject({ highestSequence: (2 ** 32 - 5 + MAX_SEQUENCE_JUMP) >>> 0, received: 2, lost: MAX_SEQUENCE_JUMP - 1 });
    const before = t.snapshot();
    expect(t.record((before.highestSequence + MAX_SEQUENCE_JUMP + 1) >>> 0)).toBe(false);
    expect(t.record((before.highestSequence + 2 ** 31 - 1) >>> 0)).toBe(false);
    expect(t.snapshot()).toEqual(before);
  });

  it('a real burst of 10,000 lost datagrams counts in full', () => {
    const t = feed([0, 1, 2]);
    t.record(10_003);
    t.record(10_004);
    expect(t.snapshot()).toMatchObject({ highestSequence: 10_004, received: 5, lost: 10_000 });
  });

  it('a forged first datagram is left behind once the real stream shows up twice', () => {
    const t = feed([3_000_000_000]);
    t.record(500);
    t.record(501);
    expect(t.snapshot()).toMatchObject({ highestSequence: 501, lost: 0 });
    t.record(502);
    t.record(505);
    expect(t.snapshot()).toMatchObject({ highestSequence: 505, lost: 2 });
  });

  it('random forged numbers mixed into a real stream leave received and lost as they were', () => {
    const rnd = new SeededRandom(77);
    const t = new SequenceTracker();
    let lost = 0;
    let forgedDropped = 0;
    let seq = 2 ** 32 - 50_000;
    for (let i = 0; i < 200_000; i++) {
      if (rnd.next() < 0.05) lost++;
      else t.record(seq >>> 0);
      seq++;
      if (rnd.next() < 0.05 && !t.record(rnd.nextInt(2 ** 32))) forgedDropped++;
    }
    expect(forgedDropped, 'seed 77').toBeGreaterThan(3000);
    expect(Math.abs(t.lost - lost), 'seed 77').toBeLessThan(lost * 0.001);
  });

  it('matches a model under seeded loss, local reordering and duplication across the wrap', () => {
    for (const seed of [1, 2, 3]) {
      const rnd = new SeededRandom(seed);
      const base = 2 ** 32 - 3000;
      const n = 10_000;
      const delivered: number[] = [];
      for (let i = 0; i < n; i++) if (rnd.next() >= 0.1) delivered.push(i);
      for (let i = 0; i + 1 < delivered.length; i++) {
        const j = i + rnd.nextInt(Math.min(40, delivered.length - i));
        [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
      }
      const stream: number[] = [];
      let dups = 0;
      for (const d of delivered) {
        stream.push(d);
        if (rnd.next() < 0.02) {
          stream.push(d);
          dups++;
        }
      }
      const t = feed(stream.map((i) => (base + i) >>> 0));
      const distinct = new Set(delivered);
      const lo = Math.min(...distinct);
      const hi = Math.max(...distinct);
      expect(t.received, `seed ${seed}`).toBe(distinct.size);
      expect(t.lost, `seed ${seed}`).toBe(hi - lo + 1 - distinct.size);
      expect(t.duplicateSequences, `seed ${seed}`).toBe(dups);
      expect(t.highestSequence).toBe((base + hi) >>> 0);
      expect(t.stale).toBe(0);
    }
  });
});
