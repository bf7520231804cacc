// The entities a correct indexer must produce, derived independently of src/indexer: logs decoded by ethers'
// Interface (not the indexer's hand-written decoders), CIDs by multiformats' CID API, the mediator draw by the data
// model's formula (src/model/deal-key.ts, tested against the contract's DealHashing), and the rules of the schema
// (subgraph/schema.graphql) written out plainly.

import { expect } from "chai";
import type { TransactionReceipt } from "ethers";
import type { EntityRecord } from "../../../src/indexer";
import { mediatorDrawIndex } from "../../../src/model/deal-key";
import type { DealPricingStructOutput, DealTimeoutsStructOutput } from "../../../typechain-types/contracts/DealMarket";
import { ethers, type Accord } from "./chain";
import type * as CidModule from "multiformats/cid" with { "resolution-mode": "import" };
import type * as DigestModule from "multiformats/hashes/digest" with { "resolution-mode": "import" };

// eslint-disable-next-line @typescript-eslint/no-require-imports -- multiformats is ESM-only; a static import from this CommonJS build is an error (TS1479), require() keeps it synchronous
const { CID } = require("multiformats/cid") as typeof CidModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- same: ESM-only, loaded synchronously
const Digest = require("multiformats/hashes/digest") as typeof DigestModule;

export const STATES = [
  "DealNegotiating",
  "DealAgreed",
  "ResultsSubmitted",
  "ResultsAccepted",
  "ResultsChecked",
  "MediationAccepted",
  "MediationRejected",
  "TimeoutSubmitResults",
  "TimeoutJudgeResults",
  "TimeoutMediateResults",
  "TimeoutAgree",
];
const REASONS = ["PaymentCollateral", "ResultsCollateral", "TimeoutCollateral", "JobPayment", "MediationFee"];
const DIRECTIONS = ["PaidIn", "PaidOut", "Refunded", "Slashed"];
const ROLES = ["Solver", "Mediator", "Directory", "ResourceProvider", "JobCreator"];

export function cid(bytes32: string): string {
  return CID.createV0(Digest.create(0x12, ethers.getBytes(bytes32))).toString();
}

export type Expected = Map<string, Map<string, EntityRecord>>;

