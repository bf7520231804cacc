// A scripted market history that takes every path the handlers know: two-step and one-transaction agreement
// (solver-submitted, and party-submitted without its own signature), accept, mediation accept and reject, each
// timeout, a deferred payout and its withdrawal, deals left open, and a registry entry registered, updated,
// unregistered and registered again.

import type { Signer, TransactionReceipt } from "ethers";
import { ethers, increaseTime, makeTerms, newDealId, signAgreement, type Accord, type Terms } from "./chain";

export interface ScenarioDeal {
  dealId: string;
  terms: Terms;
  /** The path it took, for messages. */
  path: string;
}

export interface ScenarioResult {
  deals: ScenarioDeal[];
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
  const mediators = [await addr(m1!), await addr(m2!), await addr(m3!)];
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
  const newDeal = async (path: string, j: Signer = jc!, r: Signer = rp!): Promise<ScenarioDeal> => {
    const d = {
      dealId: newDealId(),
      terms: makeTerms(await addr(j), await addr(r), await addr(solver!), mediators, seed++),
      path,
    };
    deals.push(d);
    return d;
  };
  const agreeBoth = async (d: ScenarioDeal, submitter: Signer = solver!) => {
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
  const drawn = async (receipt: TransactionReceipt): Promise<{ mediator: Signer; index: bigint }> => {
    for (const log of receipt.logs) {
      const parsed = market.interface.parseLog(log);
      if (parsed?.name === "MediationRequested") {
        return {
          mediator: bySigner.get(String(parsed.args.mediator).toLowerCase())!,
          index: parsed.args.mediatorIndex as bigint,
        };
      }
    }
    throw new Error("no MediationRequested");
  };

  // 1. Two-step agreement (job creator first), results, accepted.
  let d = await newDeal("two-step, accepted");
  await send(market.connect(jc!).agree(d.dealId, d.terms));
  await send(market.connect(rp!).agree(d.dealId, d.terms));
  await send(market.connect(rp!).addResult(d.dealId, d.terms, results(1), 10n));
  await send(market.connect(jc!).acceptResult(d.dealId, d.terms, 10n));

  // 2. Two-step (provider first), then the provider never submits: timeoutSubmitResults.
  d = await newDeal("two-step, timeoutSubmitResults");
  await send(market.connect(rp!).agree(d.dealId, d.terms));
  await send(market.connect(jc!).agree(d.dealId, d.terms));
  await increaseTime(SECONDS);
  await send(market.connect(jc!).timeoutSubmitResults(d.dealId, d.terms));

  // 3. One transaction with both signatures (solver submits), checked, mediator accepts.
  d = await newDeal("signatures, mediation accepted");
  await agreeBoth(d);
  await send(market.connect(rp!).addResult(d.dealId, d.terms, results(3), 7n));
  let r = await send(market.connect(jc!).checkResult(d.dealId, d.terms, 7n));
  let m = await drawn(r);
  await send(market.connect(m.mediator).mediationAcceptResult(d.dealId, d.terms, 7n, m.index));

  // 4. One transaction submitted by the job creator (no signature of its own), mediator rejects.
  d = await newDeal("self-submitted, mediation rejected");
  await agreeBoth(d, jc!);
  await send(market.connect(rp!).addResult(d.dealId, d.terms, results(4), 1000n));
  r = await send(market.connect(jc!).checkResult(d.dealId, d.terms, 1000n));
  m = await drawn(r);
  await send(market.connect(m.mediator).mediationRejectResult(d.dealId, d.terms, 1000n, m.index));

  // 5, 6. Only one party agrees: timeoutAgree by the job creator, then by the provider.
  d = await newDeal("timeoutAgree (job creator)");
  await send(market.connect(jc!).agree(d.dealId, d.terms));
  await increaseTime(SECONDS);
  await send(market.connect(jc!).timeoutAgree(d.dealId, d.terms));
  d = await newDeal("timeoutAgree (provider)");
  await send(market.connect(rp!).agree(d.dealId, d.terms));
  await increaseTime(SECONDS);
  await send(market.connect(rp!).timeoutAgree(d.dealId, d.terms));

  // 7. The job creator stays silent: timeoutJudgeResults.
  d = await newDeal("timeoutJudgeResults");
  await agreeBoth(d);
  await send(market.connect(rp!).addResult(d.dealId, d.terms, results(7), 3n));
  await increaseTime(SECONDS);
  await send(market.connect(rp!).timeoutJudgeResults(d.dealId, d.terms, 3n));

  // 8. The mediator stays silent: timeoutMediateResults.
  d = await newDeal("timeoutMediateResults");
  await agreeBoth(d);
  await send(market.connect(rp!).addResult(d.dealId, d.terms, results(8), 5n));
  r = await send(market.connect(jc!).checkResult(d.dealId, d.terms, 5n));
  m = await drawn(r);
  await increaseTime(SECONDS);
  await send(market.connect(rp!).timeoutMediateResults(d.dealId, d.terms, 5n, m.index));

  // 9. A blacklisted provider: its payout is deferred, then withdrawn.
  d = await newDeal("deferred payout", jc2!, rp2!);
  await agreeBoth(d);
  await send(market.connect(rp2!).addResult(d.dealId, d.terms, results(9), 4n));
  const token = accord.token as unknown as {
    setBlacklisted(a: string, v: boolean): Promise<{ wait(): Promise<unknown> }>;
  };
  await (await token.setBlacklisted(await addr(rp2!), true)).wait();
  await send(market.connect(jc2!).acceptResult(d.dealId, d.terms, 4n));
  await (await token.setBlacklisted(await addr(rp2!), false)).wait();
  await send(market.connect(rp2!).withdraw(await addr(rp2!)));

  // 10, 11. Left open: negotiating, and results submitted.
  d = await newDeal("open: negotiating");
  await send(market.connect(jc!).agree(d.dealId, d.terms));
  d = await newDeal("open: results submitted");
  await agreeBoth(d, rp!);
  await send(market.connect(rp!).addResult(d.dealId, d.terms, results(11), 2n));

  // Registry: the mediators register; a user registers, updates (roles change), unregisters, registers again.
  for (const s of [m1!, m2!, m3!]) {
    await send(
      registry
        .connect(s)
        .register(0b00010, ethers.id(`mediator ${await addr(s)}`), `https://${(await addr(s)).slice(2, 8)}.example`),
    );
  }
  await send(registry.connect(user!).register(0b00011, ethers.id("meta 1"), "https://one.example"));
  await send(registry.connect(user!).register(0b11001, ethers.id("meta 2"), "https://two.example/ünïcode"));
  await send(registry.connect(user!).unregister());
  await send(registry.connect(user!).register(0b00100, ethers.id("meta 3"), ""));

  const accounts = [jc, rp, solver, m1, m2, m3, jc2, rp2, user];
  return {
    deals,
    receipts,
    accounts: await Promise.all(accounts.map((s) => addr(s!).then((a) => a.toLowerCase()))),
    serviceAccounts: await Promise.all([m1, m2, m3, user].map((s) => addr(s!).then((a) => a.toLowerCase()))),
  };
}
