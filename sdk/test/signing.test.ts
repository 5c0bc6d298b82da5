import { expect } from 'chai';
import { generatePublisherKeyPair, keyIdOf, signPackage, verifyPackage } from '../src/signing.js';

describe('publisher signatures', () => {
  const integrity = 'sha512-abc';

  it('verifies a signature made with the matching key', () => {
    const keys = generatePublisherKeyPair();
    const signature = signPackage(keys.privateKeyPem, '@acme/tool', '1.0.0', integrity);
    expect(signature.keyid).to.equal(keys.keyid).and.equal(keyIdOf(keys.publicKey));
    expect(verifyPackage(keys.publicKey, signature, '@acme/tool', '1.0.0', integrity)).to.equal(true);
  });

  it('refuses another integrity, version or name, and another publisher’s key', () => {
    const keys = generatePublisherKeyPair();
    const other = generatePublisherKeyPair();
    const signature = signPackage(keys.privateKeyPem, '@acme/tool', '1.0.0', integrity);
    expect(verifyPackage(keys.publicKey, signature, '@acme/tool', '1.0.0', 'sha512-tampered')).to.equal(false);
    expect(verifyPackage(keys.publicKey, signature, '@acme/tool', '1.0.1', integrity)).to.equal(false);
    expect(verifyPackage(keys.publicKey, signature, '@evil/tool', '1.0.0', integrity)).to.equal(false);
    expect(verifyPackage(other.publicKey, signature, '@acme/tool', '1.0.0', integrity)).to.equal(false);
    expect(verifyPackage('not a key', signature, '@acme/tool', '1.0.0', integrity)).to.equal(false);
  });
});
