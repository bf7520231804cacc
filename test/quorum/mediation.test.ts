// A deal mediated by an operator quorum, end to end: real contracts on an in-process Hardhat network served over
// HTTP, a real deal between a job creator and a resource provider that names the QuorumMediator as its only mediator
// (so the draw is it), results submitted and checked; four in-process operator nodes (real HTTP between them) with the
// deal-mediation task type and its verdict keeper ask for the verdict, answer the task, aggregate and apply it. The
// job is not re-run: the executor is a stub that reproduces the provider's results for a deal to accept and other
// results for a deal to reject, so the task type, the keeper and the contracts are what is tested. One node is
// restarted while a verdict is under way and the aggregator after it landed: nothing is applied twice.

import { expect } from "chai";
import { getAddress } from "ethers";
import {
  JobCreatorClient,
  MediatorClient,
  QuorumMediatorClient,
  ResourceProviderClient,
  SerialSigner,
  dealTermsOf,
} from "../../src/clients";
import { hardhatAccount } from "../../src/devnet/accounts";
import type { Executor } from "../../src/executor";
import { AgreementState, cidToBytes32, type Deal } from "../../src/model";
import { dealMediationTaskType, squareTaskType, type OperatorNode, type OperatorNodeOptions } from "../../src/quorum";
import { makeDeal, RESULTS_CID, type Accounts } from "../clients/helpers";
import { startQuorumNet, TOKEN, waitFor, type QuorumNet } from "./harness";

const OPERATORS = 4;
const INSTRUCTIONS = 10n;
/** Results that are not the provider's: what the stub executor "computes" for a deal to reject. */
const OTHER_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o";

