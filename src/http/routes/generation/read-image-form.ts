import type { FastifyRequest } from 'fastify';
import { CATALOG, type Product } from '../../../domain/catalog.js';
import { errors } from '../../../errors.js';
import { imageProblem } from '../../../domain/image.js';
import type { GenerationInput } from '../../../domain/generation/request.js';
import { imageToVideoFields } from './schemas.js';

const TEXT_FIELDS = new Set(['prompt', 'negative_prompt', 'cfg']);
type ImageField = 'input_image' | 'end_image';
const IMAGE_FIELDS: ReadonlySet<string> = new Set<ImageField>(['input_image', 'end_image']);

/** kling-v1-6 takes an end frame in pro mode only (Kling's capability map, docs/providers.md). */
const END_IMAGE_PATHS = CATALOG.filter((p) => p.takesEndImage).map((p) => p.path);
const END_IMAGE_REFUSAL = `end_image is available on ${END_IMAGE_PATHS.join(', ')} only: the models of the other routes take no end frame`;

function multipartErrorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function isImageField(name: string): name is ImageField {
  return IMAGE_FIELDS.has(name);
}

/**
 * Reads the image-to-video multipart form: `input_image` (file), `end_image` (file, optional: the last frame, on the
 * products that take one), `prompt`, `negative_prompt`, `cfg`. Both images are held to the same rules.
 * The multipart plugin stops reading a file past 10 MB, so an oversized upload is refused while it streams.
 * Missing `input_image` or `prompt` is the contract's 400 `缺少必要参数`; other bad values say what is wrong.
 */
export async function readImageForm(request: FastifyRequest, product: Product): Promise<Omit<GenerationInput, 'aspectRatio'>> {
  if (!request.isMultipart()) throw errors.missingParameters('zh');
  const fields: Record<string, string> = {};
  const files: Partial<Record<ImageField, Buffer>> = {};
  let reading = 'input_image';
  try {
    for await (const part of request.parts({ limits: { files: IMAGE_FIELDS.size } })) {
      if (part.type === 'file') {
        reading = part.fieldname;
        if (!isImageField(part.fieldname) || files[part.fieldname]) {
          await part.toBuffer();
          throw errors.validation(`unexpected file field ${part.fieldname}`);
        }
        files[part.fieldname] = await part.toBuffer();
      } else if (TEXT_FIELDS.has(part.fieldname) && typeof part.value === 'string') {
        fields[part.fieldname] = part.value;
      }
    }
  } catch (error) {
    const code = multipartErrorCode(error);
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw errors.validation(`${reading} must be at most 10 MB`);
    if (code === 'FST_FILES_LIMIT') throw errors.validation('only two files, input_image and end_image, are accepted');
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw errors.validation('too many form fields');
    throw error;
  }
  if (!files.input_image || files.input_image.length === 0 || !fields.prompt?.trim()) throw errors.missingParameters('zh');
  if (files.end_image && !product.takesEndImage) throw errors.validation(END_IMAGE_REFUSAL);

  const parsed = imageToVideoFields.safeParse(fields);
  if (!parsed.success) throw errors.validation(parsed.error.issues.map((i) => i.message).join('; '));
  return {
    prompt: parsed.data.prompt,
    negativePrompt: parsed.data.negative_prompt,
    cfg: parsed.data.cfg,
    image: checkedImage(files.input_image, 'input_image'),
    ...(files.end_image ? { endImage: checkedImage(files.end_image, 'end_image') } : {}),
  };
}

function checkedImage(bytes: Buffer, field: ImageField): NonNullable<GenerationInput['image']> {
  const image = imageProblem(bytes, field);
  if ('problem' in image) throw errors.validation(image.problem);
  return { bytes, info: image.info };
}
