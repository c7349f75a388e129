/**
 * A streaming RFC 4180 CSV parser: comma-separated fields, double-quoted fields that may hold
 * commas, doubled quotes and line breaks, records ended by CRLF, LF or CR. Text arrives in chunks
 * cut anywhere (inside a quoted field, between CR and LF), so all state survives between pushes.
 * Written here rather than taken as a dependency: it is small, and the ingest CLI needs the
 * physical line each record starts on, which it reports with every rejected record.
 */

export type CsvRecord = {
  /** Physical line (1-based) the record starts on; a quoted line break moves later records down. */
  line: number;
  fields: string[];
  /** Set when the record is malformed (text after a closing quote, an unterminated quote). */
  error?: string;
};

export type CsvParser = {
  /** Parses a chunk and returns the records it completed. */
  push(chunk: string): CsvRecord[];
  /** Ends the input and returns the last record, if any. */
  end(): CsvRecord[];
};

type State = 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted' | 'afterQuoted';

// The characters that end a run of plain text in an unquoted field.
const UNQUOTED_STOP = /[,\r\n"]/g;

export function createCsvParser(): CsvParser {
  let state: State = 'fieldStart';
  let field = '';
  let fields: string[] = [];
  let error: string | undefined;
  let line = 1;
  let recordLine = 1;
  // A CR ended the last record; an LF right after it belongs to the same line break.
  let pendingLf = false;
  // Whether the current record has any content: a blank line is skipped, not a record of one "".
  let started = false;
  // The last character of quoted text was a CR (an LF after it, even in the next chunk, is the same break).
  let quotedCr = false;

  const endRecord = (out: CsvRecord[]) => {
    fields.push(field);
    if (started) out.push(error ? { line: recordLine, fields, error } : { line: recordLine, fields });
    field = '';
    fields = [];
    error = undefined;
    started = false;
    state = 'fieldStart';
  };

  const push = (chunk: string): CsvRecord[] => {
    const out: CsvRecord[] = [];
    let i = 0;
    if (pendingLf && chunk.length > 0) {
      if (chunk[0] === '\n') i = 1;
      pendingLf = false;
    }
    while (i < chunk.length) {
      if (!started && state === 'fieldStart') recordLine = line;
      const char = chunk[i] as string;
      switch (state) {
        case 'quoted': {
          const quote = chunk.indexOf('"', i);
          const end = quote === -1 ? chunk.length : quote;
          // Line breaks inside the field still move the physical line: CRLF counts once.
          for (let j = i; j < end; j += 1) {
            const code = chunk.charCodeAt(j);
            if (code === 10 && !quotedCr) line += 1;
            if (code === 13) line += 1;
            quotedCr = code === 13;
          }
          field += chunk.slice(i, end);
          if (quote === -1) {
            i = chunk.length;
          } else {
            state = 'quoteInQuoted';
            i = quote + 1;
          }
          continue;
        }
        case 'quoteInQuoted':
          if (char === '"') {
            field += '"';
            quotedCr = false;
            state = 'quoted';
            i += 1;
            continue;
          }
          state = 'afterQuoted';
          continue; // the character is a separator (or junk): handled as afterQuoted
        case 'fieldStart':
          if (char === '"') {
            started = true;
            quotedCr = false;
            state = 'quoted';
            i += 1;
            continue;
          }
          state = 'unquoted';
          continue;
        case 'unquoted': {
          UNQUOTED_STOP.lastIndex = i;
          const stop = UNQUOTED_STOP.exec(chunk);
          const end = stop ? stop.index : chunk.length;
          if (end > i) {
            field += chunk.slice(i, end);
            started = true;
          }
          i = end;
          if (!stop) continue;
          const separator = chunk[end];
          if (separator === '"') {
            // RFC 4180 allows quotes only around a whole field; keep the text, flag the record.
            error ??= `unexpected '"' inside an unquoted field`;
            field += '"';
            i += 1;
            continue;
          }
          i = separate(separator as string, chunk, i, out);
          continue;
        }
        case 'afterQuoted':
          if (char === ',' || char === '\r' || char === '\n') {
            i = separate(char, chunk, i, out);
            continue;
          }
          error ??= 'unexpected text after a closing quote';
          field += char;
          i += 1;
          continue;
      }
    }
    return out;
  };

  // Handles a comma or a line break at chunk[i]; returns the index after it.
  const separate = (char: string, chunk: string, i: number, out: CsvRecord[]): number => {
    if (char === ',') {
      started = true;
      fields.push(field);
      field = '';
      state = 'fieldStart';
      return i + 1;
    }
    endRecord(out);
    line += 1;
    if (char === '\r') {
      if (i + 1 < chunk.length) return chunk[i + 1] === '\n' ? i + 2 : i + 1;
      pendingLf = true;
    }
    return i + 1;
  };

  return {
    push,
    end() {
      const out: CsvRecord[] = [];
      if (state === 'quoted') error ??= 'unterminated quoted field (a quote opened and never closed)';
      if (started) endRecord(out);
      pendingLf = false;
      return out;
    },
  };
}

/** Parses a whole CSV text. */
export function parseCsv(text: string): CsvRecord[] {
  const parser = createCsvParser();
  return [...parser.push(text), ...parser.end()];
}
