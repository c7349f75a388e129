/**
 * Reads a BEIR-format retrieval dataset (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) from a
 * directory outside the repository: benchmark data is read where it lies, never copied in.
 */
import { readFile } from 'node:fs/promises';

type BeirDocument = { id: string; title: string; text: string };
type BeirQuery = { id: string; text: string };

type BeirDataset = {
  corpus: BeirDocument[];
  /** Every query in queries.jsonl, judged or not. */
  queries: BeirQuery[];
  /** The split's judgements: query id -> (document id -> grade). Only these queries are evaluated. */
  qrels: Map<string, Map<string, number>>;
};

function parseJsonLines(text: string, file: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new Error(`${file}:${number}: not JSON`, { cause: error });
      }
    });
}

function stringField(record: Record<string, unknown>, name: string, where: string): string {
  const value = record[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new Error(`${where}: "${name}" is not a string`);
  return value;
}

/** Parses a qrels TSV: a header line, then `query-id<TAB>corpus-id<TAB>score` rows. */
function parseQrels(text: string, file = 'qrels'): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const [queryId, docId, rawScore] = line.split('\t');
    if (index === 0 && queryId === 'query-id') return;
    const score = Number(rawScore);
    if (!queryId || !docId || rawScore === undefined || !Number.isInteger(score)) {
      throw new Error(`${file}:${index + 1}: expected "query-id<TAB>corpus-id<TAB>score", got "${line}"`);
    }
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(docId, score);
    qrels.set(queryId, judged);
  });
  return qrels;
}

export async function loadBeirDataset(dir: URL, split = 'test'): Promise<BeirDataset> {
  const read = (name: string) => readFile(new URL(name, dir), 'utf8');
  const [corpusText, queriesText, qrelsText] = await Promise.all([
    read('corpus.jsonl'),
    read('queries.jsonl'),
    read(`qrels/${split}.tsv`),
  ]);
  const corpus = parseJsonLines(corpusText, 'corpus.jsonl').map((record, index) => ({
    id: stringField(record, '_id', `corpus.jsonl:${index + 1}`),
    title: stringField(record, 'title', `corpus.jsonl:${index + 1}`),
    text: stringField(record, 'text', `corpus.jsonl:${index + 1}`),
  }));
  const queries = parseJsonLines(queriesText, 'queries.jsonl').map((record, index) => ({
    id: stringField(record, '_id', `queries.jsonl:${index + 1}`),
    text: stringField(record, 'text', `queries.jsonl:${index + 1}`),
  }));
  return { corpus, queries, qrels: parseQrels(qrelsText, `qrels/${split}.tsv`) };
}
