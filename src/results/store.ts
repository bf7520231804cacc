// Content-addressed results: a job's output directory as a UnixFS DAG in a blockstore on disk, named by its root's
// CIDv0. The CID is what a resource provider posts on chain as `results_id` and what a mediator recomputes by
// re-running the job, so the same bytes must give the same CID everywhere: the import is pinned to the classic
// `ipfs add -r` layout (the importer's "unixfs-v0-2015" profile: dag-pb and sha2-256 throughout, CIDv0, no raw
// leaves, 256 KiB chunks, balanced files, directories sharded past 256 KiB of links) and carries no mtime or mode.
//
// Results travel as CARv1 streams. importCar trusts nothing it receives: each block must hash to its CID, arrive
// after a block that links to it (DAG order, so nothing unrelated is stored), and the whole DAG must be there at the
// end. The root block is written last, after that check, so a failed import never leaves the root reported by has().
// openImport takes a DAG one block at a time instead, in strict depth-first order, for a receiver that acts on each
// block (paid retrieval pays for it, then the block is written behind); both check blocks with verify.ts.

import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { FsBlockstore } from "blockstore-fs" with { "resolution-mode": "import" };
import type { ImportCandidate } from "ipfs-unixfs-importer" with { "resolution-mode": "import" };
import type { UnixFSEntry } from "ipfs-unixfs-exporter" with { "resolution-mode": "import" };
import { AccordError } from "../model/errors";
import { blockKey, digestMatches, linksOf, parseRoot, unsupportedCid, type CID } from "./blocks";
import { carHeader, carSection } from "./car";
import { ResultsImportError, ResultsNotFoundError, ResultsVerificationError } from "./errors";
import { loadBlockstoreFs, loadCarIterator, loadExporter, loadImporter } from "./esm";
import { DagVerifier, type Block } from "./verify";

/**
 * A DAG received block by block in depth-first order (paid retrieval: each block is verified before it is paid for,
 * and stored behind it). See ResultStore.openImport.
 */
export interface BlockImport {
  /** The DAG's root. */
  readonly root: CID;
  /** How many blocks were accepted (the position in the depth-first walk the next block has). */
  readonly position: number;
  /** Their bytes: the blocks' own bytes, not the CAR framing around them. */
  readonly bytes: number;
  /** True once every block of the DAG was accepted (flush() then has them all stored). */
  readonly complete: boolean;
  /** The CID the next block must have (undefined once complete). */
  expected(): CID | undefined;
  /**
   * Verifies the next block (its CID, digest and place: exactly the next block of the walk) and queues it to be
   * stored; returns its byte count once verified (waiting first while too much is queued). Throws
   * ResultsVerificationError, queueing nothing, for a block that fails, and the store's error for a write that did.
   */
  accept(block: Block): Promise<number>;
  /** Resolves once every block accepted is stored (throws the first write that failed). */
  flush(): Promise<void>;
}

/** How many blocks a walk (exportCar, blocksOf, has) reads ahead of its consumer. */
const WALK_READ_AHEAD = 16;

/** Bytes of accepted blocks a BlockImport may hold while they are written: 32 MiB. */
export const IMPORT_WRITE_BEHIND_BYTES = 32 * 1024 * 1024;

export class ResultStore {
  /** Writes under way, by block: one write per block at a time (see put). */
  private readonly writing = new Map<string, Promise<void>>();

  private constructor(
    private readonly blocks: FsBlockstore,
    /** The store's directory. */
    readonly dir: string,
  ) {}

  /** The store in `dir` (created when missing); blocks live in `dir/blocks`. */
  static async open(dir: string): Promise<ResultStore> {
    const { FsBlockstore } = await loadBlockstoreFs();
    const blocks = new FsBlockstore(path.join(dir, "blocks"));
    await blocks.open();
    return new ResultStore(blocks, dir);
  }

  async close(): Promise<void> {
    await this.blocks.close();
  }

