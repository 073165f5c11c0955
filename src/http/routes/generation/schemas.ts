import { z } from 'zod';
import { plainText } from '../../plain-text.js';

export const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
export const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;

export const promptField = plainText('prompt', z.string().trim().min(1, 'prompt is required').max(2500, 'prompt must be at most 2500 characters'));
export const negativePromptField = plainText('negative_prompt', z.string().max(2500, 'negative_prompt must be at most 2500 characters')).default('');
export const cfgField = z.number().min(0, 'cfg must be between 0 and 1').max(1, 'cfg must be between 0 and 1').default(0.3);

/**
 * The contract's text-to-video body; the camera fields are taken where a model takes camera control
 * (Product.cameraModel). `simple` moves along one axis by `camera_value`, which must then be non-zero: Kling refuses a
 * simple move with every axis at zero.
 */
export const textToVideoBody = z
  .object({
    prompt: promptField,
    negative_prompt: negativePromptField,
    cfg: cfgField,
    aspect_ratio: z.enum(ASPECT_RATIOS).default('1:1'),
    // Deviation: the contract defaults camera_type to "simple" with value 1, which forces a camera move on every
    // video and fails on models without camera control. Without camera_type the model chooses the motion.
    camera_type: z.enum(CAMERA_TYPES).optional(),
    camera_value: z.number().min(-10, 'camera_value must be between -10 and 10').max(10, 'camera_value must be between -10 and 10').optional(),
  })
  .refine((body) => body.camera_type !== 'simple' || (body.camera_value !== undefined && body.camera_value !== 0), {
    message: 'camera_type simple needs a non-zero camera_value between -10 and 10',
    path: ['camera_value'],
  });

/** Text fields of the image-to-video multipart form; numbers arrive as strings. */
export const imageToVideoFields = z.object({
  prompt: promptField,
  negative_prompt: negativePromptField,
  cfg: z.preprocess((v) => (v === undefined || v === '' ? undefined : Number(v)), cfgField),
});

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'Idempotency-Key must be printable ASCII').optional(),
});

export const ai302TextResponse = z.object({ data: z.object({ task: z.object({ id: z.string() }) }), taskId: z.number().int() });
export const officialTextResponse = z.object({ data: z.object({ task_id: z.string() }), taskId: z.number().int() });
export const imageResponse = z.object({ message: z.string(), taskId: z.number().int(), statusId: z.number().int(), status: z.string() });
