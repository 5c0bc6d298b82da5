import { expect } from "chai";
import { hostMatches, isHostAllowed, isValidHostPattern, parseHostPattern } from "../src/index.js";

describe("host patterns", () => {
  it("accepts exact hosts, IPv4 addresses, subdomain wildcards, '*' and ports", () => {
    for (const p of ["api.openai.com", "localhost", "127.0.0.1", "*.openai.azure.com", "*", "localhost:11434", "*:8080"]) {
      expect(isValidHostPattern(p), p).to.equal(true);
    }
  });

  it("explains why a pattern is invalid", () => {
    const result = parseHostPattern("http://x.com");
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.reason).to.match(/not a URL/);
    expect(isValidHostPattern("[::1]:80")).to.equal(false);
    expect(isValidHostPattern(42)).to.equal(false);
  });

  it("matches exact hosts case-insensitively and on any port when no port is given", () => {
    expect(hostMatches("api.openai.com", "API.OpenAI.com", 443)).to.equal(true);
    expect(hostMatches("api.openai.com", "api.openai.com", 8443)).to.equal(true);
    expect(hostMatches("api.openai.com", "openai.com", 443)).to.equal(false);
    expect(hostMatches("api.openai.com", "api.openai.com.evil.io", 443)).to.equal(false);
  });

  it("matches '*.domain' against subdomains at any depth but not the domain itself", () => {
    expect(hostMatches("*.example.com", "a.example.com", 443)).to.equal(true);
    expect(hostMatches("*.example.com", "a.b.example.com", 443)).to.equal(true);
    expect(hostMatches("*.example.com", "example.com", 443)).to.equal(false);
    expect(hostMatches("*.example.com", "badexample.com", 443)).to.equal(false);
  });

  it("requires the port to match when the pattern names one", () => {
    expect(hostMatches("localhost:11434", "localhost", 11434)).to.equal(true);
    expect(hostMatches("localhost:11434", "localhost", 80)).to.equal(false);
    expect(hostMatches("*:8080", "anything.io", 8080)).to.equal(true);
  });

  it("allows a request when any pattern matches and never for invalid patterns", () => {
    expect(isHostAllowed(["a.io", "*.b.io"], "x.b.io", 443)).to.equal(true);
    expect(isHostAllowed(["a.io"], "b.io", 443)).to.equal(false);
    expect(isHostAllowed(["https://b.io"], "b.io", 443)).to.equal(false);
  });
});