  /**
   * Imports the tree under `dir` (files and directories, empty ones included; names in byte order) and returns the
   * CIDv0 of `dir` itself. A symlink, socket or device anywhere in it is refused (ResultsImportError): following a
   * link could publish files from outside the tree.
   */
  async importDirectory(dir: string): Promise<string> {
    const { importer } = await loadImporter();
    const candidates = await listTree(path.resolve(dir));
    let root: CID | undefined;
    // wrapWithDirectory makes the root the directory holding the candidates, i.e. `dir` itself, whose own name
    // appears nowhere; an empty `dir` gives the empty UnixFS directory.
    // The importer only writes: every block goes through put (one write per block, see there).
    const sink = {
      put: async (cid: CID, bytes: Uint8Array): Promise<CID> => {
        await this.put(cid, bytes);
        return cid;
      },
    };
    for await (const entry of importer(candidates, sink, {
      profile: "unixfs-v0-2015",
      cidVersion: 0,
      rawLeaves: false,
      wrapWithDirectory: true,
    })) {
      if (entry.path === "") root = entry.cid;
    }
    if (root === undefined || root.version !== 0) throw new AccordError(`importing ${dir} gave no CIDv0 root`);
    return root.toString();
  }

  /** True when the root and every block reachable from it are in the store (and still hash to their CIDs). */
  async has(cid: string): Promise<boolean> {
    return this.complete(parseRoot(cid));
  }

  /**
   * The DAG under `cid` as a CARv1 with that one root, blocks in depth-first order (the root first, then each link
   * in order, each block once): the trustless gateway's "dfs" order, the one importCar expects. Throws
   * ResultsNotFoundError before the first byte when the root is missing, and mid-stream when a block under it is:
   * check has() first to answer cleanly.
   */
  async *exportCar(cid: string): AsyncGenerator<Uint8Array> {
    const root = parseRoot(cid);
    if (!(await this.blocks.has(root))) throw new ResultsNotFoundError(cid);
    yield await carHeader(root);
    for await (const block of this.blocksOf(cid)) yield carSection(block.cid, block.bytes);
  }

  /**
   * The blocks of the DAG under `cid` in exportCar's order (depth-first, links in order, each block once), each
   * checked against its CID as it is read. Throws ResultsNotFoundError at the first block missing or corrupt.
   */
  async *blocksOf(cid: string): AsyncGenerator<Block> {
    for await (const { cid: blockCid, bytes } of this.walk(parseRoot(cid))) {
      if (bytes === undefined) throw new ResultsNotFoundError(cid, `block ${blockCid.toString()} is missing`);
      yield { cid: blockCid, bytes };
    }
  }

