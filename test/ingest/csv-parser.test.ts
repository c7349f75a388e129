import { describe, expect, it } from 'vitest';
import { createCsvParser, parseCsv } from '../../src/ingest/csv-parser.js';

const fields = (text: string) => parseCsv(text).map((record) => record.fields);

/** Feeds the text in pieces of `size` characters, as a stream would. */
function parseInPieces(text: string, size: number) {
  const parser = createCsvParser();
  const records = [];
  for (let i = 0; i < text.length; i += size) records.push(...parser.push(text.slice(i, i + size)));
  return [...records, ...parser.end()];
}

describe('RFC 4180 CSV parser', () => {
  it('splits plain fields and records, with or without a final line break', () => {
    expect(fields('a,b,c\n1,2,3\n')).toEqual([['a', 'b', 'c'], ['1', '2', '3']]);
    expect(fields('a,b\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(fields('a,,c\n,,\nx,\n')).toEqual([['a', '', 'c'], ['', '', ''], ['x', '']]);
  });

  it('reads quoted fields holding commas, doubled quotes and line breaks', () => {
    const text = 'id,content\n1,"hello, world"\n2,"she said ""hi"""\n3,"two\nlines"\n4,""\n';
    expect(fields(text)).toEqual([
      ['id', 'content'],
      ['1', 'hello, world'],
      ['2', 'she said "hi"'],
      ['3', 'two\nlines'],
      ['4', ''],
    ]);
  });

  it('accepts CRLF and lone CR record ends, and keeps CRLF inside quotes', () => {
    expect(fields('a,b\r\n1,"x\r\ny"\r\n2,3\r4,5')).toEqual([['a', 'b'], ['1', 'x\r\ny'], ['2', '3'], ['4', '5']]);
  });

  it('skips blank lines', () => {
    expect(fields('a\n\n\nb\n\r\n')).toEqual([['a'], ['b']]);
  });

  it('numbers each record by the physical line it starts on, counting line breaks inside quotes', () => {
    const records = parseCsv('id,content\n1,"multi\nline\r\ntext"\n\n2,after\r\n3,"x"');
    expect(records.map((r) => [r.line, r.fields[0]])).toEqual([[1, 'id'], [2, '1'], [6, '2'], [7, '3']]);
  });

  it('gives the same records however the text is cut into chunks', () => {
    const text = 'id,content,title\r\n1,"a ""quoted"", multi\r\nline",t\r\n2,plain,"x"\r\n\r\n3,"",\n4,"\r\n"\r\n';
    const whole = parseCsv(text);
    expect(whole.map((r) => r.fields)).toEqual([
      ['id', 'content', 'title'],
      ['1', 'a "quoted", multi\r\nline', 't'],
      ['2', 'plain', 'x'],
      ['3', '', ''],
      ['4', '\r\n'],
    ]);
    for (const size of [1, 2, 3, 5, 7]) expect(parseInPieces(text, size)).toEqual(whole);
  });

  it('flags a malformed record and carries on with the next one', () => {
    const records = parseCsv('a,b\n1,"x"y\n2,ab"c\n3,ok\n');
    expect(records[1]).toMatchObject({ line: 2, error: expect.stringContaining('after a closing quote') });
    expect(records[2]).toMatchObject({ line: 3, error: expect.stringContaining('unquoted field') });
    expect(records[3]).toEqual({ line: 4, fields: ['3', 'ok'] });
  });

  it('reports an unterminated quote at the end of the input', () => {
    const records = parseCsv('a,b\n1,"never closed\n2,3\n');
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ line: 2, error: expect.stringContaining('unterminated') });
  });
});
