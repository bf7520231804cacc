import { ethers } from "hardhat";

export const ROLE_COUNT = 5;

export async function deployRegistryFixture() {
  const signers = await ethers.getSigners();
  const registry = await ethers.deployContract("ServiceRegistry");
  return { registry, accounts: signers.slice(1, 8) };
}

export function rolesOf(bits: number): number[] {
  return Array.from({ length: ROLE_COUNT }, (_, i) => i).filter((i) => bits & (1 << i));
}

export const metadataOf = (label: string) => ethers.sha256(ethers.toUtf8Bytes(label));
