// Content-addressed results: a job's output directory as a UnixFS DAG in a blockstore on disk, named by its root's
// CIDv0. The CID is what a resource provider posts on chain as `results_id` and what a mediator recomputes by
// re-running the job, so the same bytes must give the same CID everywhere: the import is pinned to the classic
// `ipfs add -r` layout (the importer's "unixfs-v0-2015" profile: dag-pb and sha2-256 throughout, CIDv0, no raw
// leaves, 256 KiB chunks, balanced files, directories sharded past 256 KiB of links) and carries no mtime or mode.
//
// Results travel as CARv1 streams. importCar trusts nothing it receives: each block must hash to its CID, arrive
// after a block that links to it (DAG order, so nothing unrelated is stored), and the whole DAG must be there at the
// end. The root block is written last, after that check, so a failed import never leaves the root reported by has().

import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { FsBlockstore } from "blockstore-fs" with { "resolution-mode": "import" };
import type { ImportCandidate } from "ipfs-unixfs-importer" with { "resolution-mode": "import" };
import type { UnixFSEntry } from "ipfs-unixfs-exporter" with { "resolution-mode": "import" };
import { AccordError } from "../model/errors";
import { blockKey, digestMatches, linksOf, MAX_BLOCK_BYTES, parseRoot, unsupportedCid, type CID } from "./blocks";
import { carHeader, carSection } from "./car";
import { ResultsImportError, ResultsNotFoundError, ResultsVerificationError } from "./errors";
import { loadBlockstoreFs, loadCarIterator, loadExporter, loadImporter } from "./esm";

type Block = { cid: CID; bytes: Uint8Array };

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
    for await (const { cid: blockCid, bytes } of this.walk(root)) {
      if (bytes === undefined) throw new ResultsNotFoundError(cid, `block ${blockCid.toString()} is missing`);
      yield carSection(blockCid, bytes);
    }
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
    // Blocks linked from a verified block and not received yet: the only ones a next block may be.
    const wanted = new Map<string, CID>([[rootKey, expected]]);
    const received = new Set<string>();
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
        const key = blockKey(block.cid);
        if (received.has(key)) continue;
        if (!wanted.has(key)) {
          throw new ResultsVerificationError(
            "unexpected-block",
            `block ${block.cid.toString()} is not linked from an earlier block of the DAG`,
          );
        }
        const links = await verifyBlock(block);
        wanted.delete(key);
        received.add(key);
        for (const link of links) {
          const linkKey = blockKey(link);
          if (!received.has(linkKey)) wanted.set(linkKey, link);
        }
        if (key === rootKey) rootBlock = block;
        else await this.put(block.cid, block.bytes);
      }
    } catch (error) {
      throw asReadError(error);
    }
    // Blocks the CAR left out are fine if this store already holds them, with everything under them.
    for (const cid of wanted.values()) {
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
   * missing, corrupt or of a kind this store does not hold (the walk does not descend there).
   */
  private async *walk(root: CID): AsyncGenerator<{ cid: CID; bytes: Uint8Array | undefined }> {
    const seen = new Set<string>();
    const stack: CID[] = [root];
    while (stack.length > 0) {
      const cid = stack.pop()!;
      const key = blockKey(cid);
      if (seen.has(key)) continue;
      seen.add(key);
      const bytes = await this.read(cid);
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
    const bytes = Buffer.concat(chunks);
    return digestMatches(cid, bytes) ? bytes : undefined;
  }
}

/** Checks one received block; returns its links. */
async function verifyBlock(block: Block): Promise<CID[]> {
  const id = block.cid.toString();
  const unsupported = unsupportedCid(block.cid);
  if (unsupported === "hash") throw new ResultsVerificationError("hash", `block ${id} is not addressed by sha2-256`);
  if (unsupported === "codec") throw new ResultsVerificationError("codec", `block ${id} is neither dag-pb nor raw`);
  if (block.bytes.length > MAX_BLOCK_BYTES) {
    throw new ResultsVerificationError("block-too-large", `block ${id} has ${block.bytes.length} bytes`);
  }
  if (!digestMatches(block.cid, block.bytes)) {
    throw new ResultsVerificationError("digest", `block ${id}'s bytes do not hash to its CID`);
  }
  try {
    return await linksOf(block.cid, block.bytes);
  } catch (error) {
    throw new ResultsVerificationError("malformed", `block ${id} is not valid dag-pb`, { cause: error });
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
