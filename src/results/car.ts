// CARv1 encoding, a piece at a time, so an export is a plain async generator: it reads the next block only when the
// consumer asks for more bytes (back-pressure for free), and stopping early leaves nothing running. @ipld/car's
// CarWriter instead needs a producer task beside the consumer, which stalls forever when the consumer stops.
//
// A CARv1 is `uvarint(len) ‖ dag-cbor {roots, version: 1}` followed by sections `uvarint(len) ‖ CID bytes ‖ block`.

import type { CID } from "./blocks";
import { loadCarBufferWriter } from "./esm";

/** The CAR media type (trustless gateway responses). */
export const CAR_CONTENT_TYPE = "application/vnd.ipld.car";

/** The header of a CARv1 with the one root `root` (@ipld/car's encoder, so the dag-cbor is canonical). */
export async function carHeader(root: CID): Promise<Uint8Array> {
  const { createWriter, headerLength } = await loadCarBufferWriter();
  const writer = createWriter(new ArrayBuffer(headerLength({ roots: [root] })), { roots: [root] });
  return writer.close();
}

/** One section: the block's length-prefixed CID and bytes. */
export function carSection(cid: CID, bytes: Uint8Array): Uint8Array {
  const length = uvarint(cid.bytes.length + bytes.length);
  const section = new Uint8Array(length.length + cid.bytes.length + bytes.length);
  section.set(length, 0);
  section.set(cid.bytes, length.length);
  section.set(bytes, length.length + cid.bytes.length);
  return section;
}

/** Unsigned LEB128, as multiformats' varint (not exported by the package) writes it. */
function uvarint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}
