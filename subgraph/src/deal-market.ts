// DealMarket → Deal, DealStateChange, Result, Mediation, Payment, Account.
//
// Event order within a transaction (see contracts/DealMarket.sol):
//   agree (1st party):    DealCreated, DealStateChange(DealNegotiating), PartyAgreed, Payment…
//   agree (2nd party):    DealStateChange(DealAgreed), PartyAgreed, Payment…
//   agreeWithSignatures:  DealCreated, DealStateChange(DealAgreed), Payment…   (no PartyAgreed)
//   addResult:            ResultAdded, DealStateChange(ResultsSubmitted), Payment…
//   checkResult:          MediationRequested, DealStateChange(ResultsChecked), Payment…
//   drawMediator:         MediatorDrawn (draw fixed), or MediationRequested (draw renewed after 256 blocks)
//   everything else:      DealStateChange(new state), Payment…, PayoutDeferred…
//
// Every event names its deal by the key the market keeps it under, dealKey(dealId, jobCreator, resourceProvider):
// that key is Deal.id (and Result.id, Mediation.id); the CID, shared by every record of a deal ID, is Deal.cid.

import { BigInt, Bytes, crypto, ethereum, log } from "@graphprotocol/graph-ts";

import {
  DealCreated as DealCreatedEvent,
  DealStateChange as DealStateChangeEvent,
  MediationRequested as MediationRequestedEvent,
  MediatorDrawn as MediatorDrawnEvent,
  PartyAgreed as PartyAgreedEvent,
  Payment as PaymentEvent,
  PayoutDeferred as PayoutDeferredEvent,
  ResultAdded as ResultAddedEvent,
  Withdrawn as WithdrawnEvent,
} from "../generated/DealMarket/DealMarket";
import { Deal, DealStateChange, Mediation, Payment, Result } from "../generated/schema";
import {
  AGREEMENT_STATES,
  DIRECTION_PAID_IN,
  DIRECTION_PAID_OUT,
  DIRECTION_SLASHED,
  PAYMENT_DIRECTIONS,
  PAYMENT_REASONS,
  STATE_DEAL_AGREED,
  STATE_DEAL_NEGOTIATING,
  addressesToBytes,
  cidV0,
  ensureAccount,
  eventId,
  isEnumIndex,
  isMediationOutcome,
  isOpenState,
  loadOrNewAccount,
} from "./shared";

/** The deal under `dealKey`, or null (logged) when this market never created it. */
function loadDeal(dealKey: Bytes, event: ethereum.Event): Deal | null {
  const deal = Deal.load(dealKey);
  if (deal == null) {
    log.warning("{} for unknown deal {} (tx {}, log {})", [
      "DealMarket event",
      dealKey.toHexString(),
      event.transaction.hash.toHexString(),
      event.logIndex.toString(),
    ]);
  }
  return deal;
}

function touch(deal: Deal, event: ethereum.Event): void {
  deal.updatedAt = event.block.timestamp;
  deal.updatedAtBlock = event.block.number;
  deal.updatedTx = event.transaction.hash;
}

export function handleDealCreated(event: DealCreatedEvent): void {
  // The terms arrive flattened: DealTerms without the two indexed parties.
  const pricing = event.params.pricing;
  const timeouts = event.params.timeouts;

  ensureAccount(event.params.jobCreator);
  ensureAccount(event.params.resourceProvider);

  const deal = new Deal(event.params.dealKey);
  deal.cid = cidV0(event.params.dealId);
  deal.dealId = event.params.dealId;
  deal.market = event.address;
  deal.jobCreator = event.params.jobCreator;
  deal.resourceProvider = event.params.resourceProvider;
  deal.solver = event.params.solver;
  deal.mediators = addressesToBytes(event.params.mediators);
  deal.instructionPrice = pricing.instructionPrice;
  deal.paymentCollateral = pricing.paymentCollateral;
  deal.resultsCollateralMultiple = pricing.resultsCollateralMultiple;
  deal.mediationFee = pricing.mediationFee;
  deal.agreeTimeout = timeouts.agree;
  deal.submitResultsTimeout = timeouts.submitResults;
  deal.judgeResultsTimeout = timeouts.judgeResults;
  deal.mediateResultsTimeout = timeouts.mediateResults;
  deal.agreeCollateral = timeouts.agreeCollateral;
  deal.submitResultsCollateral = timeouts.submitResultsCollateral;
  deal.judgeResultsCollateral = timeouts.judgeResultsCollateral;
  deal.mediateResultsCollateral = timeouts.mediateResultsCollateral;
  deal.state = AGREEMENT_STATES[STATE_DEAL_NEGOTIATING];
  deal.stateIndex = STATE_DEAL_NEGOTIATING;
  deal.isOpen = true;
  deal.jobCreatorAgreed = false;
  deal.resourceProviderAgreed = false;
  deal.escrow = BigInt.zero();
  deal.createdAt = event.block.timestamp;
  deal.createdAtBlock = event.block.number;
  deal.createdTx = event.transaction.hash;
  touch(deal, event);
  deal.save();
}

