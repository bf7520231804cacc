// Reading a CAR off an HTTP response one block at a time, with the two ways it can fail told apart: the body itself
// broke (a cut connection, an abort: worth retrying) or its bytes are not a CAR of the expected root (a fault of the
// sender: never retried). The paid client and the plain baseline of the benchmark read through the same code.

import { AccordError } from "../model/errors";
import { blockKey, type CID } from "../results/blocks";
import { ResultsVerificationError } from "../results/errors";
import { loadCarIterator } from "../results/esm";
import type { Block } from "../results/verify";

/** The response body failed under the decoder (`cause` is the body's error). */
export class CarStreamBrokenError extends AccordError {
  override name = "CarStreamBrokenError";
}

/** The stream ended inside a section: a truncated CAR. */
export class CarStreamTruncatedError extends AccordError {
  override name = "CarStreamTruncatedError";
}

/**
 * The blocks of the CARv1 in `body`, whose only root must be `root`. Throws CarStreamBrokenError when the body fails,
 * CarStreamTruncatedError when it ends inside a section, ResultsVerificationError ("root", "malformed") for bytes
 * that are not that CAR. The blocks are not checked against their CIDs here: that is the importer's job.
 */
export async function* carBlocks(body: ReadableStream<Uint8Array>, root: CID): AsyncGenerator<Block> {
  let broken: { error: unknown } | undefined;
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } catch (error) {
      broken = { error };
      throw error;
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  };
  const asStreamError = (error: unknown): unknown => {
    if (broken !== undefined) {
      return new CarStreamBrokenError(`the stream broke: ${(broken.error as Error)?.message ?? String(broken.error)}`, {
        cause: broken.error,
      });
    }
    if (error instanceof AccordError) return error;
    if (error instanceof Error && /unexpected end/i.test(error.message)) {
      return new CarStreamTruncatedError(`the stream ended inside a block (${error.message})`, { cause: error });
    }
    return new ResultsVerificationError("malformed", `not a readable CAR (${(error as Error).message})`, {
      cause: error,
    });
  };
  const { CarBlockIterator } = await loadCarIterator();
  let blocks: AsyncIterator<Block>;
  try {
    const car = await CarBlockIterator.fromIterable(chunks());
    const roots = await car.getRoots();
    if (roots.length !== 1 || blockKey(roots[0]) !== blockKey(root)) {
      throw new ResultsVerificationError(
        "root",
        `the CAR's roots are [${roots.map((r) => r.toString()).join(", ")}], expected [${root.toString()}]`,
      );
    }
    blocks = car[Symbol.asyncIterator]();
  } catch (error) {
    throw asStreamError(error);
  }
  for (;;) {
    let next: IteratorResult<Block>;
    try {
      next = await blocks.next();
    } catch (error) {
      throw asStreamError(error);
    }
    if (next.done) return;
    yield next.value;
  }
}
