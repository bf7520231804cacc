// The command line's option resolution (src/bin/options.ts): flags win over the environment, the environment over
// the defaults, and a bad value is an error naming the flag and the variable.

import { expect } from "chai";
import { CLI_DEFAULTS, ENV_VARS, resolvePgliteThread, resolveStore } from "../../src/bin/options";
import { DEFAULTS } from "../../src/defaults";

describe("accord options: the store", () => {
  const off = { [ENV_VARS.pgliteTemplate]: "off" };

  it("runs PGlite on a worker thread unless told otherwise", () => {
    expect(CLI_DEFAULTS.pgliteThread).to.equal("worker");
    expect(resolvePgliteThread(undefined, {})).to.equal("worker");
    expect(resolveStore({}, off).pgliteThread).to.equal("worker");
  });

  it("takes the flag over the environment, and the environment over the default", () => {
    expect(resolvePgliteThread(undefined, { [ENV_VARS.pgliteThread]: "main" })).to.equal("main");
    expect(resolvePgliteThread("worker", { [ENV_VARS.pgliteThread]: "main" })).to.equal("worker");
    expect(resolvePgliteThread("", { [ENV_VARS.pgliteThread]: "main" }), "an empty flag counts as absent").to.equal(
      "main",
    );
    expect(resolveStore({ pgliteThread: "main" }, off)).to.deep.equal({
      databaseUrl: undefined,
      dataDir: DEFAULTS.dataDir,
      dbSchema: DEFAULTS.dbSchema,
      pgliteTemplate: null,
      pgliteThread: "main",
    });
  });

  it("refuses another thread, naming the flag and the variable", () => {
    expect(() => resolvePgliteThread("both", {})).to.throw(
      `--pglite-thread / ${ENV_VARS.pgliteThread} must be worker or main, got "both"`,
    );
    expect(() => resolvePgliteThread(undefined, { [ENV_VARS.pgliteThread]: "Worker" })).to.throw(/got "Worker"/);
  });
});