  /**
   * Starts (or resumes) receiving the DAG under `root` block by block in depth-first order: with `resume`, the
   * blocks this store already holds at the start of the walk count as received (each re-read and re-checked), so a
   * receiver restarted after a crash asks only for the rest. A block is written behind its verification, so the
   * receiver can act on it (pay for it) while the disk catches up; at most IMPORT_WRITE_BEHIND_BYTES wait. A crash
   * may lose the last blocks accepted, never store a wrong one; the root goes in as any other block (has() still
   * answers false until every block under it is in).
   */
  async openImport(root: string, options: { resume?: boolean } = {}): Promise<BlockImport> {
    const verifier = new DagVerifier(parseRoot(root), "dfs");
    let position = 0;
    let bytes = 0;
    if (options.resume) {
      for (let next = verifier.expected(); next !== undefined; next = verifier.expected()) {
        const stored = await this.read(next);
        if (stored === undefined) break;
        await verifier.accept({ cid: next, bytes: stored });
        position += 1;
        bytes += stored.length;
      }
    }
    const pending = new Set<Promise<void>>();
    let pendingBytes = 0;
    let failure: { error: unknown } | undefined;
    const drained: (() => void)[] = [];
    const write = (block: Block): void => {
      const size = block.bytes.length;
      pendingBytes += size;
      const done: Promise<void> = this.put(block.cid, block.bytes)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          pending.delete(done);
          pendingBytes -= size;
          for (const wake of drained.splice(0)) wake();
        });
      pending.add(done);
    };
    const check = (): void => {
      if (failure !== undefined) throw failure.error;
    };
    return {
      root: verifier.root,
      get position() {
        return position;
      },
      get bytes() {
        return bytes;
      },
      get complete() {
        return verifier.complete;
      },
      expected: () => verifier.expected(),
      accept: async (block: Block): Promise<number> => {
        check();
        await verifier.accept(block);
        position += 1;
        bytes += block.bytes.length;
        write(block);
        while (pendingBytes > IMPORT_WRITE_BEHIND_BYTES) await new Promise<void>((wake) => drained.push(wake));
        check();
        return block.bytes.length;
      },
      flush: async (): Promise<void> => {
        while (pending.size > 0) await Promise.all([...pending]);
        check();
      },
    };
  }

  /**
   * Reads a CARv1 (or v2) stream and stores its blocks, verifying as it goes; throws ResultsVerificationError when
   * the CAR's roots are not exactly `expectedRoot`, a block is not sha2-256, does not hash to its CID, is not linked
   * from an earlier block, or the DAG is still incomplete at the end (blocks already in the store count). Errors of
   * the stream itself (an abort, fetchResults' size cap) come through unchanged. Verified blocks other than the root
   * may stay behind after a failure: they are content-addressed, so they are right, just unreferenced.
   */
  async importCar(stream: AsyncIterable<Uint8Array>, expectedRoot: string): Promise<void> {
    const expected = parseRoot(expectedRoot);
    const rootKey = blockKey(expected);
    const { CarBlockIterator } = await loadCarIterator();

    // The decoder's own errors mean a malformed CAR; the stream's errors are the caller's and pass as they are.
    let streamError: { error: unknown } | undefined;
    const guarded = async function* (): AsyncGenerator<Uint8Array> {
      try {
        yield* stream;
      } catch (error) {
        streamError = { error };
        throw error;
      }
    };
    const asReadError = (error: unknown): unknown =>
      streamError !== undefined
        ? streamError.error
        : error instanceof ResultsVerificationError
          ? error
          : new ResultsVerificationError("malformed", `not a readable CAR (${(error as Error).message})`, {
              cause: error,
            });

    let rootBlock: Block | undefined;
    const verifier = new DagVerifier(expected, "any");
    try {
      const car = await CarBlockIterator.fromIterable(guarded());
      const roots = await car.getRoots();
      if (roots.length !== 1 || blockKey(roots[0]) !== rootKey) {
        throw new ResultsVerificationError(
          "root",
          `the CAR's roots are [${roots.map((r) => r.toString()).join(", ")}], expected [${expectedRoot}]`,
        );
      }
      for await (const block of car) {
        if (!(await verifier.accept(block))) continue;
        if (blockKey(block.cid) === rootKey) rootBlock = block;
        else await this.put(block.cid, block.bytes);
      }
    } catch (error) {
      throw asReadError(error);
    }
    // Blocks the CAR left out are fine if this store already holds them, with everything under them.
    for (const cid of verifier.missing()) {
      if (blockKey(cid) === rootKey) continue;
      if (!(await this.complete(cid))) {
        throw new ResultsVerificationError("incomplete", `block ${cid.toString()} of ${expectedRoot} is missing`);
      }
    }
    if (rootBlock !== undefined) await this.put(rootBlock.cid, rootBlock.bytes);
    else if (!(await this.complete(expected))) {
      throw new ResultsVerificationError("incomplete", `the CAR holds no block of ${expectedRoot}`);
    }
  }

  /**
   * Writes the tree under `cid` into `dir` (created if missing; the files must not exist yet). Names are checked
   * before use: one that is empty, `.`, `..` or holds a `/` or NUL would write outside `dir`, and is refused.
   */
  async extractTo(cid: string, dir: string): Promise<void> {
    const root = parseRoot(cid);
    const { exporter } = await loadExporter();
    const write = async (entry: UnixFSEntry, target: string): Promise<void> => {
      if (entry.type === "directory") {
        await fs.mkdir(target, { recursive: true });
        for await (const child of entry.entries()) {
          if (child.name === "" || child.name === "." || child.name === ".." || /[/\0]/.test(child.name)) {
            throw new ResultsImportError(child.path, "an entry name that is not a plain file name");
          }
          await write(await exporter(child.cid, this.blocks), path.join(target, child.name));
        }
        return;
      }
      const isFile = entry.type === "raw" || (entry.type === "file" && ["file", "raw"].includes(entry.unixfs.type));
      if (!isFile) throw new ResultsImportError(entry.path, `a ${entry.type} entry, not a file or directory`);
      const handle = await fs.open(target, "wx");
      try {
        for await (const chunk of entry.content()) await handle.write(chunk);
      } finally {
        await handle.close();
      }
    };
    if (!(await this.complete(root))) throw new ResultsNotFoundError(cid);
    await write(await exporter(root, this.blocks), path.resolve(dir));
  }

  /**
   * Stores a block unless it is there already. blockstore-fs writes through one temporary name per block, so two
   * concurrent writes of the same block (two empty directories in one tree) collide and it retries for a second;
   * one write per block at a time, and none for a block already present, avoids that and the rewrite.
   */
  private async put(cid: CID, bytes: Uint8Array): Promise<void> {
    const key = blockKey(cid);
    const pending = this.writing.get(key);
    if (pending !== undefined) return pending;
    const write = (async () => {
      if (!(await this.blocks.has(cid))) await this.blocks.put(cid, bytes);
    })().finally(() => this.writing.delete(key));
    this.writing.set(key, write);
    return write;
  }

  /** True when `root` and everything under it is present and intact. */
  private async complete(root: CID): Promise<boolean> {
    if (!(await this.blocks.has(root))) return false;
    for await (const { bytes } of this.walk(root)) if (bytes === undefined) return false;
    return true;
  }

  /**
   * The DAG under `root`, depth-first and in link order, each block once; `bytes` is undefined for a block that is
   * missing, corrupt or of a kind this store does not hold (the walk does not descend there). The next blocks of the
   * walk (WALK_READ_AHEAD of them) are read while the consumer handles this one: the disk and the consumer work at
   * once, and a consumer that pauses (a paid stream at a boundary) finds them ready.
   */
  private async *walk(root: CID): AsyncGenerator<{ cid: CID; bytes: Uint8Array | undefined }> {
    const seen = new Set<string>();
    const stack: CID[] = [root];
    const ahead = new Map<string, Promise<Uint8Array | undefined>>();
    const readAhead = (): void => {
      for (let i = stack.length - 1; i >= 0 && ahead.size < WALK_READ_AHEAD; i--) {
        const key = blockKey(stack[i]);
        if (seen.has(key) || ahead.has(key)) continue;
        const reading = this.read(stack[i]);
        // Read ahead and never asked for (the walk stopped): not an unhandled rejection.
        reading.catch(() => undefined);
        ahead.set(key, reading);
      }
    };
    while (stack.length > 0) {
      const cid = stack.pop()!;
      const key = blockKey(cid);
      if (seen.has(key)) continue;
      seen.add(key);
      const reading = ahead.get(key) ?? this.read(cid);
      ahead.delete(key);
      readAhead();
      const bytes = await reading;
      yield { cid, bytes };
      if (bytes === undefined) continue;
      const links = await linksOf(cid, bytes);
      for (let i = links.length - 1; i >= 0; i--) stack.push(links[i]);
    }
  }

  /** A block's bytes, or undefined when it is missing, unsupported or no longer hashes to its CID. */
  private async read(cid: CID): Promise<Uint8Array | undefined> {
    if (unsupportedCid(cid) !== undefined || !(await this.blocks.has(cid))) return undefined;
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of this.blocks.get(cid)) chunks.push(chunk);
    } catch (error) {
      if ((error as Error).name === "NotFoundError") return undefined;
      throw error;
    }
    // One chunk (blockstore-fs reads a block whole) is the block: no copy.
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    return digestMatches(cid, bytes) ? bytes : undefined;
  }
}

/** The import candidates for the tree under `root`: files (read lazily) and empty directories, in byte order. */
async function listTree(root: string): Promise<ImportCandidate[]> {
  const top = await fs.lstat(root);
  if (!top.isDirectory()) throw new ResultsImportError("", "not a directory");
  const candidates: ImportCandidate[] = [];
  const visit = async (dir: string, prefix: string): Promise<void> => {
    const names = (await fs.readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    if (names.length === 0 && prefix !== "") candidates.push({ path: prefix });
    for (const name of names) {
      const full = path.join(dir, name);
      const rel = prefix === "" ? name : `${prefix}/${name}`;
      const stat = await fs.lstat(full);
      if (stat.isDirectory()) await visit(full, rel);
      else if (stat.isFile()) candidates.push({ path: rel, content: readFile(full) });
      else throw new ResultsImportError(rel, "not a regular file or directory (symlinks are not followed)");
    }
  };
  await visit(root, "");
  return candidates;
}

/** A file's bytes, opened only when the importer gets to it (it imports a few files at a time). */
async function* readFile(file: string): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(file)) yield chunk as Buffer;
}
