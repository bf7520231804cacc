// Content-addressed results: a directory tree imports to the same CIDv0 wherever its bytes are the same; CARs carry
// it to another store, which refuses any CAR whose blocks do not hash to their CIDs, whose root is not the one
// expected or which leaves part of the DAG out, and never reports a refused root as present. Over HTTP the same,
// with the trustless gateway's answers (400, 404) and a byte cap.

import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { bytes32ToCid } from "../../src/model/cid";
import { InvalidCidError } from "../../src/model/errors";
import {
  CAR_CONTENT_TYPE,
  fetchResults,
  ResultsFetchError,
  ResultStore,
  resultsHandler,
  ResultsImportError,
  ResultsVerificationError,
  type ResultsVerificationReason,
} from "../../src/results";

/** A tree: file contents by relative path; a path ending in "/" is an (empty) directory. */
type Tree = Record<string, string | Uint8Array>;

function writeTree(dir: string, tree: Tree): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(tree)) {
    const full = path.join(dir, rel);
    if (rel.endsWith("/")) fs.mkdirSync(full, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
    }
  }
  return dir;
}

/** Every file and directory under `dir`, with file contents, for comparing trees. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (sub: string): void => {
    for (const name of fs.readdirSync(path.join(dir, sub)).sort()) {
      const rel = sub === "" ? name : `${sub}/${name}`;
      const full = path.join(dir, rel);
      if (fs.statSync(full).isDirectory()) {
        out[`${rel}/`] = "";
        visit(rel);
      } else out[rel] = fs.readFileSync(full).toString("base64");
    }
  };
  visit("");
  return out;
}

/** A deterministic, incompressible-looking byte string (more than one 256 KiB chunk when large). */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** The parts as a stream, one per tick, as a socket delivers them. */
async function* streamOf(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await new Promise((resolve) => setImmediate(resolve));
    yield part;
  }
}

async function refusal(
  promise: Promise<unknown>,
  reason: ResultsVerificationReason,
): Promise<ResultsVerificationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ResultsVerificationError);
    expect((error as ResultsVerificationError).reason).to.equal(reason);
    return error as ResultsVerificationError;
  }
  throw new Error(`expected a ResultsVerificationError (${reason})`);
}

const SAMPLE: Tree = {
  "result.json": '{"primes":1229}\n',
  "logs/run.txt": "done\n",
  "logs/empty/": "",
  "big.bin": bytes(600_000, 7),
  "z/": "",
};

