/**
 * The document-loader extension point: turns uploaded files into text for
 * knowledge-base indexing.
 *
 * @module
 */

import type { PluginContext } from "./context.js";
import type { Awaitable, JsonValue } from "./json.js";

/** The file handed to {@link DocumentLoader.load}. */
export interface LoaderInput {
  /** The file's bytes. */
  readonly bytes: Uint8Array;
  /** The original file name, e.g. `"report.pdf"`. */
  readonly filename: string;
  /** The MIME type, as detected by the kernel (may be `application/octet-stream`). */
  readonly mimeType: string;
}

/** Document metadata (title, author, language, source URL, ...). */
export type DocumentMetadata = Readonly<Record<string, JsonValue>>;

/** One page (or slide, sheet, ...) of a paginated document. */
export interface DocumentPage {
  /** 1-based page number. */
  readonly page: number;
  /** The page's text. */
  readonly text: string;
  /** Page-level metadata. */
  readonly metadata?: DocumentMetadata;
}

/** A loaded document. */
export interface LoadedDocument {
  /** The full text, ideally as Markdown so headings and tables survive chunking. */
  readonly text: string;
  /** Document-level metadata. */
  readonly metadata: DocumentMetadata;
  /** Per-page text for paginated formats; when present, `text` is their concatenation. */
  readonly pages?: readonly DocumentPage[];
}

/**
 * What `load` returns: one document, or several when one file holds many
 * (an archive, a mailbox, a CSV with one document per row).
 */
export type LoadResult = LoadedDocument | readonly LoadedDocument[];

/**
 * What a plugin author writes to implement a document loader (see
 * {@link defineDocumentLoader}). At least one of `extensions` and `mimeTypes`
 * must be non-empty.
 */
export interface DocumentLoaderDefinition {
  /** Display name. */
  readonly label?: string;
  /** File extensions handled, lower-case with a leading dot, e.g. `[".pdf"]`. */
  readonly extensions?: readonly string[];
  /** MIME types handled, e.g. `["application/pdf"]`. */
  readonly mimeTypes?: readonly string[];
  /**
   * Extracts text from the file. Throws `plugin_invalid_arguments` for a
   * corrupt or unsupported file.
   */
  load(input: LoaderInput, ctx: PluginContext): Awaitable<LoadResult>;
}

/** A document loader contribution, as returned by {@link defineDocumentLoader}. */
export interface DocumentLoader extends DocumentLoaderDefinition {
  /** Discriminator attached by {@link defineDocumentLoader}. */
  readonly kind: "document-loader";
}

/**
 * Normalises a {@link LoadResult} to an array of documents.
 *
 * @param result - The value returned by {@link DocumentLoader.load}.
 */
export function toDocuments(result: LoadResult): readonly LoadedDocument[] {
  return isDocumentArray(result) ? result : [result];
}

function isDocumentArray(result: LoadResult): result is readonly LoadedDocument[] {
  return Array.isArray(result);
}
