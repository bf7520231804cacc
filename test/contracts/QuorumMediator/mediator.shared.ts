/** The QuorumMediator tests' fixture: a mediator for quorum 0 (3 operators) on a DealMarket, in a deal at ResultsChecked. */
import { ethers } from "hardhat";
import { ZeroAddress } from "ethers";

import type { AccordToken } from "../../../typechain-types";
import { AgreementState, createDeal, makeTerms, type MarketFixture } from "../../helpers/fixtures";
import {
  AGGREGATOR_SLOT,
  CHALLENGE_WINDOW,
  MIN_BOND,
  UNBONDING_DELAY,
  makeOperators,
  mine,
  registerOperator,
  type QuorumFixture,
} from "../../helpers/quorum";

/** The mediator's response window. */
export const WINDOW = 600n;

/** A QuorumMediator (quorum 0 of 3 operators) on `marketFixture`'s DealMarket, named alone in a deal at ResultsChecked. */
export async function mediatorFixtureOn<T extends { getAddress(): Promise<string> }>(
  marketFixture: () => Promise<MarketFixture<T>>,
) {
  const market = await marketFixture();
  const tokenAddress = await market.token.getAddress();
  const registry = await ethers.deployContract("OperatorRegistry", [tokenAddress, MIN_BOND, UNBONDING_DELAY]);
  const registryAddress = await registry.getAddress();
  const tasks = await ethers.deployContract("TaskManager", [registryAddress, AGGREGATOR_SLOT, CHALLENGE_WINDOW]);
  const mediator = await ethers.deployContract("QuorumMediator", [
    await market.market.getAddress(),
    await tasks.getAddress(),
    tokenAddress,
    0,
    67,
    WINDOW,
  ]);
  const { chainId } = await ethers.provider.getNetwork();
  const quorum: QuorumFixture = {
    deployer: market.deployer,
    stranger: market.stranger,
    // Both tokens have an open `mint`, all the quorum helpers use.
    token: market.token as unknown as AccordToken,
    tokenAddress,
    registry,
    registryAddress,
    tasks,
    tasksAddress: await tasks.getAddress(),
    square: await ethers.deployContract("SquareTaskVerifier"),
    squareAddress: ZeroAddress,
    harness: await ethers.deployContract("QuorumCheckHarness"),
    chainId,
    operators: [],
  };
  quorum.operators = await makeOperators(quorum, 3);
  for (const operator of quorum.operators) await registerOperator(quorum, operator);
  await mine();
  const mediatorAddress = await mediator.getAddress();
  const terms = makeTerms({ members: { mediators: [mediatorAddress] } });
  const deal = await createDeal(market, AgreementState.ResultsChecked, { terms });
  await mine();
  return { ...market, quorum, mediator, mediatorAddress, deal };
}
