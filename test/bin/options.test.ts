// The command line's option resolution (src/bin/options.ts): flags win over the environment, the environment over
// the defaults, and a bad value is an error naming the flag and the variable.

import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import {
  CLI_DEFAULTS,
  ENV_VARS,
  POOLS_WATCH_DEFAULTS,
  resolvePgliteThread,
  resolvePoolsStatus,
  resolvePoolsWatch,
  resolveStore,
} from "../../src/bin/options";
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

describe("accord options: pools watch and status", () => {
  const key = `0x${"ab".repeat(32)}`;
  const env = { [ENV_VARS.providerKey]: key };
  const farm = `0x${"1".repeat(64)}`;
  const required = { rpc: "http://127.0.0.1:8545", deployment: "localhost" };

  it("takes the key from ACCORD_PROVIDER_KEY, leaves the watcher's defaults to it, and names its data directory", () => {
    const settings = resolvePoolsWatch(required, env, false);
    expect(settings).to.deep.equal({
      log: { level: DEFAULTS.logLevel, format: "json" },
      key,
      rpcUrl: required.rpc,
      deployment: "localhost",
      dataDir: path.join(".accord", "pools", `provider-${new Wallet(key).address.toLowerCase().slice(2, 10)}`),
      farmIds: undefined,
      fromBlock: undefined,
      intervalMs: undefined,
      maxBlockRange: undefined,
      confirmations: undefined,
      retryMs: undefined,
      decommissionCommand: undefined,
      decommissionTimeoutMs: POOLS_WATCH_DEFAULTS.decommissionTimeoutMs,
      withdraw: undefined,
    });
  });

  it("parses every flag", () => {
    const settings = resolvePoolsWatch(
      {
        ...required,
        dataDir: "/tmp/w",
        farm: [farm.toUpperCase().replace("0X", "0x"), `${farm.replace(/1$/, "2")},${farm.replace(/1$/, "3")}`],
        fromBlock: "7",
        interval: "250",
        maxRange: "500",
        confirmations: "2",
        retry: "0",
        decommissionCommand: "kubectl delete -f -",
        decommissionTimeout: "1000",
        withdrawInterval: "60000",
        withdrawTo: `0x${"c".repeat(40)}`,
        logLevel: "debug",
      },
      env,
      true,
    );
    expect(settings).to.deep.include({
      dataDir: "/tmp/w",
      farmIds: [farm, farm.replace(/1$/, "2"), farm.replace(/1$/, "3")],
      fromBlock: 7,
      intervalMs: 250,
      maxBlockRange: 500,
      confirmations: 2,
      retryMs: 0,
      decommissionCommand: "kubectl delete -f -",
      decommissionTimeoutMs: 1000,
      withdraw: { everyMs: 60_000, to: `0x${"c".repeat(40)}` },
      log: { level: "debug", format: "pretty" },
    });
  });

  it("refuses a missing key or flag and bad values, naming them", () => {
    expect(() => resolvePoolsWatch(required, {}, false)).to.throw(ENV_VARS.providerKey);
    expect(() => resolvePoolsWatch(required, { [ENV_VARS.providerKey]: "0x12" }, false)).to.throw(ENV_VARS.providerKey);
    expect(() => resolvePoolsWatch({ deployment: "localhost" }, env, false)).to.throw("--rpc is required");
    expect(() => resolvePoolsWatch({ rpc: required.rpc }, env, false)).to.throw("--deployment is required");
    expect(() => resolvePoolsWatch({ ...required, rpc: "ws://x" }, env, false)).to.throw("--rpc");
    expect(() => resolvePoolsWatch({ ...required, farm: ["farm-1"] }, env, false)).to.throw("--farm must be a farm ID");
    expect(() => resolvePoolsWatch({ ...required, interval: "0" }, env, false)).to.throw("--interval");
    expect(() => resolvePoolsWatch({ ...required, maxRange: "ten" }, env, false)).to.throw("--max-range");
    expect(() => resolvePoolsWatch({ ...required, withdrawTo: "me" }, env, false)).to.throw("--withdraw-to");
    expect(() => resolvePoolsWatch({ ...required, withdrawTo: `0x${"c".repeat(40)}` }, env, false)).to.throw(
      "--withdraw-to needs --withdraw-interval",
    );
    expect(resolvePoolsWatch({ ...required, withdrawInterval: "0" }, env, false).withdraw).to.equal(undefined);
  });

  it("resolves `pools status <poolId>`", () => {
    expect(resolvePoolsStatus(farm.toUpperCase().replace("0X", "0x"), required)).to.deep.equal({
      poolId: farm,
      rpcUrl: required.rpc,
      deployment: "localhost",
    });
    expect(() => resolvePoolsStatus("pool", required)).to.throw("the pool ID");
    expect(() => resolvePoolsStatus(farm, { deployment: "x" })).to.throw("--rpc is required");
  });
});
