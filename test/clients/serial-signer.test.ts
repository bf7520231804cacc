// SerialSigner on the in-process network: one account's transactions sent from several tasks at once all go through,
// in nonce order, and one that fails before it is sent (a revert found in gas estimation) costs no nonce.

import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import { FRESH_SLOT_HEADROOM, SerialSigner } from "../../src/clients";
import { startLocalNode, type LocalNode } from "../../src/devnet/local-node";
import { hardhatAccount } from "../../src/devnet/accounts";
import { AccordToken__factory } from "../../typechain-types";

describe("clients: SerialSigner", function () {
  this.timeout(60_000);
  let node: LocalNode;
  let provider: JsonRpcProvider;

  before(async () => {
    // Its own node, automining, over HTTP: what the services send through.
    node = await startLocalNode({ port: 0 });
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 50 });
  });
  after(async () => {
    provider.destroy();
    await node.close();
  });

  it("sends concurrent transactions one after another, and a failed one takes no nonce", async () => {
    const owner = new SerialSigner(hardhatAccount(0).connect(provider));
    const token = await new AccordToken__factory(owner).deploy(await owner.getAddress(), 10n ** 24n);
    await token.waitForDeployment();
    const to = Wallet.createRandom().address;
    const start = await provider.getTransactionCount(await owner.getAddress(), "pending");
    const sends = Array.from({ length: 6 }, (_, i) =>
      i === 3
        ? // More than the balance: refused in gas estimation, before a nonce is taken.
          token.transfer(to, 10n ** 30n).then(
            () => "sent",
            () => "refused",
          )
        : token.transfer(to, BigInt(i + 1)).then(async (tx) => {
            await tx.wait();
            return tx.nonce;
          }),
    );
    const outcomes = await Promise.all(sends);
    expect(outcomes[3]).to.equal("refused");
    const nonces = outcomes.filter((o): o is number => typeof o === "number").sort((a, b) => a - b);
    expect(nonces).to.deep.equal([start, start + 1, start + 2, start + 3, start + 4]);
    expect(await token.balanceOf(to)).to.equal(1n + 2n + 3n + 5n + 6n);
    // The next transaction after all of them goes through too.
    await (await token.transfer(to, 1n)).wait();
  });

  it("gives each transaction a fifth more gas than estimated plus a fresh slot's worth", async () => {
    const owner = new SerialSigner(hardhatAccount(0).connect(provider));
    const token = await new AccordToken__factory(owner).deploy(await owner.getAddress(), 10n ** 24n);
    await token.waitForDeployment();
    const to = Wallet.createRandom().address;
    const estimate = await token.transfer.estimateGas(to, 1n);
    const tx = await token.transfer(to, 1n);
    expect(tx.gasLimit).to.equal((estimate * 12n) / 10n + FRESH_SLOT_HEADROOM);
    // A limit the caller sets is kept.
    const fixed = await token.transfer(to, 1n, { gasLimit: 100_000n });
    expect(fixed.gasLimit).to.equal(100_000n);
  });
});
