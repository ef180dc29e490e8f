/**
 * The LT decoder: belief propagation ("peeling"), optionally finished by Gaussian elimination.
 *
 * Peeling: a known source symbol is XORed out of every repair equation that holds it; an
 * equation left with one unknown solves it, and so on (Luby 2002). When it stalls, plain LT
 * needs more symbols. With `gaussianElimination` (the harness's `lt-ge`), `settle()` solves what
 * is left as a binary system (gf2Elimination.ts): every unknown is determined once the pending
 * equations have full rank, which is all any decoder can get from those ids.
 *
 * Structure first, bytes last. `add` and `settle` work on indices only — which source symbols
 * are known and which equation solved each, in order — and the bytes are XORed once, when the
 * structure completes. A receiver retries a stalled decode as more symbols arrive
 * (decodeRetryStep), so a failed attempt must cost index work, not K·degree XORs of T bytes.
 */
import type { SegmentDecoder } from './codec.js';
import { gf2Rank, gf2Solve, type Gf2Row } from './gf2Elimination.js';
import type { LtGraph } from './ltGraph.js';
import { checkSymbol, xorInto, type SourceShape } from './sourceBlock.js';

/** A repair symbol still waiting for more than one of its source symbols. */
interface Equation {
  readonly data: Uint8Array;
  readonly neighbours: Uint32Array;
  unknown: number;
  done: boolean;
}

export class LtDecoder implements SegmentDecoder {
  private readonly k: number;
  private readonly t: number;
  private readonly source: Uint8Array;
  /** Structurally known (received, or solvable from what was received). */
  private readonly known: Uint8Array;
  /** Source symbols received (distinct): their bytes are in `source` already. */
  private readonly got: Uint8Array;
  private knownCount = 0;
  private readonly repairSeen = new Set<number>();
  /** Per source symbol, the equations still waiting for it (allocated on first use). */
  private readonly waiting: (Equation[] | undefined)[];
  /** Equations that held two or more unknowns when they came: what elimination starts from. */
  private readonly stalled: Equation[] = [];
  /** Source symbols solved by an equation, in the order peeling solved them, with it. */
  private readonly solved: [number, Equation][] = [];
  /** Solved by elimination (settle): assembled after the peeled ones. */
  private eliminated = false;
  private sourceReceived = 0;
  private assembled = false;

  constructor(
    private readonly shape: SourceShape,
    private readonly graph: LtGraph,
    private readonly codecName: string,
    private readonly esiLimit: number,
    private readonly gaussianElimination: boolean,
  ) {
    this.k = shape.sourceSymbols;
    this.t = shape.symbolSize;
    this.source = new Uint8Array(this.k * this.t);
    this.known = new Uint8Array(this.k);
    this.got = new Uint8Array(this.k);
    this.waiting = new Array<Equation[] | undefined>(this.k);
  }

  get received(): number {
    return this.sourceReceived + this.repairSeen.size;
  }

  add(esi: number, data: Uint8Array): boolean {
    checkSymbol(this.codecName, esi, this.esiLimit, data, this.t);
    if (this.knownCount === this.k) return true;
    if (esi < this.k) {
      // A source symbol can arrive after peeling already found it: still one distinct symbol.
      if (this.got[esi]) return false;
      this.got[esi] = 1;
      this.sourceReceived++;
      this.symbol(esi).set(data);
      this.learn(esi);
      return this.knownCount === this.k;
    }
    if (this.repairSeen.has(esi)) return false;
    this.repairSeen.add(esi);
    const neighbours = this.graph.neighbours(esi - this.k);
    const eq: Equation = { data: data.slice(), neighbours, unknown: 0, done: false };
    for (const i of neighbours) if (!this.known[i]) eq.unknown++;
    if (eq.unknown === 1) this.solve(eq);
    else if (eq.unknown > 1) {
      for (const i of neighbours) if (!this.known[i]) (this.waiting[i] ??= []).push(eq);
      if (this.gaussianElimination) this.stalled.push(eq);
    }
    return this.knownCount === this.k;
  }

