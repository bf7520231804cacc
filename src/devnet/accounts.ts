// Who is who in `accord dev`: Hardhat's default accounts, and how to run `accord` itself.

import path from "node:path";
import { HDNodeWallet, Mnemonic } from "ethers";

/** Hardhat's default mnemonic: its 20 funded accounts. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export function hardhatAccount(index: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_MNEMONIC), `m/44'/60'/0'/0/${index}`);
}

/** How to run `accord`: the built CLI, or the TypeScript sources when this module runs from them (tests). */
export function accordCommand(): { command: string; args: string[] } {
  if (__filename.endsWith(".ts")) {
    const root = path.resolve(__dirname, "..", "..");
    return {
      command: process.execPath,
      args: ["-r", require.resolve("ts-node/register/transpile-only"), path.join(root, "src", "bin", "accord.ts")],
    };
  }
  return { command: process.execPath, args: [path.resolve(__dirname, "..", "..", "..", "bin", "accord.js")] };
}