export async function expectedEntities(accord: Accord, receipts: TransactionReceipt[]): Promise<Expected> {
  const market = (await accord.market.getAddress()).toLowerCase();
  const registry = (await accord.registry.getAddress()).toLowerCase();
  const out: Expected = new Map(
    ["Deal", "DealStateChange", "Result", "Mediation", "Payment", "Account", "Service"].map((e) => [
      e,
      new Map<string, EntityRecord>(),
    ]),
  );
  const put = (entity: string, record: EntityRecord) => out.get(entity)!.set(record.id as string, record);
  const get = (entity: string, id: string) => out.get(entity)!.get(id);
  const account = (a: string): EntityRecord => {
    let acc = get("Account", a);
    if (!acc) {
      acc = { id: a, escrowBalance: 0n, totalPaidIn: 0n, totalReceived: 0n, deferredPayout: 0n };
      put("Account", acc);
    }
    return acc;
  };
  const timestamps = new Map<number, bigint>();
  const logs = receipts
    .flatMap((r) => r.logs)
    .filter((l) => [market, registry].includes(l.address.toLowerCase()))
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  for (const log of logs) {
    if (!timestamps.has(log.blockNumber))
      timestamps.set(log.blockNumber, BigInt((await ethers.provider.getBlock(log.blockNumber))!.timestamp));
    const ts = timestamps.get(log.blockNumber)!;
    const bn = BigInt(log.blockNumber);
    const tx = log.transactionHash.toLowerCase();
    const id = `${tx}-${log.index}`;
    const isMarket = log.address.toLowerCase() === market;
    const parsed = (isMarket ? accord.market.interface : accord.registry.interface).parseLog(log)!;
    const a = parsed.args;
    const lower = (x: unknown) => String(x).toLowerCase();
    const touch = (deal: EntityRecord) => Object.assign(deal, { updatedAt: ts, updatedAtBlock: bn, updatedTx: tx });
    // Every event of a deal names it by its key, the Deal's id.
    const dealOf = () => get("Deal", lower(a.dealKey))!;
    switch (parsed.name) {
      case "DealCreated": {
        account(lower(a.jobCreator));
        account(lower(a.resourceProvider));
        const [p, t] = [a.pricing as DealPricingStructOutput, a.timeouts as DealTimeoutsStructOutput];
        put("Deal", {
          id: lower(a.dealKey),
          cid: cid(a.dealId as string),
          dealId: lower(a.dealId),
          market,
          jobCreator: lower(a.jobCreator),
          resourceProvider: lower(a.resourceProvider),
          solver: lower(a.solver),
          mediators: (a.mediators as string[]).map(lower),
          instructionPrice: p.instructionPrice,
          paymentCollateral: p.paymentCollateral,
          resultsCollateralMultiple: p.resultsCollateralMultiple,
          mediationFee: p.mediationFee,
          agreeTimeout: t.agree,
          submitResultsTimeout: t.submitResults,
          judgeResultsTimeout: t.judgeResults,
          mediateResultsTimeout: t.mediateResults,
          agreeCollateral: t.agreeCollateral,
          submitResultsCollateral: t.submitResultsCollateral,
          judgeResultsCollateral: t.judgeResultsCollateral,
          mediateResultsCollateral: t.mediateResultsCollateral,
          state: "DealNegotiating",
          stateIndex: 0,
          isOpen: true,
          jobCreatorAgreed: false,
          resourceProviderAgreed: false,
          mediator: null,
          instructionCount: null,
          resultsId: null,
          escrow: 0n,
          createdAt: ts,
          createdAtBlock: bn,
          createdTx: tx,
          agreedAt: null,
          updatedAt: ts,
          updatedAtBlock: bn,
          updatedTx: tx,
        });
        break;
      }
      case "PartyAgreed": {
        const deal = dealOf();
        if (lower(a.party) === deal.jobCreator) deal.jobCreatorAgreed = true;
        if (lower(a.party) === deal.resourceProvider) deal.resourceProviderAgreed = true;
        touch(deal);
        break;
      }
      case "DealStateChange": {
        const deal = dealOf();
        const index = Number(a.state);
        const state = STATES[index];
        Object.assign(deal, { state, stateIndex: index, isOpen: [0, 1, 2, 4].includes(index) });
        if (state === "DealAgreed")
          Object.assign(deal, { agreedAt: ts, jobCreatorAgreed: true, resourceProviderAgreed: true });
        touch(deal);
        put("DealStateChange", {
          id,
          deal: deal.id,
          state,
          stateIndex: index,
          blockNumber: bn,
          timestamp: ts,
          transactionHash: tx,
        });
        if ([5, 6, 9].includes(index))
          Object.assign(get("Mediation", deal.id as string)!, { outcome: state, decidedAt: ts, decidedTx: tx });
        break;
      }
      case "ResultAdded": {
        const deal = dealOf();
        const instructionCount = a.instructionCount as bigint;
        const jobCost = (deal.instructionPrice as bigint) * instructionCount;
        put("Result", {
          id: deal.id,
          deal: deal.id,
          resourceProvider: deal.resourceProvider,
          resultsId: lower(a.resultsId),
          resultsCid: cid(a.resultsId as string),
          instructionCount,
          jobCost,
          resultsCollateral: (deal.resultsCollateralMultiple as bigint) * jobCost,
          blockNumber: bn,
          timestamp: ts,
          transactionHash: tx,
        });
        Object.assign(deal, { instructionCount, resultsId: lower(a.resultsId) });
        touch(deal);
        break;
      }
      case "MediationRequested": {
        // Drawn from the hash of the block that logged the request; a second request (the draw renewed) replaces
        // the draw, not when the dispute began.
        const deal = dealOf();
        const mediators = deal.mediators as string[];
        const index = mediatorDrawIndex(log.blockHash, deal.id as string, mediators.length);
        const draw = {
          mediator: mediators[index],
          mediatorIndex: index,
          drawBlock: a.drawBlock as bigint,
          drawBlockHash: log.blockHash.toLowerCase(),
          drawFixed: false,
        };
        expect(draw.drawBlock, "MediationRequested.drawBlock is its own block").to.equal(bn);
        const previous = get("Mediation", deal.id as string);
        if (previous) Object.assign(previous, draw, { drawCount: (previous.drawCount as number) + 1 });
        else {
          put("Mediation", {
            id: deal.id,
            deal: deal.id,
            ...draw,
            drawCount: 1,
            fee: deal.mediationFee,
            requestedAt: ts,
            requestedTx: tx,
            outcome: null,
            decidedAt: null,
            decidedTx: null,
          });
        }
        deal.mediator = draw.mediator;
        touch(deal);
        break;
      }
      case "MediatorDrawn": {
        // The market fixed the draw: the same mediator as drawn from the request's block.
        const deal = dealOf();
        const mediation = get("Mediation", deal.id as string)!;
        expect(lower(a.mediator), "MediatorDrawn names the mediator drawn from the request's block").to.equal(
          mediation.mediator,
        );
        Object.assign(mediation, { mediatorIndex: Number(a.mediatorIndex), drawFixed: true });
        break;
      }
      case "Payment": {
        const deal = dealOf();
        const direction = DIRECTIONS[Number(a.direction)];
        const payee = lower(a.payee);
        const amount = a.amount as bigint;
        const owner =
          direction === "PaidOut"
            ? deal.jobCreator
            : direction === "Slashed"
              ? payee === deal.jobCreator
                ? deal.resourceProvider
                : deal.jobCreator
              : payee;
        put("Payment", {
          id,
          deal: deal.id,
          payee,
          account: owner,
          amount,
          reason: REASONS[Number(a.reason)],
          direction,
          blockNumber: bn,
          timestamp: ts,
          transactionHash: tx,
        });
        const acc = account(owner as string);
        if (direction === "PaidIn") {
          acc.escrowBalance = (acc.escrowBalance as bigint) + amount;
          acc.totalPaidIn = (acc.totalPaidIn as bigint) + amount;
          deal.escrow = (deal.escrow as bigint) + amount;
        } else {
          acc.escrowBalance = (acc.escrowBalance as bigint) - amount;
          deal.escrow = (deal.escrow as bigint) - amount;
          const rec = account(payee);
          rec.totalReceived = (rec.totalReceived as bigint) + amount;
        }
        touch(deal);
        break;
      }
      case "PayoutDeferred": {
        const acc = account(lower(a.account));
        acc.deferredPayout = (acc.deferredPayout as bigint) + (a.amount as bigint);
        break;
      }
      case "Withdrawn": {
        const acc = account(lower(a.account));
        acc.deferredPayout = (acc.deferredPayout as bigint) - (a.amount as bigint);
        break;
      }
      case "ServiceRegistered": {
        const who = lower(a.account);
        account(who);
        const previous = get("Service", who);
        put("Service", {
          id: who,
          account: who,
          ...roles(Number(a.roles)),
          metadata: lower(a.metadata),
          metadataCid: cid(a.metadata as string),
          url: a.url as string,
          registered: true,
          registeredAt: previous ? previous.registeredAt : ts,
          updatedAt: ts,
          updatedTx: tx,
        });
        break;
      }
      case "ServiceRoleAdded":
      case "ServiceRoleRemoved": {
        const s = get("Service", lower(a.account))!;
        const bit = 1 << Number(a.role);
        const bitmap =
          parsed.name === "ServiceRoleAdded" ? (s.rolesBitmap as number) | bit : (s.rolesBitmap as number) & ~bit;
        if (bitmap !== s.rolesBitmap) Object.assign(s, roles(bitmap), { updatedAt: ts, updatedTx: tx });
        break;
      }
      case "ServiceUnregistered": {
        const s = get("Service", lower(a.account))!;
        Object.assign(s, roles(0), { registered: false, updatedAt: ts, updatedTx: tx });
        break;
      }
      default:
        throw new Error(`unexpected event ${parsed.name}`);
    }
  }
  return out;
}

export function roles(bitmap: number): EntityRecord {
  return {
    roles: ROLES.filter((_, i) => (bitmap & (1 << i)) !== 0),
    rolesBitmap: bitmap,
    isSolver: (bitmap & 1) !== 0,
    isMediator: (bitmap & 2) !== 0,
    isDirectory: (bitmap & 4) !== 0,
    isResourceProvider: (bitmap & 8) !== 0,
    isJobCreator: (bitmap & 16) !== 0,
  };
}
