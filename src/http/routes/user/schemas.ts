import { z } from 'zod';

export const creationBody = z.object({
  id: z.number().int(),
  user_id: z.string().nullable(),
  task_type: z.string(),
  model: z.string(),
  high_quality: z.boolean(),
  prompt: z.string().nullable(),
  negative_prompt: z.string().nullable(),
  cfg: z.number().nullable(),
  credits: z.number().int(),
  created_at: z.string(),
  start_img_path: z.string().nullable(),
  end_img_path: z.string().nullable(),
  additional_params: z.record(z.string(), z.unknown()).nullable(),
  status: z.string(),
  result_url: z.string().nullable(),
  thumbnail_url: z.string().nullable(),
  error_message: z.string().nullable(),
  refunded: z.boolean(),
  updated_at: z.string(),
});

/** `limit` and `before` for newest-first lists; an unbounded list would be a denial-of-service risk. */
export const pageQuery = (defaultLimit: number, maxLimit: number) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    before: z.coerce.number().int().positive().optional(),
  });
