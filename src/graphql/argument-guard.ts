import { decodeGlobalID } from '@pothos/plugin-relay';
import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  defaultFieldResolver,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { DOCUMENT_LIMITS } from '../documents/document.js';
import { badUserInput } from '../domain-errors.js';

/** No string any argument takes is longer than a document's content. */
export const ARGUMENT_STRING_LIMIT = DOCUMENT_LIMITS.contentLength;

const NUMERIC_SCALARS = new Set(['Int', 'Float', 'Boolean']);
// In a `u` regex a well-formed surrogate pair is one code point: only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;

type Extensions = { isRelayGlobalID?: boolean; relayGlobalIDFor?: { typename: string }[] | null };

/**
 * Checks every string a field's arguments carry, whatever the field, before its resolver runs:
 * no NUL (PostgreSQL text cannot hold it, so it failed deep in a query as an internal error), no
 * unpaired surrogate (not Unicode: it would be stored as U+FFFD, silently changed), none longer
 * than any argument takes; and every global ID decodes to its type. The walk follows the schema,
 * so an argument added later is covered without being listed. Each refusal is BAD_USER_INPUT
 * naming the argument's path, e.g. `documents[3].externalId`.
 */
export function guardArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.some((arg) => carriesText(arg.type, new Set()))) wrapResolver(field);
    }
  }
  return schema;
}

function wrapResolver(field: GraphQLField<unknown, unknown>) {
  const resolve = field.resolve ?? defaultFieldResolver;
  const args = field.args;
  field.resolve = (source, values, context, info) => {
    for (const arg of args) {
      const value = (values as Record<string, unknown>)[arg.name];
      if (value !== undefined && value !== null) checkValue(value, arg.type, arg.name, arg.extensions as Extensions);
    }
    return resolve(source, values, context, info);
  };
}

function carriesText(type: GraphQLInputType, seen: Set<string>): boolean {
  const named = namedType(type);
  if (isScalarType(named)) return !NUMERIC_SCALARS.has(named.name);
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((field) => carriesText(field.type, seen));
}

function namedType(type: GraphQLInputType): GraphQLInputType {
  return isNonNullType(type) || isListType(type) ? namedType(type.ofType) : type;
}

function checkValue(value: unknown, type: GraphQLInputType, path: string, extensions: Extensions | undefined): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return checkValue(value, type.ofType, path, extensions);
  if (isListType(type)) {
    // A vector is hundreds of numbers: nothing in it to check.
    const item = namedType(type.ofType);
    if (isScalarType(item) && NUMERIC_SCALARS.has(item.name)) return;
    if (Array.isArray(value)) value.forEach((item, i) => checkValue(item, type.ofType, `${path}[${i}]`, extensions));
    return;
  }
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      const field = fields[name];
      if (field) checkValue(item, field.type, `${path}.${name}`, field.extensions as Extensions);
    }
    return;
  }
  if (!isScalarType(type) || NUMERIC_SCALARS.has(type.name)) return;
  checkJson(value, path);
  if (extensions?.isRelayGlobalID && typeof value === 'string') checkGlobalId(value, path, extensions.relayGlobalIDFor ?? null);
}

// Iterative: a JSON argument may nest deeply (the input-size plugin bounds how deeply).
function checkJson(root: unknown, rootPath: string): void {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: rootPath }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      checkString(value, path);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]` }));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const keyPath = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        checkString(key, keyPath, 'key');
        stack.push({ value: item, path: keyPath });
      }
    }
  }
}

function checkString(value: string, path: string, what: 'value' | 'key' = 'value'): void {
  const subject = what === 'key' ? 'the key ' : '';
  if (value.includes('\u0000')) throw badUserInput(path, `${subject}must not contain NUL (U+0000) characters`);
  if (LONE_SURROGATE.test(value)) {
    throw badUserInput(path, `${subject}must be valid Unicode: it holds an unpaired surrogate (U+D800-U+DFFF)`);
  }
  if (value.length > ARGUMENT_STRING_LIMIT) {
    throw badUserInput(path, `${subject}must be at most ${ARGUMENT_STRING_LIMIT} characters, got ${value.length}`);
  }
}

function checkGlobalId(value: string, path: string, types: readonly { typename: string }[] | null): void {
  let typename: string;
  try {
    typename = decodeGlobalID(value).typename;
  } catch {
    throw badUserInput(path, `is not a valid global ID: ${JSON.stringify(value.slice(0, 100))}`);
  }
  if (types && !types.some((type) => type.typename === typename)) {
    throw badUserInput(path, `must be the global ID of a ${types.map((type) => type.typename).join(' or ')}, got one of a ${typename}`);
  }
}
