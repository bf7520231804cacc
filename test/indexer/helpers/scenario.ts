// A scripted market history that takes every path the handlers know: two-step and one-transaction agreement
// (solver-submitted, and party-submitted without its own signature), accept, mediation accept and reject (with the
// draw fixed on chain, and not), each timeout, a deferred payout and its withdrawal, deals left open, a deal ID
// squatted by a third party before its parties agree to it by signatures (two records, one CID), a mediator draw
// renewed after 256 blocks, and a registry entry registered, updated, unregistered and registered again.

import type { Signer, TransactionReceipt } from "ethers";
import { ethers, increaseTime, makeTerms, mine, newDealId, signAgreement, type Accord, type Terms } from "./chain";

export interface ScenarioDeal {
  dealId: string;
  /** The key the market keeps it under (the market's own `dealKey` view). */
  key: string;
  terms: Terms;
  /** The path it took, for messages. */
  path: string;
}

export interface ScenarioResult {
  deals: ScenarioDeal[];
  /** One deal ID, two records: `squatter` agreed to it first with other parties, `real` is its parties' deal. */
  squat: { dealId: string; squatter: ScenarioDeal; real: ScenarioDeal };
  /** Deals left under mediation (ResultsChecked), with their instruction counts. */
  underMediation: { deal: ScenarioDeal; instructionCount: bigint }[];
  receipts: TransactionReceipt[];
  /** Accounts that take part (parties, mediators, registry users). */
  accounts: string[];
  serviceAccounts: string[];
}

const DEADLINE = 2n ** 40n;
const SECONDS = 3601;

