import { z } from 'zod';

/** Parsers for environment variables' values, shared by the configuration's sections. */
export const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');
