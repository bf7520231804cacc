// Which ids an entity table may hold: a Bloom filter of the ids of its current rows, so that a read of an entity
// that was never stored (the WASM host's store.get of a new id: ensureAccount, a handler loading its deal's first
// Result) is answered "absent" without a query. The runner re-runs a trigger after each such query, so on
// Accord's subgraph misses were 87 of 542 triggers and most of the mapping time (measured with the parity
// scenario on PGlite); with the filter, only ids that may exist reach the database.
//
// False positives cost a query; a false "absent" would be wrong, so a filter is only ever built from the table
// itself and added to after every commit. It may keep ids a rollback removed (positives again). A filter past its
// capacity is dropped and rebuilt, larger, at the next miss.

/** 32-bit FNV-1a of a string's UTF-16 code units, from `seed`. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const HASHES = 7;
const BITS_PER_ID = 10;

export class IdFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;
  private count = 0;

  /** `capacity` ids at about 1 % false positives. */
  constructor(readonly capacity: number) {
    this.size = Math.max(1024, capacity * BITS_PER_ID);
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  /** Past capacity the false-positive rate climbs: rebuild then. */
  get full(): boolean {
    return this.count > this.capacity;
  }

  add(id: string): void {
    // Counted once per id (near enough: a false positive goes uncounted): every commit adds every id it wrote,
    // updates included, and counting those filled the filter long before its capacity in distinct ids.
    if (!this.mightContain(id)) this.count++;
    const a = fnv1a(id, 0x811c9dc5);
    const b = fnv1a(id, 0x9747b28c) | 1;
    for (let i = 0; i < HASHES; i++) {
      const bit = ((a + Math.imul(i, b)) >>> 0) % this.size;
      this.bits[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  /** False: the table has no current row with this id. */
  mightContain(id: string): boolean {
    const a = fnv1a(id, 0x811c9dc5);
    const b = fnv1a(id, 0x9747b28c) | 1;
    for (let i = 0; i < HASHES; i++) {
      const bit = ((a + Math.imul(i, b)) >>> 0) % this.size;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