export async function runScenario(accord: Accord): Promise<ScenarioResult> {
  const { market, registry, signers } = accord;
  const [, jc, rp, solver, m1, m2, m3, jc2, rp2, user] = signers as Signer[] & { length: 10 };
  const addr = (s: Signer) => s.getAddress();
  const mediators = [await addr(m1), await addr(m2), await addr(m3)];
  const bySigner = new Map<string, Signer>();
  for (const s of signers) bySigner.set((await s.getAddress()).toLowerCase(), s);
  const receipts: TransactionReceipt[] = [];
  const deals: ScenarioDeal[] = [];
  const send = async (p: Promise<{ wait(): Promise<TransactionReceipt | null> }>): Promise<TransactionReceipt> => {
    const receipt = (await (await p).wait())!;
    receipts.push(receipt);
    return receipt;
  };
  let seed = 1n;
  const newDeal = async (
    path: string,
    j: Signer = jc,
    r: Signer = rp,
    options: { dealId?: string; seed?: bigint } = {},
  ): Promise<ScenarioDeal> => {
    const dealId = options.dealId ?? newDealId();
    const [jAddress, rAddress] = [await addr(j), await addr(r)];
    const d = {
      dealId,
      key: (await market.dealKey(dealId, jAddress, rAddress)).toLowerCase(),
      terms: makeTerms(jAddress, rAddress, await addr(solver), mediators, options.seed ?? seed++),
      path,
    };
    deals.push(d);
    return d;
  };
  const agreeBoth = async (d: ScenarioDeal, submitter: Signer = solver) => {
    const j = bySigner.get(d.terms.members.jobCreator.toLowerCase())!;
    const r = bySigner.get(d.terms.members.resourceProvider.toLowerCase())!;
    const sub = (await addr(submitter)).toLowerCase();
    const sigJ =
      sub === d.terms.members.jobCreator.toLowerCase()
        ? "0x"
        : await signAgreement(j, market, d.dealId, d.terms, DEADLINE);
    const sigR =
      sub === d.terms.members.resourceProvider.toLowerCase()
        ? "0x"
        : await signAgreement(r, market, d.dealId, d.terms, DEADLINE);
    await send(market.connect(submitter).agreeWithSignatures(d.dealId, d.terms, DEADLINE, sigJ, sigR));
  };
  const results = (n: number) => ethers.zeroPadValue(ethers.toBeHex(0xabc000 + n), 32);
  /** The mediator the market drew (its view, which needs the draw block's hash: one more block). */
  const drawn = async (d: ScenarioDeal, instructionCount: bigint): Promise<Signer> => {
    await mine();
    const [mediator] = await market.drawnMediator(d.dealId, d.terms, instructionCount);
    return bySigner.get(mediator.toLowerCase())!;
  };

  // 1. Two-step agreement (job creator first), results, accepted.
  let d = await newDeal("two-step, accepted");
  await send(market.connect(jc).agree(d.dealId, d.terms));
  await send(market.connect(rp).agree(d.dealId, d.terms));
  await send(market.connect(rp).addResult(d.dealId, d.terms, results(1), 10n));
  await send(market.connect(jc).acceptResult(d.dealId, d.terms, 10n));

  // 2. Two-step (provider first), then the provider never submits: timeoutSubmitResults.
  d = await newDeal("two-step, timeoutSubmitResults");
  await send(market.connect(rp).agree(d.dealId, d.terms));
  await send(market.connect(jc).agree(d.dealId, d.terms));
  await increaseTime(SECONDS);
  await send(market.connect(jc).timeoutSubmitResults(d.dealId, d.terms));

  // 3. One transaction with both signatures (solver submits), checked, mediator accepts.
  d = await newDeal("signatures, mediation accepted");
  await agreeBoth(d);
  await send(market.connect(rp).addResult(d.dealId, d.terms, results(3), 7n));
  await send(market.connect(jc).checkResult(d.dealId, d.terms, 7n));
  let m = await drawn(d, 7n);
  await send(market.connect(m).drawMediator(d.dealId, d.terms, 7n)); // the mediator fixes its draw first
  await send(market.connect(m).mediationAcceptResult(d.dealId, d.terms, 7n));

  // 4. One transaction submitted by the job creator (no signature of its own), mediator rejects.
  d = await newDeal("self-submitted, mediation rejected");
  await agreeBoth(d, jc);
  await send(market.connect(rp).addResult(d.dealId, d.terms, results(4), 1000n));
  await send(market.connect(jc).checkResult(d.dealId, d.terms, 1000n));
  m = await drawn(d, 1000n);
  await send(market.connect(m).mediationRejectResult(d.dealId, d.terms, 1000n));

  // 5, 6. Only one party agrees: timeoutAgree by the job creator, then by the provider.
  d = await newDeal("timeoutAgree (job creator)");
  await send(market.connect(jc).agree(d.dealId, d.terms));
  await increaseTime(SECONDS);
  await send(market.connect(jc).timeoutAgree(d.dealId, d.terms));
  d = await newDeal("timeoutAgree (provider)");
  await send(market.connect(rp).agree(d.dealId, d.terms));
  await increaseTime(SECONDS);
  await send(market.connect(rp).timeoutAgree(d.dealId, d.terms));

  // 7. The job creator stays silent: timeoutJudgeResults.
  d = await newDeal("timeoutJudgeResults");
  await agreeBoth(d);
  await send(market.connect(rp).addResult(d.dealId, d.terms, results(7), 3n));
  await increaseTime(SECONDS);
  await send(market.connect(rp).timeoutJudgeResults(d.dealId, d.terms, 3n));

  // 8. The mediator stays silent: timeoutMediateResults.
  d = await newDeal("timeoutMediateResults");
  await agreeBoth(d);
  await send(market.connect(rp).addResult(d.dealId, d.terms, results(8), 5n));
  await send(market.connect(jc).checkResult(d.dealId, d.terms, 5n));
  await increaseTime(SECONDS);
  await send(market.connect(rp).timeoutMediateResults(d.dealId, d.terms, 5n));

  // 9. A blacklisted provider: its payout is deferred, then withdrawn.
  d = await newDeal("deferred payout", jc2, rp2);
  await agreeBoth(d);
  await send(market.connect(rp2).addResult(d.dealId, d.terms, results(9), 4n));
  const token = accord.token as unknown as {
    setBlacklisted(a: string, v: boolean): Promise<{ wait(): Promise<unknown> }>;
  };
  await (await token.setBlacklisted(await addr(rp2), true)).wait();
  await send(market.connect(jc2).acceptResult(d.dealId, d.terms, 4n));
  await (await token.setBlacklisted(await addr(rp2), false)).wait();
  await send(market.connect(rp2).withdraw(await addr(rp2)));

  // 10, 11. Left open: negotiating, and results submitted.
  d = await newDeal("open: negotiating");
  await send(market.connect(jc).agree(d.dealId, d.terms));
  d = await newDeal("open: results submitted");
  await agreeBoth(d, rp);
  await send(market.connect(rp).addResult(d.dealId, d.terms, results(11), 2n));

  // 12, 13. Squatting: a third party agrees first to the deal ID the parties are about to sign, naming itself as
  // job creator (same terms otherwise); the parties' signed agreement still goes through, as a second record. The
  // real deal goes to mediation; nobody fixes the draw within 256 blocks, so drawMediator renews it, and then fixes
  // the new one; it stays under mediation. The squatter's record times out unagreed.
  const squatId = newDealId();
  const squatter = await newDeal("squatter: agreed first to another's deal ID, timeoutAgree", user, rp, {
    dealId: squatId,
    seed: 100n,
  });
  await send(market.connect(user).agree(squatId, squatter.terms));
  const real = await newDeal("squatted ID agreed by signatures, under mediation (draw renewed, then fixed)", jc, rp, {
    dealId: squatId,
    seed: 100n,
  });
  await agreeBoth(real);
  await send(market.connect(rp).addResult(squatId, real.terms, results(13), 6n));
  await send(market.connect(jc).checkResult(squatId, real.terms, 6n));
  await mine(257);
  await send(market.connect(solver).drawMediator(squatId, real.terms, 6n)); // expired: drawn again
  await send(market.connect(solver).drawMediator(squatId, real.terms, 6n)); // fixed
  await increaseTime(SECONDS);
  await send(market.connect(user).timeoutAgree(squatId, squatter.terms));

  // Registry: the mediators register; a user registers, updates (roles change), unregisters, registers again.
  for (const s of [m1, m2, m3]) {
    await send(
      registry
        .connect(s)
        .register(0b00010, ethers.id(`mediator ${await addr(s)}`), `https://${(await addr(s)).slice(2, 8)}.example`),
    );
  }
  await send(registry.connect(user).register(0b00011, ethers.id("meta 1"), "https://one.example"));
  await send(registry.connect(user).register(0b11001, ethers.id("meta 2"), "https://two.example/ünïcode"));
  await send(registry.connect(user).unregister());
  await send(registry.connect(user).register(0b00100, ethers.id("meta 3"), ""));

  const accounts = [jc, rp, solver, m1, m2, m3, jc2, rp2, user];
  return {
    deals,
    squat: { dealId: squatId, squatter, real },
    underMediation: [{ deal: real, instructionCount: 6n }],
    receipts,
    accounts: await Promise.all(accounts.map((s) => addr(s).then((a) => a.toLowerCase()))),
    serviceAccounts: await Promise.all([m1, m2, m3, user].map((s) => addr(s).then((a) => a.toLowerCase()))),
  };
}
