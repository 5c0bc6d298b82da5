/**
 * Publisher accounts of the embedded registry, written by the kernel itself.
 *
 * Self-registration (`PUT /-/user/org.couchdb.user:<name>`, `npm adduser`) is
 * closed (`max_users: -1`), so an account exists only if it is written to
 * `<storageDir>/htpasswd` — by {@link addAccount}, which the kernel calls for its
 * seed account and for the publish tokens an install admin asks for. Verdaccio
 * re-reads the file on every login, so a new account can log in at once, without
 * a restart; its token is what `login` returns.
 *
 * Passwords are never chosen by a person: each is 32 random bytes, so the
 * `{SHA}` hash Verdaccio's htpasswd plugin understands without a bcrypt library
 * is as strong as the password (a salt or slow hash guards guessable passwords).
 *
 * @module
 */

import { createHash, randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** A registry account added by {@link addAccount}. */
export interface RegistryAccount {
  readonly name: string;
  /** Log in with it (`login(url, name, password)`) for an npm token. */
  readonly password: string;
}

/** The htpasswd comment marking an account this install issued (Verdaccio writes `autocreated …` for self-registered ones). */
export const ISSUED_MARK = "tessera-issued";

/** npm user names: URL-safe, no `:` (the htpasswd separator), at most 214 characters. */
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,213}$/i;

/** The htpasswd file of a registry whose storage folder is `storageDir`. */
export function htpasswdFile(storageDir: string): string {
  return join(storageDir, "htpasswd");
}

/**
 * Adds an account with a new random password to the registry's htpasswd file.
 *
 * Takes the same lock file as Verdaccio (`htpasswd.lock`), and replaces the file
 * in one rename, so Verdaccio never reads half a file and no concurrent change is lost.
 *
 * @param storageDir - The registry's storage folder (`StartRegistryOptions.storageDir`).
 * @param name - The account name.
 * @param options - `replace: true` replaces an account of that name (a new password: its old tokens stop working).
 * @throws Error when the name is invalid, or already taken (without `replace`).
 */
export async function addAccount(storageDir: string, name: string, options: { replace?: boolean } = {}): Promise<RegistryAccount> {
  if (!NAME_RE.test(name)) throw new Error(`marketplace: invalid account name ${JSON.stringify(name)} (letters, digits, ".", "_", "-"; at most 214)`);
  const file = htpasswdFile(storageDir);
  const password = randomBytes(32).toString("base64url");
  await withLock(file, async () => {
    let text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? "" : Promise.reject(error)));
    if (parse(text).some((a) => a.name === name)) {
      if (!options.replace) throw new Error(`marketplace: the account "${name}" already exists`);
      text = text
        .split(/\r?\n/)
        .filter((line) => line.split(":")[0]?.trim() !== name)
        .join("\n");
    }
    const hash = `{SHA}${createHash("sha1").update(password, "utf8").digest("base64")}`;
    const line = `${name}:${hash}:${ISSUED_MARK} ${new Date().toISOString()}\n`;
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temp, `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${line}`, { mode: 0o600 });
    await rename(temp, file);
  });
  return { name, password };
}

/**
 * The registry's accounts, in file order; `issued` is `false` for accounts this
 * install did not write (self-registered while registration was open, or added by hand).
 */
export async function listAccounts(storageDir: string): Promise<{ name: string; issued: boolean }[]> {
  const text = await readFile(htpasswdFile(storageDir), "utf8").catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? "" : Promise.reject(error)));
  return parse(text).map(({ name, comment }) => ({ name, issued: comment.startsWith(ISSUED_MARK) }));
}

function parse(text: string): { name: string; comment: string }[] {
  const out: { name: string; comment: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    // As Verdaccio parses it: name:hash[:comment].
    const [name, hash, ...rest] = line.split(":");
    if (name === undefined || hash === undefined || name.trim() === "") continue;
    out.push({ name: name.trim(), comment: rest.join(":").trim() });
  }
  return out;
}

/** Verdaccio's lock protocol (the `lockfile` package): `<file>.lock` created exclusively; stale after 5 minutes. */
async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await (await open(lock, "wx")).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 5 * 60_000) await rm(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`marketplace: ${lock} is held by another process`);
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}
