// `accord provider onboard`'s arguments (src/bin/commands/provider.ts): a bad share, price or registration flag is
// an error naming the flag and the bound.

import { expect } from "chai";
import { resolveProviderOnboard } from "../../src/bin/commands/provider";
import { ENV_VARS } from "../../src/bin/options";

const KEY = `0x${"11".repeat(32)}`;
const GOOD = { cpuShare: "50", memoryShare: "25", pricePerMinute: "1000" };

describe("accord provider onboard: arguments", () => {
  it("takes the shares and the price, and registers only with --rpc and --deployment", () => {
    expect(resolveProviderOnboard(GOOD, {})).to.deep.equal({
      cpuPercent: 50n,
      memoryPercent: 25n,
      pricePerMinute: 1000n,
      name: undefined,
      registration: undefined,
    });
    const settings = resolveProviderOnboard(
      { ...GOOD, rpc: "http://127.0.0.1:8545", deployment: "localhost", unavailable: true },
      { [ENV_VARS.providerKey]: KEY },
    );
    expect(settings.registration).to.deep.equal({
      rpcUrl: "http://127.0.0.1:8545",
      deployment: "localhost",
      key: KEY,
      salt: undefined,
      available: false,
    });
  });

  it("accepts the shares' bounds, 10% and 90%", () => {
    expect(resolveProviderOnboard({ ...GOOD, cpuShare: "10", memoryShare: "90" }, {})).to.include({
      cpuPercent: 10n,
      memoryPercent: 90n,
    });
  });

  const errors: [string, Record<string, string | boolean>, RegExp][] = [
    ["a CPU share below 10%", { cpuShare: "9" }, /--cpu-share 9% is below the 10% minimum of the machine's CPU/],
    ["a memory share above 90%", { memoryShare: "91" }, /--memory-share 91% is above the 90% maximum/],
    ["a fractional share", { cpuShare: "12.5" }, /--cpu-share must be a whole percentage, got "12.5"/],
    ["no CPU share", { cpuShare: "" }, /--cpu-share is required/],
    ["no price", { pricePerMinute: "" }, /--price-per-minute is required/],
    ["a negative price", { pricePerMinute: "-1" }, /--price-per-minute must be a whole number of wei/],
    ["a price past uint64", { pricePerMinute: "18446744073709551616" }, /from 0 to 18446744073709551615/],
    ["--rpc without --deployment", { rpc: "http://127.0.0.1:8545" }, /--rpc needs --deployment/],
    ["--deployment without --rpc", { deployment: "localhost" }, /--deployment needs --rpc/],
    ["a bad --rpc", { rpc: "ftp://x", deployment: "localhost" }, /--rpc must be an http\(s\) URL/],
    ["a bad --salt", { rpc: "http://x", deployment: "d", salt: "0x12" }, /--salt must be 0x followed by 64/],
    ["--salt without registering", { salt: KEY }, /--salt and --unavailable apply to the registration/],
  ];
  for (const [what, flags, message] of errors) {
    it(`refuses ${what}`, () => {
      expect(() => resolveProviderOnboard({ ...GOOD, ...flags }, { [ENV_VARS.providerKey]: KEY })).to.throw(message);
    });
  }

  it("needs the provider's key to register", () => {
    const flags = { ...GOOD, rpc: "http://127.0.0.1:8545", deployment: "localhost" };
    expect(() => resolveProviderOnboard(flags, {})).to.throw(new RegExp(`${ENV_VARS.providerKey} must be`));
    expect(() => resolveProviderOnboard(flags, { [ENV_VARS.providerKey]: "0x12" })).to.throw(/private key/);
  });
});
