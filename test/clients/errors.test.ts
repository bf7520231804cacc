import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, Wallet, id as keccakId, type ContractTransactionResponse } from "ethers";
import { AgreementState } from "../../src/model";
import {
  AccordClientError,
  AccordContractError,
  accordErrorInterface,
  decodeContractError,
  decodeRevertData,
  findRevertData,
  JobCreatorClient,
  ResourceProviderClient,
  SolverClient,
} from "../../src/clients";
import { clientsFixture, expectContractError, expectError, makeDeal, RESULTS_CID, TOKEN } from "./helpers";

const coder = AbiCoder.defaultAbiCoder();

describe("clients: typed errors", function () {
  describe("decoding revert data", function () {
    it("decodes custom errors with named args, enums as numbers and names in the message", function () {
      const key = keccakId("a deal key");
      const data = accordErrorInterface.encodeErrorResult("DealMarket_InvalidState", [key, 3, 2]);
      const error = decodeRevertData(data, { action: "acceptResult" });
      expect(error).to.be.instanceOf(AccordContractError);
      expect(error.errorName).to.equal("DealMarket_InvalidState");
      expect(error.args).to.deep.equal({
        dealKey: key,
        current: AgreementState.ResultsAccepted,
        expected: AgreementState.ResultsSubmitted,
      });
      expect(error.argsList).to.deep.equal([key, 3, 2]);
      expect(error.signature).to.equal("DealMarket_InvalidState(bytes32,uint8,uint8)");
      expect(error.selector).to.equal(data.slice(0, 10));
      expect(error.message).to.equal(
        `acceptResult reverted: DealMarket_InvalidState(dealKey: ${key}, current: ResultsAccepted (3), expected: ResultsSubmitted (2))`,
      );
      expect(error.is("DealMarket_InvalidState", { current: 3n })).to.equal(true);
      expect(error.is("DealMarket_InvalidState", { current: 4 })).to.equal(false);
      expect(error.is("DealMarket_DealExists")).to.equal(false);
    });

    it("knows the errors of the Errors library that no contract ABI lists, and the token's", function () {
      const tooLong = decodeRevertData(
        accordErrorInterface.encodeErrorResult("ServiceRegistry_UrlTooLong", [3000, 2048]),
      );
      expect(tooLong.errorName).to.equal("ServiceRegistry_UrlTooLong");
      expect(tooLong.args).to.deep.equal({ length: 3000n, max: 2048n });
      const allowance = decodeRevertData(
        accordErrorInterface.encodeErrorResult("ERC20InsufficientAllowance", [Wallet.createRandom().address, 1n, 2n]),
      );
      expect(allowance.errorName).to.equal("ERC20InsufficientAllowance");
      expect(allowance.args).to.have.keys("spender", "allowance", "needed");
    });

    it("decodes Error(string), Panic, empty and unknown reverts", function () {
      const message = decodeRevertData("0x08c379a0" + coder.encode(["string"], ["nope"]).slice(2));
      expect(message.errorName).to.equal("Error");
      expect(message.args).to.deep.equal({ message: "nope" });
      const panic = decodeRevertData("0x4e487b71" + coder.encode(["uint256"], [0x11]).slice(2));
      expect(panic.errorName).to.equal("Panic");
      expect(panic.args).to.deep.equal({ code: 0x11n, reason: "arithmetic overflow or underflow" });
      expect(decodeRevertData("0x").errorName).to.equal("EmptyRevert");
      const unknown = decodeRevertData(keccakId("Nope()").slice(0, 10));
      expect(unknown.errorName).to.equal("UnknownError");
      expect(unknown.args.selector).to.equal(keccakId("Nope()").slice(0, 10));
    });

    it("finds revert data where ethers, Hardhat and JSON-RPC nodes put it", function () {
      const data = accordErrorInterface.encodeErrorResult("DealMarket_ZeroDealId", []);
      expect(findRevertData({ data })).to.equal(data);
      expect(findRevertData({ info: { error: { code: 3, message: "execution reverted", data } } })).to.equal(data);
      expect(findRevertData({ error: { error: { data: { data } } } })).to.equal(data);
      expect(findRevertData({ code: "CALL_EXCEPTION", data: null })).to.equal("0x");
      expect(findRevertData(new Error("socket hang up"))).to.equal(undefined);
      expect(decodeContractError(new Error("socket hang up"))).to.equal(undefined);
      expect(decodeContractError({ data, transactionHash: "0xabc" })?.transactionHash).to.equal("0xabc");
    });
  });

  describe("reverts from the chain", function () {
    it("accepting twice gives DealMarket_InvalidState with its args", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      await f.jobCreator.agree(deal);
      await f.resourceProvider.agree(deal);
      await f.resourceProvider.addResult(deal, { resultsId: RESULTS_CID, instructionCount: 10n });
      await f.jobCreator.acceptResult(deal);

      const error = await expectContractError(f.jobCreator.acceptResult(deal), "DealMarket_InvalidState");
      expect(error.args).to.deep.equal({
        dealKey: await f.jobCreator.dealKey(deal),
        current: AgreementState.ResultsAccepted,
        expected: AgreementState.ResultsSubmitted,
      });
      expect(error.action).to.equal("acceptResult");
    });

    it("gives the callers', terms' and existence errors", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const dealKey = await f.jobCreator.dealKey(deal);

      const notFound = await expectContractError(f.jobCreator.getDealState(deal), "DealMarket_DealNotFound");
      expect(notFound.args).to.deep.equal({ dealKey });
      expect(notFound.action).to.equal("getDealState");

      await f.jobCreator.agree(deal);
      await f.resourceProvider.agree(deal);
      const stranger = new JobCreatorClient(f.accounts.stranger, f.clientOptions);
      const unauthorized = await expectContractError(stranger.timeoutSubmitResults(deal), "DealMarket_Unauthorized");
      expect(unauthorized.args).to.deep.equal({ dealKey, caller: f.accounts.stranger.address });

      await f.resourceProvider.addResult(deal, { resultsId: RESULTS_CID, instructionCount: 10n });
      const mismatch = await expectContractError(
        f.jobCreator.acceptResult(deal, { instructionCount: 11n }),
        "DealMarket_TermsMismatch",
      );
      expect(mismatch.args).to.deep.equal({ dealKey });

      const exists = await expectContractError(
        f.solver.agreeWithSignatures(deal, {
          jobCreator: f.accounts.jobCreator,
          resourceProvider: f.accounts.resourceProvider,
        }),
        "DealMarket_DealExists",
      );
      expect(exists.args).to.deep.equal({ dealKey });

      const nothing = await expectContractError(f.jobCreator.withdraw(), "DealMarket_NothingToWithdraw");
      expect(nothing.args).to.deep.equal({ account: f.accounts.jobCreator.address });
    });

    it("gives the draw errors with the deal's key (pending inside the draw block, already fixed)", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      await f.jobCreator.agree(deal);
      await f.resourceProvider.agree(deal);
      await f.resourceProvider.addResult(deal, { resultsId: RESULTS_CID, instructionCount: 10n });
      const checked = await f.jobCreator.checkResult(deal);
      // A call runs in the latest block, the draw block: its hash does not exist there yet.
      const pending = await expectContractError(f.jobCreator.drawnMediator(deal), "DealMarket_DrawPending");
      expect(pending.args).to.deep.equal({ dealKey: checked.dealKey, drawBlock: BigInt(checked.drawBlock) });
      await mine();
      const mediator = f.mediators[checked.mediatorIndex];
      await mediator.drawMediator(deal);
      const fixed = await expectContractError(mediator.drawMediator(deal), "DealMarket_MediatorAlreadyDrawn");
      expect(fixed.args).to.deep.equal({ dealKey: checked.dealKey, mediator: checked.mediator });
    });

    it("passes the token's errors through (no allowance, no balance)", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const allowance = await expectContractError(
        f.jobCreator.agree(deal, { allowance: "none" }),
        "ERC20InsufficientAllowance",
      );
      expect(allowance.args).to.deep.equal({
        spender: f.deployment.contracts.DealMarket.address,
        allowance: 0n,
        needed: 103n * TOKEN,
      });

      const poor = (await hre.ethers.getSigners())[15];
      const poorDeal = await makeDeal(f.accounts, { jobCreator: poor.address });
      const poorClient = new JobCreatorClient(poor, f.clientOptions);
      const balance = await expectContractError(poorClient.agree(poorDeal), "ERC20InsufficientBalance");
      expect(balance.args).to.deep.include({ sender: poor.address, balance: 0n, needed: 103n * TOKEN });
    });

    it("checks agreement signatures locally, and the chain checks them too", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      const byStranger = { jobCreator: f.accounts.stranger, resourceProvider: f.accounts.resourceProvider };

      const local = await expectError(f.solver.agreeWithSignatures(deal, byStranger), AccordClientError);
      expect(local.code).to.equal("BAD_SIGNATURE");
      expect(local.message).to.contain(f.accounts.stranger.address);

      await f.jobCreator.ensureAllowance(103n * TOKEN);
      await f.resourceProvider.ensureAllowance(10n * TOKEN);
      const onChain = await expectContractError(
        f.solver.agreeWithSignatures(deal, { ...byStranger, verify: false }),
        "DealMarket_InvalidSignature",
      );
      expect(onChain.args).to.deep.equal({ expectedSigner: f.accounts.jobCreator.address });

      const past = (await f.solver.latestTimestamp()) - 1n;
      const expired = await expectContractError(
        f.solver.agreeWithSignatures(deal, {
          jobCreator: f.accounts.jobCreator,
          resourceProvider: f.accounts.resourceProvider,
          deadline: past,
        }),
        "DealMarket_SignatureExpired",
      );
      expect(expired.args).to.deep.equal({ deadline: past });
    });

    it("decodes the same way for a plain ethers Wallet on the provider", async function () {
      const f = await loadFixture(clientsFixture);
      const wallet = Wallet.createRandom().connect(hre.ethers.provider);
      await (await f.accounts.deployer.sendTransaction({ to: wallet.address, value: 10n ** 18n })).wait();
      const client = new SolverClient(wallet, f.clientOptions);
      const error = await expectContractError(client.withdraw(), "DealMarket_NothingToWithdraw");
      expect(error.args).to.deep.equal({ account: wallet.address });
    });

    it("explains a transaction that was mined reverted (no revert data from the receipt)", async function () {
      const f = await loadFixture(clientsFixture);
      const deal = await makeDeal(f.accounts);
      await f.jobCreator.agree(deal);
      await f.resourceProvider.agree(deal);
      const resolved = await f.jobCreator.resolveDeal(deal);

      // A subclass reaching the protected send, with a fixed gas limit so the failing transaction is mined.
      class RawClient extends ResourceProviderClient {
        raw(submit: () => Promise<ContractTransactionResponse>) {
          return this.send("acceptResult", submit);
        }
      }
      const client = new RawClient(f.accounts.resourceProvider, f.clientOptions);
      await hre.network.provider.send("evm_setAutomine", [false]);
      try {
        const pending = client.raw(() =>
          client.market.acceptResult(resolved.dealId, resolved.terms, 0n, { gasLimit: 300_000n }),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        await mine();
        const error = await expectContractError(pending, "DealMarket_InvalidState");
        expect(error.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
        expect(error.args).to.deep.include({
          current: AgreementState.DealAgreed,
          expected: AgreementState.ResultsSubmitted,
        });
      } finally {
        await hre.network.provider.send("evm_setAutomine", [true]);
      }
    });
  });
});
