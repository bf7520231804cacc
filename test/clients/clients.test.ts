// Method by method: the base client's reads and allowance handling, signing and collecting agreements,
// deal lookups, deferred payouts, and the argument checks made before anything is sent.

import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { BrowserProvider, MaxUint256, TypedDataEncoder, Wallet } from "ethers";
import { AccordError, AgreementState, cidToBytes32, dealKey, getDealId, type Deal } from "../../src/model";
import {
  AccordClientError,
  AccordTxResult,
  dealToTerms,
  eventsNamed,
  JobCreatorClient,
  MediatorClient,
  ResourceProviderClient,
  resolveDeal,
  SolverClient,
  type OnChainDeal,
} from "../../src/clients";
import { DealMarket__factory } from "../../typechain-types";
import {
  clientsFixture,
  expectContractError,
  expectError,
  FUNDING,
  lower,
  makeDeal,
  RESULTS_CID,
  stateName,
  TOKEN,
  type ClientsFixture,
} from "./helpers";

async function agreed(f: ClientsFixture, deal: Deal): Promise<void> {
  await f.jobCreator.agree(deal);
  await f.resourceProvider.agree(deal);
}

describe("clients: methods", function () {
  describe("base client", function () {
    it("reads the signer, chain, time and token", async function () {
      const f = await loadFixture(clientsFixture);
      expect(await f.jobCreator.getAddress()).to.equal(f.accounts.jobCreator.address);
      expect(await f.jobCreator.getChainId()).to.equal(31337n);
      const latest = await hre.ethers.provider.getBlock("latest");
      expect(await f.jobCreator.latestTimestamp()).to.equal(BigInt(latest!.timestamp));
      expect(await f.jobCreator.defaultDeadline(60)).to.equal(BigInt(latest!.timestamp) + 60n);
      expect(await f.jobCreator.tokenBalance()).to.equal(FUNDING);
      expect(await f.jobCreator.tokenBalance(f.accounts.solver.address)).to.equal(0n);
      expect(await f.jobCreator.allowance()).to.equal(0n);
      expect(() => new SolverClient(f.accounts.solver, {}).market).to.throw(AccordClientError);
    });

    it("ensureAllowance approves only what is missing, per mode", async function () {
      const f = await loadFixture(clientsFixture);
      const client = f.jobCreator;
      const approval = await client.ensureAllowance(50n);
      expect(approval?.get("Approval").args).to.deep.include({
        owner: lower(f.accounts.jobCreator.address),
        value: 50n,
      });
      expect(await client.ensureAllowance(50n)).to.equal(undefined);
      expect(await client.ensureAllowance(10n)).to.equal(undefined);
      expect(await client.ensureAllowance(60n, "none")).to.equal(undefined);
      expect(await client.allowance()).to.equal(50n);

      const unlimited = await client.ensureAllowance(60n, "unlimited");
      expect(unlimited?.get("Approval").args.value).to.equal(MaxUint256);

      const viaPermit = await f.resourceProvider.ensureAllowance(70n, "permit");
      expect(viaPermit?.get("Approval").args.value).to.equal(70n);
      expect(await f.token.nonces(f.accounts.resourceProvider.address)).to.equal(1n);
    });

    it("signs a permit anyone can submit", async function () {
      const f = await loadFixture(clientsFixture);
      const permit = await f.jobCreator.signPermit(123n);
      expect(permit).to.deep.include({
        owner: f.accounts.jobCreator.address,
        spender: f.deployment.contracts.DealMarket.address,
        value: 123n,
        nonce: 0n,
      });
      const submitted = await f.solver.submitPermit(permit);
      expect(submitted.get("Approval").args.value).to.equal(123n);
      expect(await f.jobCreator.allowance()).to.equal(123n);
      await expectContractError(f.solver.submitPermit(permit), "ERC2612InvalidSigner"); // nonce used
    });

    it("sends back-to-back transactions from a Wallet on a caching ethers provider (approve, then agree)", async function () {
      const f = await loadFixture(clientsFixture);
      // ethers' providers cache getTransactionCount for 250 ms; over an automining node the second
      // transaction would reuse the first one's nonce unless the client reads it uncached.
      const provider = new BrowserProvider(hre.network.provider);
      const wallet = Wallet.createRandom().connect(provider);
      await (await f.accounts.deployer.sendTransaction({ to: wallet.address, value: 10n ** 18n })).wait();
      await (await f.token.transfer(wallet.address, 1000n * TOKEN)).wait();
      const client = new JobCreatorClient(wallet, f.clientOptions);
      const deal = await makeDeal(f.accounts, { jobCreator: wallet.address });
      const result = await client.agree(deal);
      expect(result.approval?.get("Approval").args.owner).to.equal(lower(wallet.address));
      expect(result.get("PartyAgreed").args.party).to.equal(lower(wallet.address));
      await client.ensureAllowance(2000n * TOKEN);
      expect(await client.allowance()).to.equal(2000n * TOKEN);
    });

    it("AccordTxResult finds events by name and throws for a missing one", async function () {
      const f = await loadFixture(clientsFixture);
      const result = await f.jobCreator.ensureAllowance(1n);
      expect(result).to.be.instanceOf(AccordTxResult);
      expect(result!.hash).to.match(/^0x[0-9a-f]{64}$/);
      expect(result!.blockNumber).to.be.a("number");
      expect(result!.gasUsed > 0n).to.equal(true);
      expect(result!.events.map((e) => e.eventName)).to.deep.equal(["Approval"]);
      expect(result!.find("Payment")).to.equal(undefined);
      expect(() => result!.get("Payment")).to.throw(/no Payment event/);
    });
  });

  describe("deal references", function () {
    it("resolves a model deal (computing a missing ID) and an on-chain deal", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const resolved = await resolveDeal(deal);
      expect(resolved.dealId).to.equal(cidToBytes32(deal.id));
      expect(resolved.dealCid).to.equal(deal.id);
      // The key the market keeps it under: the model's dealKey of the ID and the parties, as the market computes it.
      const key = dealKey(deal.id, f.accounts.jobCreator.address, f.accounts.resourceProvider.address);
      expect(resolved.dealKey).to.equal(key.toLowerCase());
      expect(resolved.dealKey).to.equal(
        await f.market.dealKey(resolved.dealId, f.accounts.jobCreator.address, f.accounts.resourceProvider.address),
      );
      expect(await f.solver.dealKey(deal)).to.equal(resolved.dealKey);
      expect(resolved.terms.pricing.paymentCollateral).to.equal(100n * TOKEN); // etherToWei by default
      expect((await resolveDeal({ ...deal, id: "" })).dealId).to.equal(cidToBytes32(await getDealId(deal)));

      const onChain: OnChainDeal = { dealId: cidToBytes32(deal.id), terms: resolved.terms, instructionCount: 4n };
      expect(await resolveDeal(onChain)).to.deep.include({ dealCid: deal.id, instructionCount: 4n });
      expect((await resolveDeal({ dealId: deal.id, terms: resolved.terms })).dealId).to.equal(resolved.dealId);
      // A key given with the terms must be theirs.
      expect((await resolveDeal({ ...onChain, dealKey: key.toUpperCase().replace("0X", "0x") })).dealKey).to.equal(
        resolved.dealKey,
      );
      const otherKey = dealKey(deal.id, f.accounts.stranger.address, f.accounts.resourceProvider.address);
      await expectError(resolveDeal({ ...onChain, dealKey: otherKey }), AccordError);

      const wei = new JobCreatorClient(f.accounts.jobCreator, { ...f.clientOptions, toWei: (amount) => amount });
      expect((await wei.resolveDeal(deal)).terms.pricing.paymentCollateral).to.equal(100n);
    });

    it("reads records, deadlines, events, terms, results and mediations", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const client = f.resourceProvider;
      expect(await client.getDealRecord(deal)).to.deep.include({ exists: false, state: 0, updatedAt: 0n });
      expect((await expectError(client.getDealDeadline(deal), AccordClientError)).code).to.equal("NOT_FOUND");
      const key = await client.dealKey(deal);
      expect(await client.findDealTerms(deal)).to.equal(undefined);
      expect(await client.findResult(key)).to.equal(undefined);
      expect(await client.findMediation(key)).to.equal(undefined);
      expect(await client.getMediationDraw(deal)).to.deep.include({ exists: false, drawBlock: 0, drawn: false });
      // A deal ID alone does not name a record (others may share it): the reads want the deal or its key.
      for (const read of [client.findResult(deal.id), client.getDealState(deal.id), client.getDealEvents(deal.id)]) {
        expect((await expectError(read, AccordError)).message).to.contain("not a deal key");
      }

      await agreed(f, deal);
      await client.addResult(deal, { resultsId: RESULTS_CID, instructionCount: 10n });
      const checked = await f.jobCreator.checkResult(deal);

      const record = await client.getDealRecord(deal);
      expect(record).to.deep.include({
        dealKey: key,
        exists: true,
        state: AgreementState.ResultsChecked,
        stateName: "ResultsChecked",
      });
      expect(await client.getDealRecord(key)).to.deep.equal(record);
      expect(record.commitment).to.match(/^0x[0-9a-f]{50}$/);
      const deadline = await client.getDealDeadline(deal);
      expect(deadline).to.deep.include({
        timeout: "mediateResults",
        deadline: record.updatedAt + 3600n,
        passed: false,
      });

      const events = await client.getDealEvents(deal);
      expect(eventsNamed(events, "DealStateChange").map(stateName)).to.deep.equal([
        "DealNegotiating",
        "DealAgreed",
        "ResultsSubmitted",
        "ResultsChecked",
      ]);
      expect(events.map((e) => e.eventName)).to.include.members([
        "DealCreated",
        "PartyAgreed",
        "Payment",
        "ResultAdded",
        "MediationRequested",
      ]);
      expect(events.every((e) => "dealKey" in e.args && e.args.dealKey === key)).to.equal(true);
      const created = eventsNamed(events, "DealCreated")[0];
      expect(created.args).to.deep.include({ dealKey: key, dealId: cidToBytes32(deal.id) });
      expect(await client.findDealCreated(deal)).to.deep.equal(created);
      expect((await client.findDealsById(deal.id)).map((e) => e.args.dealKey)).to.deep.equal([key]);

      const terms = await client.findDealTerms(deal);
      const expected = dealToTerms(deal);
      expect(terms).to.deep.equal(expected);
      expect((await client.findResult(deal))?.args).to.deep.include({
        resultsId: cidToBytes32(RESULTS_CID),
        instructionCount: 10n,
      });
      const mediation = await client.findMediation(deal);
      expect(mediation?.args).to.deep.equal({ dealKey: key, drawBlock: BigInt(checked.blockNumber) });
      expect(mediation?.blockHash).to.equal(checked.drawBlockHash);
      expect(await client.getMediationDraw(key)).to.deep.include({
        exists: true,
        drawBlock: checked.blockNumber,
        drawn: false,
      });
    });

    it("checks arguments before sending", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      // The job creator's client cannot agree for the provider, nor sign for it.
      const wrong = new ResourceProviderClient(f.accounts.jobCreator, f.clientOptions);
      expect((await expectError(wrong.agree(deal), AccordClientError)).code).to.equal("NOT_A_PARTY");
      expect((await expectError(wrong.signAgreement(deal), AccordClientError)).code).to.equal("NOT_A_PARTY");

      await agreed(f, deal);
      // No ResultAdded yet, so no instruction count to find.
      const missing = await expectError(f.jobCreator.acceptResult(deal), AccordClientError);
      expect(missing.code).to.equal("NOT_FOUND");
      expect(missing.message).to.contain("instructionCount");
      // No draw before checkResult.
      const noDraw = await expectError(f.mediators[0].computeDrawnMediator(deal), AccordClientError);
      expect(noDraw.code).to.equal("NOT_FOUND");

      const other = await makeDeal(f.accounts);
      const wrongDeal = await expectError(
        f.resourceProvider.addResult(deal, { results_id: RESULTS_CID, instruction_count: 1n, deal_id: other.id }),
        AccordClientError,
      );
      expect(wrongDeal.code).to.equal("INVALID_ARGUMENT");
      await expectError(
        f.resourceProvider.addResult(deal, { resultsId: RESULTS_CID, instructionCount: 1n << 64n }),
        AccordClientError,
      );
    });
  });

  describe("signed agreements", function () {
    it("the signed typed data has the market's agreementDigest", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const request = await f.solver.agreementRequest(deal, 1_900_000_000n);
      expect(request.domain).to.deep.equal({
        name: "Accord DealMarket",
        version: "1",
        chainId: 31337n,
        verifyingContract: f.deployment.contracts.DealMarket.address,
      });
      const digest = TypedDataEncoder.hash(request.domain, request.types, request.value);
      expect(digest).to.equal(await f.market.agreementDigest(request.dealId, request.terms, request.deadline));
      expect(await f.jobCreator.agreementRequest(deal, 1_900_000_000n)).to.deep.equal(request);
    });

    it("with allowance 'permit' the parties only sign; the solver submits their permits and the agreement", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const deadline = await f.solver.defaultDeadline(600);
      const jc = await f.jobCreator.signAgreement(deal, { deadline, allowance: "permit" });
      const rp = await f.resourceProvider.signAgreement(deal, { deadline, allowance: "permit" });
      expect(jc.approval).to.equal(undefined);
      expect(jc.permit).to.deep.include({ value: 103n * TOKEN, deadline });
      expect(rp.permit?.value).to.equal(10n * TOKEN);
      const jcNonce = await hre.ethers.provider.getTransactionCount(f.accounts.jobCreator.address);

      const result = await f.solver.agreeWithSignatures(deal, { jobCreator: jc, resourceProvider: rp });
      expect(result.permits).to.have.length(2);
      expect(result.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.DealAgreed));
      // The job creator sent no transaction at all.
      expect(await hre.ethers.provider.getTransactionCount(f.accounts.jobCreator.address)).to.equal(jcNonce);
      expect(await f.jobCreator.getDealState(deal)).to.equal(AgreementState.DealAgreed);
    });

    it("takes signatures as strings, Signers, functions or a collected agreement", async function () {
      const f = await loadFixture(clientsFixture);
      await f.jobCreator.ensureAllowance(1000n * TOKEN);
      await f.resourceProvider.ensureAllowance(1000n * TOKEN);

      const first = await makeDeal(f.accounts);
      const deadline = await f.solver.defaultDeadline();
      const request = await f.solver.agreementRequest(first, deadline);
      const jcSignature = await f.accounts.jobCreator.signTypedData(request.domain, request.types, request.value);
      const asked: string[] = [];
      const result = await f.solver.agreeWithSignatures(first, {
        deadline,
        jobCreator: jcSignature,
        resourceProvider: async (req) => {
          asked.push(req.dealCid);
          return f.accounts.resourceProvider.signTypedData(req.domain, req.types, req.value);
        },
      });
      expect(asked).to.deep.equal([first.id]);
      expect(result.get("DealCreated").args.dealId).to.equal(cidToBytes32(first.id));

      const second = await makeDeal(f.accounts);
      const collected = await f.solver.collectSignatures(second, {
        jobCreator: f.accounts.jobCreator,
        resourceProvider: f.accounts.resourceProvider,
      });
      expect(collected).to.deep.include({ dealCid: second.id, permits: [] });
      const submitted = await f.solver.agreeWithSignatures(collected);
      expect(stateName(submitted.get("DealStateChange"))).to.equal("DealAgreed");
      await expectError(f.solver.agreeWithSignatures(second), AccordClientError);
    });

    it("refuses signed agreements for another role, deal or deadline", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const other = await makeDeal(f.accounts);
      const deadline = await f.solver.defaultDeadline();
      const jc = await f.jobCreator.signAgreement(deal, { deadline, allowance: "none" });
      const rp = await f.resourceProvider.signAgreement(deal, { deadline, allowance: "none" });
      const rpOther = await f.resourceProvider.signAgreement(other, { deadline, allowance: "none" });
      const rpLater = await f.resourceProvider.signAgreement(deal, { deadline: deadline + 1n, allowance: "none" });

      for (const [options, text] of [
        [{ jobCreator: rp, resourceProvider: rp }, "signed as resource provider"],
        [{ jobCreator: jc, resourceProvider: rpOther }, `signed deal ${other.id}`],
        [{ jobCreator: jc, resourceProvider: rpLater }, "deadline"],
      ] as const) {
        const error = await expectError(f.solver.agreeWithSignatures(deal, options), AccordClientError);
        expect(error.code).to.equal("BAD_SIGNATURE");
        expect(error.message).to.contain(text);
      }
    });

    it("a party submits the agreement itself with only the counterparty's signature", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const rp = await f.resourceProvider.signAgreement(deal, { allowance: "permit" });
      const result = await f.jobCreator.agreeWithSignature(deal, rp);
      expect(result.approval?.get("Approval").args.value).to.equal(103n * TOKEN);
      expect(result.permits).to.have.length(1);
      expect(result.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.DealAgreed));

      const second = await makeDeal(f.accounts);
      const jc = await f.jobCreator.signAgreement(second);
      expect((await f.resourceProvider.agreeWithSignature(second, jc)).get("DealCreated").args.dealId).to.equal(
        cidToBytes32(second.id),
      );
      const sameRole = await f.jobCreator.signAgreement(await makeDeal(f.accounts));
      await expectError(f.jobCreator.agreeWithSignature(deal, sameRole), AccordClientError);
    });

    it("leaves a contract wallet's signature to the chain (ERC-1271)", async function () {
      const f = await loadFixture(clientsFixture);
      const owner = f.accounts.jobCreator;
      const wallet = await (await hre.ethers.getContractFactory("ERC1271WalletMock")).deploy(owner.address);
      const walletAddress = await wallet.getAddress();
      await (await f.token.transfer(walletAddress, 1000n * TOKEN)).wait();
      const approve = f.token.interface.encodeFunctionData("approve", [
        f.deployment.contracts.DealMarket.address,
        MaxUint256,
      ]);
      await (await wallet.connect(owner).execute(f.deployment.contracts.AccordToken.address, approve)).wait();
      await f.resourceProvider.ensureAllowance(1000n * TOKEN);

      const deal = await makeDeal(f.accounts, { jobCreator: walletAddress });
      // The owner's ECDSA signature does not recover to the wallet; the local check defers to the chain.
      const result = await f.solver.agreeWithSignatures(deal, {
        jobCreator: owner,
        resourceProvider: f.accounts.resourceProvider,
      });
      expect(result.get("DealCreated").args.jobCreator).to.equal(lower(walletAddress));
    });
  });

  describe("deferred payouts", function () {
    it("a payout the token refuses is kept; the recipient withdraws it elsewhere", async function () {
      const f = await loadFixture(clientsFixture);
      const mock = await (await hre.ethers.getContractFactory("BlacklistERC20Mock")).deploy();
      const market = await new DealMarket__factory(f.accounts.deployer).deploy(await mock.getAddress());
      const marketAddress = await market.getAddress();
      for (const party of [f.accounts.jobCreator, f.accounts.resourceProvider]) {
        await (await mock.mint(party.address, 1000n * TOKEN)).wait();
      }
      // No token address given: read from market.token(), and its events decoded once known.
      const options = { market: marketAddress };
      const jobCreator = new JobCreatorClient(f.accounts.jobCreator, options);
      const provider = new ResourceProviderClient(f.accounts.resourceProvider, options);

      const deal = await makeDeal(f.accounts);
      const agreement = await jobCreator.agree(deal);
      expect(agreement.approval?.get("Approval").args.spender).to.equal(lower(marketAddress));
      expect(agreement.filter("Transfer")).to.have.length(1);
      await provider.agree(deal);
      await provider.addResult(deal, { resultsId: RESULTS_CID, instructionCount: 10n });
      await (await mock.setBlacklisted(f.accounts.resourceProvider.address, true)).wait();

      const accepted = await jobCreator.acceptResult(deal);
      const deferred = accepted.get("PayoutDeferred");
      expect(deferred.args).to.deep.equal({ account: lower(f.accounts.resourceProvider.address), amount: 60n * TOKEN });
      expect(await provider.deferredPayouts()).to.equal(60n * TOKEN);
      expect(await jobCreator.deferredPayouts(f.accounts.resourceProvider.address)).to.equal(60n * TOKEN);

      const withdrawn = await provider.withdraw(f.accounts.stranger.address);
      expect(withdrawn.get("Withdrawn").args).to.deep.include({
        account: lower(f.accounts.resourceProvider.address),
        to: lower(f.accounts.stranger.address),
        amount: 60n * TOKEN,
      });
      expect(await mock.balanceOf(f.accounts.stranger.address)).to.equal(60n * TOKEN);
      expect(await provider.deferredPayouts()).to.equal(0n);
    });
  });

  describe("mediator", function () {
    it("lists nothing before the scan window and decides with an explicit instruction count", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts, { mediators: [f.accounts.mediators[0].address] });
      await agreed(f, deal);
      await f.resourceProvider.addResult(deal, { resultsId: RESULTS_CID, instructionCount: 3n });
      const checked = await f.jobCreator.checkResult(deal);
      expect(checked).to.deep.include({ mediatorIndex: 0, mediator: f.accounts.mediators[0].address });

      const mediator = f.mediators[0];
      const latest = await hre.ethers.provider.getBlockNumber();
      expect(await mediator.getPendingMediations({ fromBlock: latest + 1 })).to.deep.equal([]);
      const [pending] = await mediator.getPendingMediations();
      expect(pending.requestedAt).to.equal((await mediator.getDealRecord(deal)).updatedAt);
      expect(pending.deadline).to.equal(pending.requestedAt + 3600n);
      expect(pending).to.deep.include({ drawBlock: checked.blockNumber, drawBlockHash: checked.drawBlockHash });

      // A mediator that was not drawn (here: not even one of the deal's) is refused by the chain.
      const notDrawn = new MediatorClient(f.accounts.mediators[1], f.clientOptions);
      expect(await notDrawn.isDrawnMediator(deal)).to.equal(false);
      await expectContractError(notDrawn.mediationAcceptResult(deal), "DealMarket_Unauthorized");
      const decided = await mediator.mediationAcceptResult(deal, { instructionCount: 3n });
      expect(decided.get("DealStateChange").args.state).to.equal(BigInt(AgreementState.MediationAccepted));
    });
  });
});