describe("results: the store", function () {
  let tmp: string;
  let store: ResultStore;
  let other: ResultStore;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "accord-results-"));
    store = await ResultStore.open(path.join(tmp, "store"));
    other = await ResultStore.open(path.join(tmp, "other"));
  });

  after(async () => {
    await store.close();
    await other.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("importDirectory", () => {
    it("names a tree by a CIDv0, the same for the same bytes wherever they are", async () => {
      const a = await store.importDirectory(writeTree(path.join(tmp, "a"), SAMPLE));
      expect(a).to.match(/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
      // Written later, elsewhere, in another order: other mtimes and inode order, same bytes.
      const reversed = Object.fromEntries(Object.entries(SAMPLE).reverse());
      const b = await other.importDirectory(writeTree(path.join(tmp, "b"), reversed));
      expect(b).to.equal(a);
      expect(await store.has(a)).to.be.true;
    });

    it("gives another CID for other bytes, another name or one more empty directory", async () => {
      const base = await store.importDirectory(writeTree(path.join(tmp, "c1"), SAMPLE));
      const changed = await store.importDirectory(
        writeTree(path.join(tmp, "c2"), { ...SAMPLE, "result.json": '{"primes":1230}\n' }),
      );
      const { "result.json": result, ...rest } = SAMPLE;
      const renamed = await store.importDirectory(writeTree(path.join(tmp, "c3"), { ...rest, "results.json": result }));
      const extraDir = await store.importDirectory(writeTree(path.join(tmp, "c4"), { ...SAMPLE, "more/": "" }));
      expect(new Set([base, changed, renamed, extraDir]).size).to.equal(4);
    });

    it("roots the DAG at the directory itself: an empty one is the empty UnixFS directory", async () => {
      // The empty directory's CID, as `ipfs add -r` of an empty directory gives it.
      const empty = await store.importDirectory(writeTree(path.join(tmp, "empty"), {}));
      expect(empty).to.equal("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
      // A directory holding only `hello` ("hello\n", the well-known QmZULk…): its name is not part of the CID.
      const one = await store.importDirectory(writeTree(path.join(tmp, "named-anything"), { hello: "hello\n" }));
      const same = await store.importDirectory(writeTree(path.join(tmp, "other-name"), { hello: "hello\n" }));
      expect(one).to.equal(same);
      const out = path.join(tmp, "hello-out");
      await store.extractTo(one, out);
      expect(readTree(out)).to.deep.equal({ hello: Buffer.from("hello\n").toString("base64") });
    });

    it("refuses a symlink instead of following it", async () => {
      const dir = writeTree(path.join(tmp, "link"), { "a.txt": "a" });
      fs.symlinkSync("/etc/hostname", path.join(dir, "leak"));
      try {
        await store.importDirectory(dir);
        expect.fail("expected a refusal");
      } catch (error) {
        expect(error).to.be.instanceOf(ResultsImportError);
        expect((error as ResultsImportError).path).to.equal("leak");
      }
    });
  });

  describe("CAR export and import", () => {
    let cid: string;
    let car: Uint8Array[];

    before(async () => {
      cid = await store.importDirectory(writeTree(path.join(tmp, "car-src"), SAMPLE));
      // exportCar yields the header, then one section per block: handy for tampering below.
      car = await collect(store.exportCar(cid));
    });

    it("round-trips a tree into another store, byte for byte", async () => {
      const target = await ResultStore.open(path.join(tmp, "round-trip"));
      try {
        expect(await target.has(cid)).to.be.false;
        await target.importCar(streamOf(car), cid);
        expect(await target.has(cid)).to.be.true;
        const out = path.join(tmp, "round-trip-out");
        await target.extractTo(cid, out);
        expect(readTree(out)).to.deep.equal(readTree(path.join(tmp, "car-src")));
        // Re-exported, the CAR is the same bytes.
        expect(Buffer.concat(await collect(target.exportCar(cid)))).to.deep.equal(Buffer.concat(car));
      } finally {
        await target.close();
      }
    });

    it("takes a CAR in arbitrary chunks", async () => {
      const whole = Buffer.concat(car);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < whole.length; i += 1000) chunks.push(whole.subarray(i, i + 1000));
      const target = await ResultStore.open(path.join(tmp, "chunked"));
      try {
        await target.importCar(streamOf(chunks), cid);
        expect(await target.has(cid)).to.be.true;
      } finally {
        await target.close();
      }
    });

    async function refusedInto(name: string, parts: Uint8Array[], reason: ResultsVerificationReason, root = cid) {
      const target = await ResultStore.open(path.join(tmp, name));
      try {
        const error = await refusal(target.importCar(streamOf(parts), root), reason);
        expect(await target.has(cid)).to.be.false;
        return error;
      } finally {
        await target.close();
      }
    }

    it("refuses a block whose bytes do not hash to its CID", async () => {
      for (const index of [1, 2, car.length - 1]) {
        const tampered = car.map((part) => Uint8Array.from(part));
        const section = tampered[index];
        section[section.length - 1] ^= 0x01;
        await refusedInto(`tampered-${index}`, tampered, "digest");
      }
    });

    it("refuses a CAR for another root", async () => {
      const otherRoot = await store.importDirectory(writeTree(path.join(tmp, "other-root"), { x: "x" }));
      const error = await refusedInto("wrong-root", car, "root", otherRoot);
      expect(error.message).to.contain(otherRoot);
    });

    it("refuses a truncated CAR, at a block boundary or inside a block, and keeps the root absent", async () => {
      await refusedInto("cut-boundary", car.slice(0, -1), "incomplete");
      await refusedInto("cut-header-only", car.slice(0, 1), "incomplete");
      const last = car[car.length - 1];
      await refusedInto("cut-inside", [...car.slice(0, -1), last.subarray(0, last.length - 10)], "malformed");
    });

    it("refuses blocks the DAG does not link to, and bytes that are no CAR", async () => {
      const strangerTree = writeTree(path.join(tmp, "stranger"), { stranger: "not in SAMPLE" });
      const stranger = await collect(store.exportCar(await store.importDirectory(strangerTree)));
      await refusedInto("extra-block", [...car, stranger[1]], "unexpected-block");
      await refusedInto("not-a-car", [Buffer.from("<html>hello</html>")], "malformed");
    });

    it("throws InvalidCidError for a root that is not a dag-pb sha2-256 CID", async () => {
      for (const bad of ["", "Qm123", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"]) {
        try {
          await store.has(bad);
          expect.fail(`expected ${JSON.stringify(bad)} to be refused`);
        } catch (error) {
          expect(error).to.be.instanceOf(InvalidCidError);
        }
      }
    });
  });

  describe("over HTTP", () => {
    let server: http.Server;
    let base: string;
    let cid: string;

    before(async () => {
      cid = await store.importDirectory(writeTree(path.join(tmp, "http-src"), SAMPLE));
      const handle = resultsHandler(store);
      server = http.createServer((req, res) => {
        void handle(req, res).then((handled) => {
          if (!handled) {
            res.writeHead(418);
            res.end("not mine");
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("serves a CAR that fetchResults verifies into another store", async () => {
      const target = await ResultStore.open(path.join(tmp, "fetched"));
      try {
        await fetchResults(base, cid, target);
        expect(await target.has(cid)).to.be.true;
        const out = path.join(tmp, "fetched-out");
        await target.extractTo(cid, out);
        expect(readTree(out)).to.deep.equal(readTree(path.join(tmp, "http-src")));
      } finally {
        await target.close();
      }
    });

    it("answers ?format=car and Accept: application/vnd.ipld.car alike, HEAD with headers only", async () => {
      const byQuery = await fetch(`${base}/ipfs/${cid}?format=car`);
      const byAccept = await fetch(`${base}/ipfs/${cid}`, { headers: { accept: CAR_CONTENT_TYPE } });
      expect(byQuery.status).to.equal(200);
      expect(byQuery.headers.get("content-type")).to.match(/^application\/vnd\.ipld\.car(;|$)/);
      expect(Buffer.from(await byQuery.arrayBuffer())).to.deep.equal(Buffer.from(await byAccept.arrayBuffer()));
      const head = await fetch(`${base}/ipfs/${cid}?format=car`, { method: "HEAD" });
      expect(head.status).to.equal(200);
      expect(await head.text()).to.equal("");
    });

    it("answers 404 for a CID it lacks, 400 for a malformed CID or no CAR asked for, and leaves other paths", async () => {
      const unknown = bytes32ToCid(`0x${"ab".repeat(32)}`);
      const missing = await fetch(`${base}/ipfs/${unknown}?format=car`);
      expect(missing.status).to.equal(404);
      expect(((await missing.json()) as { error: string }).error).to.contain(unknown);
      for (const url of [`/ipfs/not-a-cid?format=car`, `/ipfs/${cid}`, `/ipfs/${cid}/result.json?format=car`]) {
        const res = await fetch(`${base}${url}`);
        expect(res.status, url).to.equal(400);
        expect(((await res.json()) as { error: string }).error, url).to.be.a("string");
      }
      expect((await fetch(`${base}/ipfs/${cid}?format=car`, { method: "POST" })).status).to.equal(405);
      expect((await fetch(`${base}/other`)).status).to.equal(418);

      const target = await ResultStore.open(path.join(tmp, "fetch-404"));
      try {
        await fetchResults(base, unknown, target);
        expect.fail("expected a ResultsFetchError");
      } catch (error) {
        expect(error).to.be.instanceOf(ResultsFetchError);
        expect((error as ResultsFetchError).status).to.equal(404);
      } finally {
        await target.close();
      }
    });

    it("stops at the byte cap, leaving the root absent", async () => {
      const target = await ResultStore.open(path.join(tmp, "capped"));
      try {
        await refusal(fetchResults(base, cid, target, { maxBytes: 100_000 }), "too-large");
        expect(await target.has(cid)).to.be.false;
      } finally {
        await target.close();
      }
    });

    it("refuses what a lying server sends", async () => {
      const car = await collect(store.exportCar(cid));
      const tampered = car.map((part) => Uint8Array.from(part));
      tampered[2][tampered[2].length - 1] ^= 0xff;
      const liar = http.createServer((_req, res) => {
        res.writeHead(200, { "content-type": CAR_CONTENT_TYPE });
        res.end(Buffer.concat(tampered));
      });
      await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
      const target = await ResultStore.open(path.join(tmp, "lied-to"));
      try {
        await refusal(fetchResults(`http://127.0.0.1:${(liar.address() as AddressInfo).port}`, cid, target), "digest");
        expect(await target.has(cid)).to.be.false;
      } finally {
        await target.close();
        liar.closeAllConnections();
        await new Promise<void>((resolve) => liar.close(() => resolve()));
      }
    });
  });
});
