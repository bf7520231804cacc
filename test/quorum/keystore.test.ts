// The operator's BLS key at rest: an EIP-2335 keystore round trip, the wrong password as a typed error, tampering
// and malformed documents named by field, and the EIP's password processing.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { blsPublicKey, encodeG2, randomBlsSecretKey } from "../../src/quorum/bls";
import {
  decryptKeystore,
  encryptKeystore,
  KeystoreFormatError,
  KeystorePasswordError,
  keystorePassword,
  readKeystore,
  writeKeystore,
} from "../../src/quorum/keystore";

const LIGHT = { n: 1024, r: 8, p: 1 };

describe("quorum: EIP-2335 keystore", () => {
  it("round-trips a secret key, with the G2 public key recorded", () => {
    const secret = randomBlsSecretKey();
    const keystore = encryptKeystore(secret, "correct horse", { scrypt: LIGHT });
    expect(keystore.version).to.equal(4);
    expect(keystore.crypto.kdf.function).to.equal("scrypt");
    expect(keystore.crypto.cipher.function).to.equal("aes-128-ctr");
    expect(keystore.crypto.checksum.function).to.equal("sha256");
    expect(keystore.pubkey).to.equal(encodeG2(blsPublicKey(secret)).slice(2));
    expect(decryptKeystore(keystore, "correct horse")).to.equal(secret);
    expect(decryptKeystore(JSON.stringify(keystore), "correct horse")).to.equal(secret);
  });

  it("refuses a wrong password with KeystorePasswordError", () => {
    const keystore = encryptKeystore(randomBlsSecretKey(), "right", { scrypt: LIGHT });
    expect(() => decryptKeystore(keystore, "wrong")).to.throw(KeystorePasswordError);
    expect(() => decryptKeystore(keystore, "")).to.throw(KeystorePasswordError);
  });

  it("names the field of a tampered or malformed keystore", () => {
    const keystore = encryptKeystore(randomBlsSecretKey(), "pw", { scrypt: LIGHT });
    const tampered = structuredClone(keystore);
    tampered.crypto.cipher.message = "00".repeat(32);
    // A changed ciphertext no longer matches the checksum: indistinguishable from a wrong password, by design.
    expect(() => decryptKeystore(tampered, "pw")).to.throw(KeystorePasswordError);
    const badKdf = structuredClone(keystore);
    badKdf.crypto.kdf.function = "argon2";
    expect(() => decryptKeystore(badKdf, "pw"))
      .to.throw(KeystoreFormatError)
      .with.property("field", "crypto.kdf.function");
    const badVersion = { ...keystore, version: 3 } as unknown as typeof keystore;
    expect(() => decryptKeystore(badVersion, "pw"))
      .to.throw(KeystoreFormatError)
      .with.property("field", "version");
    expect(() => decryptKeystore("{not json", "pw"))
      .to.throw(KeystoreFormatError)
      .with.property("field", "(root)");
    const otherKey = { ...keystore, pubkey: encodeG2(blsPublicKey(randomBlsSecretKey())).slice(2) };
    expect(() => decryptKeystore(otherKey, "pw"))
      .to.throw(KeystoreFormatError)
      .with.property("field", "pubkey");
  });

  it("processes the password as EIP-2335 says (NFKD, control codes removed)", () => {
    expect(keystorePassword("a\u0000b\u007fc\u0085d").toString()).to.equal("abcd");
    expect(keystorePassword("\u00e9").equals(keystorePassword("e\u0301"))).to.equal(true);
    const keystore = encryptKeystore(randomBlsSecretKey(), "p\u00e4ss", { scrypt: LIGHT });
    expect(() => decryptKeystore(keystore, "pa\u0308ss\u0007")).to.not.throw();
  });

  it("writes a 0600 file once and reads it back", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-keystore-"));
    try {
      const file = path.join(dir, "operator.json");
      const secret = randomBlsSecretKey();
      writeKeystore(file, encryptKeystore(secret, "pw", { scrypt: LIGHT }));
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(readKeystore(file, "pw")).to.equal(secret);
      expect(() => writeKeystore(file, encryptKeystore(secret, "pw", { scrypt: LIGHT }))).to.throw(/EEXIST/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
