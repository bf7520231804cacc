// Deals are records under dealKey(dealId, jobCreator, resourceProvider): a third party using the same deal ID with
// other parties makes another record, which neither blocks the real one nor gets confused with it by any client.
// The mediator is drawn from the hash of checkResult's block: the clients compute it off chain the way the chain
// does, and the chain refuses every other mediator.

import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { AgreementState, cidToBytes32, mediatorDrawIndex, type Deal } from "../../src/model";
import {
  BLOCKHASH_WINDOW,
  drawnMediatorOf,
  JobCreatorClient,
  ResourceProviderClient,
  type OnChainDeal,
} from "../../src/clients";
import {
  clientsFixture,
  expectContractError,
  FUNDING,
  lower,
  makeDeal,
  RESULTS_CID,
  stateName,
  type ClientsFixture,
} from "./helpers";

const REAL_INSTRUCTIONS = 10n;
const SQUAT_INSTRUCTIONS = 7n;

/** The solver agrees the deal with both parties' signatures; the provider submits results. */
async function agreeAndSubmit(f: ClientsFixture, deal: Deal) {
  const agreed = await f.solver.agreeWithSignatures(deal, {
    jobCreator: (request) => f.jobCreator.signAgreement(request, { deadline: request.deadline }),
    resourceProvider: (request) => f.resourceProvider.signAgreement(request, { deadline: request.deadline }),
  });
  await f.resourceProvider.addResult(deal, { resultsId: RESULTS_CID, instructionCount: REAL_INSTRUCTIONS });
  return agreed;
}

