/**
 * Multi-document YAML files as manifests: parsing with positions (so that errors name the document and line), and
 * writing documents back, the untouched ones exactly as they were written.
 */
import { Document, isNode, LineCounter, parseAllDocuments } from 'yaml';
import type { SchemaError } from './schema.js';
import { formatPath, type PathSegment } from './schema.js';

/** One document of a manifest file. */
export interface SourceDocument {
  /** The file name, or `-` for standard input. */
  source: string;
  /** 1-based position in the file. */
  index: number;
  /** The parsed document (`null` for an empty one). */
  value: unknown;
  /** The document's text in the file, from after the previous document to its end (its `---` included). */
  text: string;
  /** Whether `text` has its own `---` line. */
  marked: boolean;
  /** The 1-based line of the node at `path`, or of its nearest ancestor present in the file. */
  lineOf(path: readonly PathSegment[]): number | undefined;
  /** The comment above the document's first node, kept on a converted document. */
  commentBefore: string | undefined;
}

/** A problem in one document of a file: says which file, document, line and field. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** Parses every document of `text`. Throws a ManifestError for YAML syntax errors. */
export function readDocuments(text: string, source: string): SourceDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  let previousEnd = 0;
  return docs.map((doc, i) => {
    const index = i + 1;
    const problem = doc.errors[0];
    if (problem !== undefined) {
      const line = lineCounter.linePos(problem.pos[0]).line;
      throw new ManifestError(
        `${source}: document ${index} (line ${line}): invalid YAML: ${problem.message}`,
        {
          cause: problem,
        },
      );
    }
    const segmentStart = previousEnd;
    const segment = text.slice(segmentStart, doc.range[2]);
    previousEnd = doc.range[2];
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (e) {
      throw new ManifestError(`${source}: document ${index}: ${(e as Error).message}`, { cause: e });
    }
    const contents = doc.contents;
    const contentStart = isNode(contents) && contents.range ? contents.range[0] : doc.range[1];
    const head = text.slice(segmentStart, Math.max(segmentStart, contentStart));
    return {
      source,
      index,
      value,
      text: segment,
      marked: /^---(\s|$)/m.test(head),
      commentBefore: isNode(contents) ? (contents.commentBefore ?? undefined) : undefined,
      lineOf(path) {
        for (let n = path.length; n >= 0; n--) {
          const node: unknown = n === 0 ? contents : doc.getIn(path.slice(0, n), true);
          const range = isNode(node) ? node.range : undefined;
          if (range) return lineCounter.linePos(range[0]).line;
        }
        return undefined;
      },
    };
  });
}

/** The ManifestError for a SchemaError found in `doc`: `file: document N (line L): path: problem`. */
export function locate(doc: SourceDocument, error: SchemaError): ManifestError {
  const line = doc.lineOf(error.path);
  return new ManifestError(
    `${doc.source}: document ${doc.index}${line === undefined ? '' : ` (line ${line})`}: ${formatPath(error.path)}: ${error.problem}`,
    { cause: error },
  );
}

/** Writes a manifest as kubectl does (sequences not indented under their key), keeping a leading comment. */
export function renderManifest(manifest: unknown, commentBefore?: string): string {
  const doc = new Document(manifest);
  if (commentBefore !== undefined && isNode(doc.contents)) doc.contents.commentBefore = commentBefore;
  return doc.toString({ lineWidth: 0, indentSeq: false });
}

/**
 * Joins documents into one multi-document stream: every document after the first gets a `---` line unless its
 * text has one (`marked`), and each ends with a newline.
 */
export function joinDocuments(documents: ReadonlyArray<{ text: string; marked: boolean }>): string {
  return documents
    .map(({ text, marked }, i) => {
      const body = text.endsWith('\n') ? text : `${text}\n`;
      return marked || i === 0 ? body : `---\n${body}`;
    })
    .join('');
}