export function handlePartyAgreed(event: PartyAgreedEvent): void {
  const deal = loadDeal(event.params.dealKey, event);
  if (deal == null) return;
  const party = event.params.party;
  if (party.equals(deal.jobCreator)) deal.jobCreatorAgreed = true;
  else if (party.equals(deal.resourceProvider)) deal.resourceProviderAgreed = true;
  touch(deal, event);
  deal.save();
}

export function handleDealStateChange(event: DealStateChangeEvent): void {
  const index = event.params.state;
  if (!isEnumIndex(AGREEMENT_STATES, index)) {
    log.error("DealStateChange with unknown state {} (tx {})", [
      index.toString(),
      event.transaction.hash.toHexString(),
    ]);
    return;
  }
  const state = AGREEMENT_STATES[index];
  const deal = loadDeal(event.params.dealKey, event);
  if (deal == null) return;

  deal.state = state;
  deal.stateIndex = index;
  deal.isOpen = isOpenState(index);
  if (index == STATE_DEAL_AGREED) {
    deal.agreedAt = event.block.timestamp;
    // DealAgreed means both parties agreed; on the one-transaction path no PartyAgreed events are emitted.
    deal.jobCreatorAgreed = true;
    deal.resourceProviderAgreed = true;
  }
  touch(deal, event);
  deal.save();

  if (isMediationOutcome(index)) {
    const mediation = Mediation.load(deal.id);
    if (mediation != null) {
      mediation.outcome = state;
      mediation.decidedAt = event.block.timestamp;
      mediation.decidedTx = event.transaction.hash;
      mediation.save();
    }
  }

  const change = new DealStateChange(eventId(event));
  change.deal = deal.id;
  change.state = state;
  change.stateIndex = index;
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  change.save();
}

export function handleResultAdded(event: ResultAddedEvent): void {
  const deal = loadDeal(event.params.dealKey, event);
  if (deal == null) return;
  const instructionCount = event.params.instructionCount;
  const jobCost = deal.instructionPrice.times(instructionCount);

  deal.instructionCount = instructionCount;
  deal.resultsId = event.params.resultsId;
  touch(deal, event);
  deal.save();

  if (Result.load(deal.id) != null) return; // immutable; a deal has one result
  const result = new Result(deal.id);
  result.deal = deal.id;
  result.resourceProvider = deal.resourceProvider;
  result.resultsId = event.params.resultsId;
  result.resultsCid = cidV0(event.params.resultsId);
  result.instructionCount = instructionCount;
  result.jobCost = jobCost;
  result.resultsCollateral = deal.resultsCollateralMultiple.times(jobCost);
  result.blockNumber = event.block.number;
  result.timestamp = event.block.timestamp;
  result.transactionHash = event.transaction.hash;
  result.save();
}

/**
 * `DealHashing.drawIndex`: uint256(keccak256(abi.encode(blockHash, key))) % count. abi.encode of two bytes32 is
 * their 64 bytes; the remainder is taken over the big-endian digest byte by byte (count <= MAX_MEDIATORS = 32).
 */
export function drawIndex(blockHash: Bytes, key: Bytes, count: i32): i32 {
  const encoded = ethereum.encode(
    ethereum.Value.fromTuple(
      changetype<ethereum.Tuple>([ethereum.Value.fromFixedBytes(blockHash), ethereum.Value.fromFixedBytes(key)]),
    ),
  )!;
  const digest = crypto.keccak256(encoded);
  let remainder: i32 = 0;
  for (let i = 0; i < digest.length; i++) remainder = (remainder * 256 + (digest[i] as i32)) % count;
  return remainder;
}

/**
 * checkResult, or a draw that nobody fixed within 256 blocks renewed by drawMediator: the mediator is drawn from
 * the hash of this event's block, as the market draws it. A renewed draw replaces the previous one; when the
 * dispute was requested stays.
 */
export function handleMediationRequested(event: MediationRequestedEvent): void {
  const deal = loadDeal(event.params.dealKey, event);
  if (deal == null) return;
  const mediators = deal.mediators;
  if (mediators.length == 0) {
    log.error("MediationRequested for deal {}, which names no mediators (tx {})", [
      deal.id.toHexString(),
      event.transaction.hash.toHexString(),
    ]);
    return;
  }
  const index = drawIndex(event.block.hash, event.params.dealKey, mediators.length);
  const mediator = mediators[index];

  deal.mediator = mediator;
  touch(deal, event);
  deal.save();

  let mediation = Mediation.load(deal.id);
  if (mediation == null) {
    mediation = new Mediation(deal.id);
    mediation.deal = deal.id;
    mediation.drawCount = 0;
    mediation.fee = deal.mediationFee;
    mediation.requestedAt = event.block.timestamp;
    mediation.requestedTx = event.transaction.hash;
  }
  mediation.mediator = mediator;
  mediation.mediatorIndex = index;
  mediation.drawBlock = event.block.number;
  mediation.drawBlockHash = event.block.hash;
  mediation.drawCount = mediation.drawCount + 1;
  mediation.drawFixed = false;
  mediation.save();
}