describe("clients: deal keys", function () {
  it("a third party front-runs agree with the deal's ID and other parties; the real deal goes on, each action on its own record", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    const real = await f.solver.resolveDeal(deal);

    // The squatter sees the signed agreement's deal ID (e.g. in the mempool) and creates a record with it first,
    // as job creator, with an accomplice as provider: same ID, same solver, mediators and pricing, other parties.
    const accomplice = (await hre.ethers.getSigners())[9];
    await (await f.token.transfer(accomplice.address, FUNDING)).wait();
    const squat: OnChainDeal = {
      dealId: deal.id,
      terms: {
        ...real.terms,
        members: {
          ...real.terms.members,
          jobCreator: f.accounts.stranger.address as `0x${string}`,
          resourceProvider: accomplice.address as `0x${string}`,
        },
      },
    };
    const squatter = new JobCreatorClient(f.accounts.stranger, f.clientOptions);
    const squatProvider = new ResourceProviderClient(accomplice, f.clientOptions);
    const squatKey = await squatter.dealKey(squat);
    expect(squatKey).to.not.equal(real.dealKey);
    const squatted = await squatter.agree(squat);
    expect(squatted.get("DealCreated").args).to.deep.include({ dealKey: squatKey, dealId: real.dealId });
    await squatProvider.agree(squat);
    await squatProvider.addResult(squat, {
      resultsId: cidToBytes32(RESULTS_CID),
      instructionCount: SQUAT_INSTRUCTIONS,
    });
    expect(await f.jobCreator.getDealRecord(deal)).to.deep.include({ exists: false });

    // The solver's agreeWithSignatures of the real deal is not blocked.
    const agreed = await agreeAndSubmit(f, deal);
    expect(agreed.get("DealCreated").args).to.deep.include({
      dealKey: real.dealKey,
      dealId: real.dealId,
      jobCreator: lower(f.accounts.jobCreator.address),
      resourceProvider: lower(f.accounts.resourceProvider.address),
    });
    const byId = await f.solver.findDealsById(deal.id);
    expect(byId.map((e) => e.args.dealKey)).to.deep.equal([squatKey, real.dealKey]);
    expect(byId.map((e) => e.args.dealId)).to.deep.equal([real.dealId, real.dealId]);

    // Reads by key: each record's own terms, results and history.
    expect((await f.jobCreator.findDealTerms(deal))?.members.jobCreator).to.equal(lower(f.accounts.jobCreator.address));
    expect((await f.jobCreator.findDealTerms(squatKey))?.members.jobCreator).to.equal(
      lower(f.accounts.stranger.address),
    );
    expect((await f.jobCreator.findResult(deal))?.args.instructionCount).to.equal(REAL_INSTRUCTIONS);
    expect((await squatter.findResult(squat))?.args.instructionCount).to.equal(SQUAT_INSTRUCTIONS);
    const realEvents = await f.jobCreator.getDealEvents(deal);
    expect(realEvents.every((e) => "dealKey" in e.args && e.args.dealKey === real.dealKey)).to.equal(true);
    expect(realEvents.filter((e) => e.eventName === "ResultAdded")).to.have.length(1);

    // The squatter's record cannot be steered by the real parties' actions, nor the real one by the squatter's.
    await expectContractError(squatter.checkResult({ dealId: deal.id, terms: real.terms }), "DealMarket_Unauthorized");
    // Both job creators dispute their own record (the instruction count each looks up is its own record's).
    const realCheck = await f.jobCreator.checkResult(deal);
    expect(realCheck.dealKey).to.equal(real.dealKey);
    const squatCheck = await squatter.checkResult(squat);
    expect(squatCheck.dealKey).to.equal(squatKey);
    expect(await f.jobCreator.getDealState(deal)).to.equal(AgreementState.ResultsChecked);
    expect(await f.jobCreator.getDealState(squatKey)).to.equal(AgreementState.ResultsChecked);

    // The real deal's drawn mediator finds it pending under its key, and decides it.
    const mediator = f.mediators[realCheck.mediatorIndex];
    const pending = (await mediator.getPendingMediations()).filter((p) => p.dealCid === deal.id);
    const entry = pending.find((p) => p.dealKey === real.dealKey);
    expect(entry).to.deep.include({
      dealKey: real.dealKey,
      instructionCount: REAL_INSTRUCTIONS,
      mediatorIndex: realCheck.mediatorIndex,
    });
    expect(entry!.terms.members.jobCreator).to.equal(lower(f.accounts.jobCreator.address));
    // The squat record is listed only if this mediator was drawn for it too, and then under its own key.
    expect(pending.map((p) => p.dealKey)).to.include.members([real.dealKey]);
    expect(pending.every((p) => p.dealKey === real.dealKey || p.dealKey === squatKey)).to.equal(true);
    const decided = await mediator.mediationRejectResult(entry!);
    expect(decided.get("DealStateChange").args.dealKey).to.equal(real.dealKey);
    expect(stateName(decided.get("DealStateChange"))).to.equal("MediationRejected");
    expect(decided.filter("Payment").every((p) => p.args.dealKey === real.dealKey)).to.equal(true);

    // The real deal is settled; the squat record is where its own parties left it.
    expect(await f.jobCreator.getDealState(deal)).to.equal(AgreementState.MediationRejected);
    expect(await squatter.getDealState(squat)).to.equal(AgreementState.ResultsChecked);
    expect((await squatter.getMediationDraw(squat)).exists).to.equal(true);
    expect((await f.jobCreator.getMediationDraw(deal)).exists).to.equal(false); // deleted when mediation ended

    // The squatter's timeout claims its own record only.
    await hre.network.provider.send("evm_increaseTime", [3601]);
    const timedOut = await squatter.timeoutMediateResults(squat);
    expect(timedOut.get("DealStateChange").args.dealKey).to.equal(squatKey);
    expect(stateName(timedOut.get("DealStateChange"))).to.equal("TimeoutMediateResults");
    expect(await f.jobCreator.getDealState(deal)).to.equal(AgreementState.MediationRejected);
  });

  it("the mediator computed off chain from the draw block's hash is the chain's drawnMediator; the others are refused", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await agreeAndSubmit(f, deal);
    const resolved = await f.jobCreator.resolveDeal(deal);

    const checked = await f.jobCreator.checkResult(deal);
    // From checkResult's receipt: its block is the draw block.
    const request = checked.get("MediationRequested");
    expect(checked).to.deep.include({ drawBlock: checked.blockNumber, drawBlockHash: checked.receipt.blockHash });
    const index = mediatorDrawIndex(checked.receipt.blockHash, resolved.dealKey, 3);
    const expected = { mediator: f.accounts.mediators[index].address, mediatorIndex: index };
    expect(drawnMediatorOf(request, resolved.terms)).to.deep.equal(expected);
    expect({ mediator: checked.mediator, mediatorIndex: checked.mediatorIndex }).to.deep.equal(expected);

    // Any client, still in the draw block: the draw is read from the mined block's hash.
    const offChain = await f.mediators[0].computeDrawnMediator(deal);
    expect(offChain).to.deep.equal({
      ...expected,
      dealKey: resolved.dealKey,
      drawBlock: checked.blockNumber,
      drawBlockHash: checked.receipt.blockHash,
      fixed: false,
      expired: false,
    });
    for (const [i, client] of f.mediators.entries()) {
      expect(await client.isDrawnMediator(deal), `mediator ${i}`).to.equal(i === index);
    }
    // The chain can read the hash once a block has passed.
    await expectContractError(f.solver.drawnMediator(deal), "DealMarket_DrawPending");
    await mine();
    expect(await f.solver.drawnMediator(deal)).to.deep.equal(expected);

    // Every mediator of the deal but the drawn one is refused.
    for (const [i, client] of f.mediators.entries()) {
      if (i === index) continue;
      const refused = await expectContractError(client.mediationAcceptResult(deal), "DealMarket_Unauthorized");
      expect(refused.args).to.deep.equal({ dealKey: resolved.dealKey, caller: f.accounts.mediators[i].address });
      expect(await client.getPendingMediations()).to.deep.equal([]);
    }

    // The drawn mediator fixes the draw (MediatorDrawn), so it outlives the 256 kept block hashes, and decides.
    const drawn = f.mediators[index];
    const fixed = await drawn.drawMediator(deal);
    expect(fixed.get("MediatorDrawn").args).to.deep.equal({
      dealKey: resolved.dealKey,
      mediator: lower(expected.mediator),
      mediatorIndex: BigInt(expected.mediatorIndex),
    });
    expect(await drawn.getMediationDraw(deal)).to.deep.include({ drawn: true, mediatorIndex: index });
    await mine(BLOCKHASH_WINDOW + 1);
    expect(await f.solver.computeDrawnMediator(deal)).to.deep.include({ ...expected, fixed: true, expired: false });
    expect(await f.solver.drawnMediator(deal)).to.deep.equal(expected);
    const [pending] = await drawn.getPendingMediations();
    expect(pending).to.deep.include({
      dealKey: resolved.dealKey,
      mediatorIndex: index,
      drawFixed: true,
      drawExpired: false,
    });
    const decided = await drawn.mediationAcceptResult(pending);
    expect(decided.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.MediationAccepted));
  });

  it("an unfixed draw expires after 256 blocks; drawMediator draws again from a new block", async function () {
    const f = await loadFixture(clientsFixture);
    const deal = await makeDeal(f.accounts);
    await agreeAndSubmit(f, deal);
    const checked = await f.jobCreator.checkResult(deal);
    await mine(BLOCKHASH_WINDOW);

    const stale = await f.solver.computeDrawnMediator(deal);
    expect(stale).to.deep.include({ drawBlock: checked.drawBlock, fixed: false, expired: true });
    const [listed] = await f.mediators[checked.mediatorIndex].getPendingMediations();
    expect(listed).to.deep.include({ drawExpired: true, drawFixed: false });
    await expectContractError(f.mediators[checked.mediatorIndex].mediationAcceptResult(deal), "DealMarket_DrawExpired");

    // Anyone may renew it: a new MediationRequested, drawn from the renewing transaction's block.
    const renewed = await f.mediators[0].drawMediator(deal);
    const request = renewed.get("MediationRequested");
    expect(request.args.drawBlock).to.equal(BigInt(renewed.blockNumber));
    const again = drawnMediatorOf(request, (await f.solver.findDealTerms(deal))!);
    expect(await f.solver.computeDrawnMediator(deal)).to.deep.include({ ...again, expired: false });
    const decider = f.mediators[again.mediatorIndex];
    const [pending] = await decider.getPendingMediations();
    expect(pending).to.deep.include({ drawBlock: renewed.blockNumber, mediatorIndex: again.mediatorIndex });
    const decided = await decider.mediationRejectResult(deal);
    expect(stateName(decided.get("DealStateChange"))).to.equal("MediationRejected");
  });
});