describe("quorum: a deal mediated by an operator quorum, end to end", function () {
  this.timeout(240_000);
  let net: QuorumNet;
  const nodes: OperatorNode[] = [];
  let jobCreator: JobCreatorClient;
  let resourceProvider: ResourceProviderClient;
  let reader: QuorumMediatorClient;
  let accounts: Accounts;
  const deals = new Map<string, Deal>();
  const verdicts = new Map<string, "accept" | "reject">();

  // Reproduces the provider's results for a deal to accept, and other results for one to reject.
  const executor: Executor = {
    run: (_job, options) =>
      Promise.resolve({
        resultsId: verdicts.get(options?.dealId ?? "") === "accept" ? RESULTS_CID : OTHER_CID,
        instructionCount: INSTRUCTIONS,
        exitCode: 0,
        durationMs: 0,
        stderrTail: "",
      }),
  };

  /** Operator i's node with the deal-mediation task type and the verdict keeper, on the node's own signer. */
  async function mediatingNode(i: number): Promise<OperatorNode> {
    return net.node(i, {}, async (signer): Promise<Partial<OperatorNodeOptions>> => {
      const market = await MediatorClient.fromDeployment(signer, net.deployment);
      const quorumMediator = await QuorumMediatorClient.fromDeployment(signer, net.deployment);
      const mediation = dealMediationTaskType({
        quorumMediator: net.deployment.contracts.QuorumMediator.address,
        executor,
        loadDeal: (cid) => Promise.resolve(deals.get(cid)),
        findResult: async (key) => {
          const result = await market.findResult(key);
          return result && { resultsId: result.args.resultsId, instructionCount: result.args.instructionCount };
        },
      });
      return {
        taskTypes: [mediation, squareTaskType({ verifier: net.squareVerifier })],
        verdicts: { market, quorumMediator },
      };
    });
  }

  before(async () => {
    net = await startQuorumNet({ aggregatorSlot: 4n, operators: OPERATORS });
    const wallet = (index: number) => new SerialSigner(hardhatAccount(index).connect(net.provider));
    // Accounts past the operators' (1..OPERATORS).
    const [jc, rp, solver] = [wallet(10), wallet(11), wallet(12)];
    jobCreator = await JobCreatorClient.fromDeployment(jc, net.deployment);
    resourceProvider = await ResourceProviderClient.fromDeployment(rp, net.deployment);
    reader = await QuorumMediatorClient.fromDeployment(solver, net.deployment);
    for (const party of [jc, rp]) await net.fund(await party.getAddress(), 10_000n * TOKEN);
    // makeDeal reads only the parties' addresses; the QuorumMediator is the deal's only mediator.
    const address = async (signer: SerialSigner) => ({ address: await signer.getAddress() });
    accounts = {
      jobCreator: await address(jc),
      resourceProvider: await address(rp),
      solver: await address(solver),
      mediators: [{ address: net.deployment.contracts.QuorumMediator.address }],
    } as unknown as Accounts;
    for (let i = 0; i < OPERATORS; i++) nodes.push(await mediatingNode(i));
  });
  after(() => net?.close());

  /** The token balances the deal moves between: the parties, the market and the QuorumMediator. */
  async function balances() {
    const token = await jobCreator.getToken();
    const of = (who: string) => token.balanceOf(who);
    return {
      jc: await of(await jobCreator.getAddress()),
      rp: await of(await resourceProvider.getAddress()),
      market: await of(net.deployment.contracts.DealMarket.address),
      mediator: await of(net.deployment.contracts.QuorumMediator.address),
    };
  }

  /** A deal agreed by both parties, its results submitted and checked: under mediation by the QuorumMediator. */
  async function dealUnderMediation(verdict: "accept" | "reject") {
    const deal = await makeDeal(accounts);
    deals.set(deal.id, deal);
    verdicts.set(deal.id, verdict);
    const created = (await jobCreator.agree(deal)).get("DealCreated");
    await resourceProvider.agree(deal);
    await resourceProvider.addResult(deal, {
      results_id: RESULTS_CID,
      instruction_count: INSTRUCTIONS,
      deal_id: deal.id,
    });
    const checked = await jobCreator.checkResult(deal);
    expect(getAddress(checked.mediator)).to.equal(net.deployment.contracts.QuorumMediator.address);
    return { deal, dealKey: checked.dealKey, terms: dealTermsOf(created) };
  }

  async function appliedEvents(dealId: string) {
    const mediator = reader.quorumMediator;
    const logs = await mediator.queryFilter(mediator.filters.VerdictApplied(cidToBytes32(dealId)), 0, "latest");
    return logs.map((log) => log.args);
  }

  async function waitForState(deal: Deal, state: AgreementState) {
    await waitFor(
      `deal ${deal.id} to reach state ${state}`,
      async () => ((await jobCreator.getDealState(deal)) === state ? true : undefined),
      60_000,
      200,
    );
  }

  /** Every node is done with the deal (the aggregator applied, the others saw it applied). */
  async function waitAllDone(dealKey: string) {
    return waitFor(
      "every node to be done with the deal",
      () => Promise.resolve(nodes.every((node) => node.state.verdict(dealKey)?.done) ? true : undefined),
      30_000,
      200,
    );
  }

  /** Each node's applyVerdict transactions that landed for the deal. */
  function landedApplies(dealKey: string): number {
    return nodes.reduce(
      (sum, node) => sum + (node.state.verdict(dealKey)?.applies.filter((step) => step.hash).length ?? 0),
      0,
    );
  }

  it("accepts: the quorum's verdict settles the deal as MediationAccepted and the aggregator is credited the fee", async () => {
    const before = await balances();
    const { deal, dealKey, terms } = await dealUnderMediation("accept");
    await waitForState(deal, AgreementState.MediationAccepted);

    const applied = await appliedEvents(deal.id);
    expect(applied).to.have.length(1);
    expect(applied[0].accepted).to.equal(true);
    expect(applied[0].fee).to.equal(terms.pricing.mediationFee);
    const task = await nodes[0].options.tasks.getTask(applied[0].taskId);
    expect(task.statusName).to.equal("Responded");
    // The aggregator that landed the response applied the verdict and is credited the fee.
    expect(getAddress(applied[0].aggregator)).to.equal(task.aggregator);
    expect(await reader.credit(task.aggregator)).to.equal(terms.pricing.mediationFee);
    const aggregator = nodes.find((node) => node.me === task.aggregator)!;
    expect(aggregator.state.verdict(dealKey)).to.deep.include({ outcome: "applied", done: true });

    // Funds conserved to the wei: what the parties paid in net is the fee, now held by the QuorumMediator; the
    // market holds nothing more for the settled deal.
    const after = await balances();
    expect(after.market).to.equal(before.market);
    expect(after.mediator - before.mediator).to.equal(terms.pricing.mediationFee);
    expect(after.jc + after.rp + after.market + after.mediator).to.equal(
      before.jc + before.rp + before.market + before.mediator,
    );
    await waitAllDone(dealKey);
    expect(landedApplies(dealKey)).to.equal(1);
  });

  it("rejects: MediationRejected, with a node restarted mid-verdict and the aggregator after; nothing applied twice", async () => {
    const creditsBefore = await Promise.all(nodes.map((node) => reader.credit(node.me)));
    const before = await balances();
    const { deal, dealKey, terms } = await dealUnderMediation("reject");

    // Once the verdict is asked for (the task exists), a node that did not ask stops and starts again on its state.
    const requested = await waitFor(
      "the verdict request",
      async () => {
        const verdict = await reader.verdictTask(dealKey);
        return verdict.attempts > 0 ? verdict : undefined;
      },
      30_000,
      100,
    );
    const asker = nodes.findIndex((node) => node.state.verdict(dealKey)?.requests.some((step) => step.hash));
    const restarted = (asker + 1) % OPERATORS;
    await nodes[restarted].close();
    nodes[restarted] = await mediatingNode(restarted);

    await waitForState(deal, AgreementState.MediationRejected);
    const applied = await appliedEvents(deal.id);
    expect(applied).to.have.length(1);
    expect(applied[0].accepted).to.equal(false);
    expect(applied[0].taskId).to.equal(requested.taskId);
    const task = await reader.verdictTask(dealKey);
    expect(task.attempts).to.equal(1);
    const view = await nodes[0].options.tasks.getTask(task.taskId);
    expect(await reader.credit(view.aggregator)).to.equal(
      creditsBefore[nodes.findIndex((node) => node.me === view.aggregator)] + terms.pricing.mediationFee,
    );

    // The aggregator restarts after applying: its state says it is done, and it sends nothing again.
    const index = nodes.findIndex((node) => node.me === view.aggregator);
    await nodes[index].close();
    nodes[index] = await mediatingNode(index);
    const head = await net.provider.getBlockNumber();
    await waitFor(
      "the restarted aggregator to scan past the verdict",
      () => Promise.resolve((nodes[index].state.verdictsScannedTo ?? 0) > head ? true : undefined),
      30_000,
      200,
    );
    await waitAllDone(dealKey);
    expect(landedApplies(dealKey)).to.equal(1);
    expect((await appliedEvents(deal.id)).length).to.equal(1);
    expect(nodes[index].state.verdict(dealKey)).to.deep.include({ outcome: "applied", done: true });

    const after = await balances();
    expect(after.market).to.equal(before.market);
    expect(after.mediator - before.mediator).to.equal(terms.pricing.mediationFee);
    expect(after.jc + after.rp + after.market + after.mediator).to.equal(
      before.jc + before.rp + before.market + before.mediator,
    );
    // A rejection pays the job creator back its payment collateral plus the provider's results collateral.
    expect(after.rp < before.rp).to.equal(true);
  });
});
