import { z } from 'zod';

export const credentialsBody = z.object({
  email: z.email().max(255),
  password: z.string().min(8, 'must be at least 8 characters').max(1024),
});

export const userBody = z.object({ id: z.uuid(), email: z.string() });

export const sessionBody = z.object({
  user: userBody,
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
});
