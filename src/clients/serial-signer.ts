// A signer for a service that sends from one account in several tasks at once (an agent's deals, a solver's
// submissions): its transactions are sent one at a time, each with the account's pending nonce read from the node
// just before it is signed. ethers' NonceManager counts nonces itself and also counts a transaction that failed before
// it was sent (a revert found in gas estimation), after which every later one is refused as "nonce too high"; here a
// failure costs nothing, and a nonce is only taken by a transaction the node accepted. Gas is estimated with a margin.

import {
  AbstractSigner,
  type Provider,
  type Signer,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

export class SerialSigner extends AbstractSigner {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly signer: Signer) {
    super(signer.provider);
  }

  getAddress(): Promise<string> {
    return this.signer.getAddress();
  }

  connect(provider: Provider | null): SerialSigner {
    return new SerialSigner(this.signer.connect(provider));
  }

  signTransaction(tx: TransactionRequest): Promise<string> {
    return this.signer.signTransaction(tx);
  }

  signMessage(message: string | Uint8Array): Promise<string> {
    return this.signer.signMessage(message);
  }

  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    return this.signer.signTypedData(domain, types, value);
  }

  sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const send = async (): Promise<TransactionResponse> => {
      const provider = this.signer.provider;
      const rpc = provider as unknown as { send?: (method: string, params: unknown[]) => Promise<unknown> };
      const nonce =
        typeof rpc.send === "function"
          ? Number(await rpc.send("eth_getTransactionCount", [await this.getAddress(), "pending"]))
          : await this.signer.getNonce("pending");
      // A fifth more gas than estimated, plus a fresh storage slot's worth: the estimate is exact for the state it
      // ran on, and a transaction of this account's other tasks (or anyone's) mined first may change what this one
      // costs. A storage slot set from zero costs 22,100 whatever the transaction's size: a pool's first accrual to
      // its provider measured 71.6k estimated against 97k run (the watcher starting a second workload while its
      // first start was pending). Unused gas is not charged.
      const gasLimit =
        tx.gasLimit ?? ((await this.signer.estimateGas({ ...tx, nonce })) * 12n) / 10n + FRESH_SLOT_HEADROOM;
      return this.signer.sendTransaction({ ...tx, nonce, gasLimit });
    };
    const run = this.queue.then(send, send);
    this.queue = run.catch(() => undefined);
    return run;
  }
} /** Gas added to every estimate on top of a fifth: one storage slot set from zero (22,100) and its event. */
export const FRESH_SLOT_HEADROOM = 25_000n;
