// The IPFS libraries the results store uses are ESM-only without a synchronous ("module-sync") entry, so this
// CommonJS build loads each once, on first use, with a dynamic import(); `import type … with resolution-mode`
// gives their types without a static import (TS1479). See src/model/cid.ts for the same pattern.

import type * as BlockstoreFsModule from "blockstore-fs" with { "resolution-mode": "import" };
import type * as CarBufferWriterModule from "@ipld/car/buffer-writer" with { "resolution-mode": "import" };
import type * as CarIteratorModule from "@ipld/car/iterator" with { "resolution-mode": "import" };
import type * as DagPbModule from "@ipld/dag-pb" with { "resolution-mode": "import" };
import type * as ExporterModule from "ipfs-unixfs-exporter" with { "resolution-mode": "import" };
import type * as ImporterModule from "ipfs-unixfs-importer" with { "resolution-mode": "import" };

let blockstoreFs: Promise<typeof BlockstoreFsModule> | undefined;
let carBufferWriter: Promise<typeof CarBufferWriterModule> | undefined;
let carIterator: Promise<typeof CarIteratorModule> | undefined;
let dagPb: Promise<typeof DagPbModule> | undefined;
let exporter: Promise<typeof ExporterModule> | undefined;
let importer: Promise<typeof ImporterModule> | undefined;

export const loadBlockstoreFs = (): Promise<typeof BlockstoreFsModule> => (blockstoreFs ??= import("blockstore-fs"));
export const loadCarBufferWriter = (): Promise<typeof CarBufferWriterModule> =>
  (carBufferWriter ??= import("@ipld/car/buffer-writer"));
export const loadCarIterator = (): Promise<typeof CarIteratorModule> => (carIterator ??= import("@ipld/car/iterator"));
export const loadDagPb = (): Promise<typeof DagPbModule> => (dagPb ??= import("@ipld/dag-pb"));
export const loadExporter = (): Promise<typeof ExporterModule> => (exporter ??= import("ipfs-unixfs-exporter"));
export const loadImporter = (): Promise<typeof ImporterModule> => (importer ??= import("ipfs-unixfs-importer"));