/** drawMediator fixed the draw on chain. The event names the mediator the market computed; it wins. */
export function handleMediatorDrawn(event: MediatorDrawnEvent): void {
  const deal = loadDeal(event.params.dealKey, event);
  if (deal == null) return;
  const mediation = Mediation.load(deal.id);
  if (mediation == null) {
    log.warning("MediatorDrawn for deal {}, which has no mediation (tx {})", [
      deal.id.toHexString(),
      event.transaction.hash.toHexString(),
    ]);
    return;
  }
  const mediator: Bytes = event.params.mediator;
  if (!mediation.mediator.equals(mediator)) {
    log.warning("MediatorDrawn names {}, the mapping drew {} (deal {})", [
      mediator.toHexString(),
      mediation.mediator.toHexString(),
      deal.id.toHexString(),
    ]);
  }
  mediation.mediator = mediator;
  mediation.mediatorIndex = event.params.mediatorIndex;
  mediation.drawFixed = true;
  mediation.save();

  // (A nullable Bytes is tested for truth: `== null` would call Bytes' overloaded `==`.)
  const current = deal.mediator;
  let changed = true;
  if (current) changed = !current.equals(mediator);
  if (changed) {
    deal.mediator = mediator;
    touch(deal, event);
    deal.save();
  }
}

export function handlePayment(event: PaymentEvent): void {
  if (!isEnumIndex(PAYMENT_REASONS, event.params.reason) || !isEnumIndex(PAYMENT_DIRECTIONS, event.params.direction)) {
    log.error("Payment with unknown reason {} or direction {} (tx {})", [
      event.params.reason.toString(),
      event.params.direction.toString(),
      event.transaction.hash.toHexString(),
    ]);
    return;
  }
  const deal = loadDeal(event.params.dealKey, event);
  if (deal == null) return;

  const reason = PAYMENT_REASONS[event.params.reason];
  const directionIndex = event.params.direction;
  const direction = PAYMENT_DIRECTIONS[directionIndex];
  const payee: Bytes = event.params.payee;
  const amount = event.params.amount;

  // Whose escrow the funds came from or went into.
  let owner: Bytes = payee; // PaidIn, Refunded
  if (directionIndex == DIRECTION_PAID_OUT) {
    owner = deal.jobCreator; // JobPayment and MediationFee come out of the job creator's escrow
  } else if (directionIndex == DIRECTION_SLASHED) {
    // Slashed: the collateral of the other party than the one receiving it.
    owner = payee.equals(deal.jobCreator) ? deal.resourceProvider : deal.jobCreator;
  }

  const account = loadOrNewAccount(owner);
  if (directionIndex == DIRECTION_PAID_IN) {
    account.escrowBalance = account.escrowBalance.plus(amount);
    account.totalPaidIn = account.totalPaidIn.plus(amount);
    account.save();
    deal.escrow = deal.escrow.plus(amount);
  } else {
    account.escrowBalance = account.escrowBalance.minus(amount);
    if (payee.equals(owner)) {
      account.totalReceived = account.totalReceived.plus(amount);
      account.save();
    } else {
      account.save();
      const recipient = loadOrNewAccount(payee);
      recipient.totalReceived = recipient.totalReceived.plus(amount);
      recipient.save();
    }
    deal.escrow = deal.escrow.minus(amount);
  }
  touch(deal, event);
  deal.save();

  const payment = new Payment(eventId(event));
  payment.deal = deal.id;
  payment.payee = payee;
  payment.account = owner;
  payment.amount = amount;
  payment.reason = reason;
  payment.direction = direction;
  payment.blockNumber = event.block.number;
  payment.timestamp = event.block.timestamp;
  payment.transactionHash = event.transaction.hash;
  payment.save();
}

export function handlePayoutDeferred(event: PayoutDeferredEvent): void {
  const account = loadOrNewAccount(event.params.account);
  account.deferredPayout = account.deferredPayout.plus(event.params.amount);
  account.save();
}

export function handleWithdrawn(event: WithdrawnEvent): void {
  const account = loadOrNewAccount(event.params.account);
  account.deferredPayout = account.deferredPayout.minus(event.params.amount);
  account.save();
}
