import type { FastifyRequest } from 'fastify';
import { errors } from '../../../errors.js';
import { imageProblem } from '../../../domain/image.js';
import type { GenerationInput } from '../../../domain/generation/request.js';
import { imageToVideoFields } from './schemas.js';

const TEXT_FIELDS = new Set(['prompt', 'negative_prompt', 'cfg']);

function multipartErrorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/**
 * Reads the image-to-video multipart form: `input_image` (file), `prompt`, `negative_prompt`, `cfg`.
 * The multipart plugin stops reading a file past 10 MB, so an oversized upload is refused while it streams.
 * Missing `input_image` or `prompt` is the contract's 400 `缺少必要参数`; other bad values say what is wrong.
 */
export async function readImageForm(request: FastifyRequest): Promise<Omit<GenerationInput, 'aspectRatio'>> {
  if (!request.isMultipart()) throw errors.missingParameters('zh');
  const fields: Record<string, string> = {};
  let imageBytes: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'input_image' || imageBytes) {
          await part.toBuffer();
          throw errors.validation(`unexpected file field ${part.fieldname}`);
        }
        imageBytes = await part.toBuffer();
      } else if (TEXT_FIELDS.has(part.fieldname) && typeof part.value === 'string') {
        fields[part.fieldname] = part.value;
      }
    }
  } catch (error) {
    const code = multipartErrorCode(error);
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw errors.validation('input_image must be at most 10 MB');
    if (code === 'FST_FILES_LIMIT') throw errors.validation('only one file, input_image, is accepted');
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw errors.validation('too many form fields');
    throw error;
  }
  if (!imageBytes || imageBytes.length === 0 || !fields.prompt?.trim()) throw errors.missingParameters('zh');

  const parsed = imageToVideoFields.safeParse(fields);
  if (!parsed.success) throw errors.validation(parsed.error.issues.map((i) => i.message).join('; '));
  const image = imageProblem(imageBytes);
  if ('problem' in image) throw errors.validation(image.problem);
  return {
    prompt: parsed.data.prompt,
    negativePrompt: parsed.data.negative_prompt,
    cfg: parsed.data.cfg,
    image: { bytes: imageBytes, info: image.info },
  };
}