  /**
   * With `gaussianElimination`: peeling stalled, so try the pending equations as a binary
   * system (structure only; the bytes follow in result()). True once decoded.
   */
  settle(): boolean {
    if (this.knownCount === this.k) return true;
    if (!this.gaussianElimination) return false;
    const { rows, unknowns } = this.pendingSystem();
    if (rows.length < unknowns || gf2Rank(rows, unknowns) < unknowns) return false;
    this.eliminated = true;
    this.knownCount = this.k;
    return true;
  }

  result(): Uint8Array | undefined {
    if (this.knownCount !== this.k) return undefined;
    if (!this.assembled) this.assemble();
    return this.source.subarray(0, this.shape.transferLength);
  }

  free(): void {}

  private symbol(i: number): Uint8Array {
    return this.source.subarray(i * this.t, (i + 1) * this.t);
  }

  /** The still-unknown source symbols as columns 0 … u − 1, and every pending equation over them. */
  private pendingSystem(): { rows: Gf2Row[]; unknowns: number; columnOf: Int32Array; pending: Equation[] } {
    const columnOf = new Int32Array(this.k).fill(-1);
    let unknowns = 0;
    for (let i = 0; i < this.k; i++) if (!this.known[i]) columnOf[i] = unknowns++;
    const pending = this.stalled.filter((eq) => !eq.done && eq.unknown > 1);
    const rows = pending.map((eq) => ({ columns: [...eq.neighbours].filter((i) => !this.known[i]).map((i) => columnOf[i]!) }));
    return { rows, unknowns, columnOf, pending };
  }

  /** `eq` has one unknown left: that source symbol is solved by it. */
  private solve(eq: Equation): void {
    eq.done = true;
    for (const i of eq.neighbours) {
      if (!this.known[i]) {
        this.solved.push([i, eq]);
        return this.learn(i);
      }
    }
  }

  /** Source symbol `first` is now known; peel every equation it unlocks (iteratively, indices only). */
  private learn(first: number): void {
    const pending = [first];
    while (pending.length > 0) {
      const i = pending.pop()!;
      if (this.known[i]) continue;
      this.known[i] = 1;
      this.knownCount++;
      const eqs = this.waiting[i];
      if (eqs === undefined) continue;
      this.waiting[i] = undefined;
      for (const eq of eqs) {
        if (eq.done || --eq.unknown !== 1) continue;
        eq.done = true;
        for (const j of eq.neighbours) {
          if (!this.known[j]) {
            this.solved.push([j, eq]);
            pending.push(j);
            break;
          }
        }
      }
    }
  }

  /**
   * The bytes: every peeled symbol is its equation XOR all its other neighbours, each of which
   * was known before it (received, or solved earlier in this order); then, if elimination
   * finished the job, the rest from the pending equations with every known symbol XORed out.
   */
  private assemble(): void {
    for (const [i, eq] of this.solved) {
      if (this.got[i]) continue; // it also arrived itself
      const out = this.symbol(i);
      out.set(eq.data);
      for (const j of eq.neighbours) if (j !== i) xorInto(out, this.symbol(j));
    }
    if (this.eliminated) {
      const { rows, unknowns, columnOf, pending } = this.pendingSystem();
      const withBytes = rows.map((row, r) => {
        const data = Uint8Array.from(pending[r]!.data);
        for (const j of pending[r]!.neighbours) if (this.known[j]) xorInto(data, this.symbol(j));
        return { columns: row.columns, data };
      });
      const out: Uint8Array[] = [];
      for (let i = 0; i < this.k; i++) if (columnOf[i]! >= 0) out[columnOf[i]!] = this.symbol(i);
      gf2Solve(withBytes, unknowns, out, xorInto);
      for (let i = 0; i < this.k; i++) this.known[i] = 1;
    }
    this.assembled = true;
  }
}
