import type { InputFieldRef } from '@pothos/core';
import { METADATA_FILTER_LIMITS as LIMITS } from '../../search/metadata-filter.js';
import { builder } from '../builder.js';

/** Any JSON value; `{} | null` rather than `unknown`, which Pothos's shape normalization rewrites. */
type Json = {} | null;

/** The input as GraphQL hands it over; validateMetadataFilter turns it into the domain tree. */
export type MetadataFilterInputShape = {
  and?: MetadataFilterInputShape[] | null;
  or?: MetadataFilterInputShape[] | null;
  not?: MetadataFilterInputShape | null;
  path?: string[] | null;
  eq?: Json;
  ne?: Json;
  in?: Json[] | null;
  nin?: Json[] | null;
  gt?: Json;
  gte?: Json;
  lt?: Json;
  lte?: Json;
  exists?: boolean | null;
  contains?: Json;
  prefix?: string | null;
};

// The JSON scalar's input type is `unknown`; a recursive input's declared shape must say
// `{} | null` for it (see Json), so its fields are narrowed to that here.
type JsonInputField = InputFieldRef<typeof builder.$inferSchemaTypes, Json | undefined>;
type JsonListInputField = InputFieldRef<typeof builder.$inferSchemaTypes, (Json | undefined)[] | null | undefined>;

// Recursive (and, or, not hold filters), hence inputRef + implement rather than inputType.
export const MetadataFilterInput = builder.inputRef<MetadataFilterInputShape>('MetadataFilter').implement({
  description:
    'A filter over document metadata. Each filter object is either a combinator (exactly one of `and`, `or`, `not`) ' +
    'or a condition: a `path` and exactly one operator. Example: ' +
    '`{ and: [{ path: ["lang"], eq: "en" }, { path: ["author", "name"], prefix: "Ann" }] }`. ' +
    `Limits: ${LIMITS.depth} levels of nesting, ${LIMITS.conditions} conditions, ` +
    `${LIMITS.pathSegments} keys of at most ${LIMITS.keyLength} characters per path, ` +
    `${LIMITS.listLength} values per list, ${LIMITS.valueLength} characters per value as JSON.`,
  fields: (t) => ({
    and: t.field({
      type: [MetadataFilterInput],
      required: false,
      description: 'Matches when every filter in the list matches (at least one filter).',
    }),
    or: t.field({
      type: [MetadataFilterInput],
      required: false,
      description: 'Matches when at least one filter in the list matches (at least one filter).',
    }),
    not: t.field({
      type: MetadataFilterInput,
      required: false,
      description: 'Matches exactly the documents the filter does not match (a missing key included).',
    }),
    path: t.stringList({
      required: false,
      description:
        'The keys leading to the value a condition tests, outermost first: ["author", "name"] is metadata.author.name. ' +
        'Keys name object members only, never array positions.',
    }),
    eq: t.field({
      type: 'JSON',
      required: false,
      description:
        'The value equals this JSON value exactly (numbers numerically; objects and arrays as a whole). ' +
        '`eq: null` matches a JSON null, not a missing key. Served by the metadata index.',
    }) as JsonInputField,
    ne: t.field({
      type: 'JSON',
      required: false,
      description: 'The value does not equal this JSON value; documents without the key match too (add `exists: true` to exclude them).',
    }) as JsonInputField,
    in: t.field({
      type: ['JSON'],
      required: { list: false, items: false },
      description: `The value equals one of these JSON values (1-${LIMITS.listLength}). Served by the metadata index.`,
    }) as JsonListInputField,
    nin: t.field({
      type: ['JSON'],
      required: { list: false, items: false },
      description: `The value equals none of these JSON values (1-${LIMITS.listLength}); documents without the key match too.`,
    }) as JsonListInputField,
    gt: t.field({
      type: 'JSON',
      required: false,
      description: 'The value is greater than this string, number or boolean, and of the same JSON type (10 is never compared with "9").',
    }) as JsonInputField,
    gte: t.field({
      type: 'JSON',
      required: false,
      description: 'The value is greater than or equal to this string, number or boolean, and of the same JSON type.',
    }) as JsonInputField,
    lt: t.field({
      type: 'JSON',
      required: false,
      description: 'The value is less than this string, number or boolean, and of the same JSON type.',
    }) as JsonInputField,
    lte: t.field({
      type: 'JSON',
      required: false,
      description: 'The value is less than or equal to this string, number or boolean, and of the same JSON type.',
    }) as JsonInputField,
    exists: t.boolean({
      required: false,
      description: 'true: the key is present (even with a null value); false: it is absent.',
    }),
    contains: t.field({
      type: 'JSON',
      required: false,
      description:
        'The value is an array holding all of these elements (a list, or one element); an object element matches ' +
        'an element that has at least its members. Served by the metadata index.',
    }) as JsonInputField,
    prefix: t.string({
      required: false,
      description: 'The value is a string starting with this text (case-sensitive).',
    }),
  }),
});
