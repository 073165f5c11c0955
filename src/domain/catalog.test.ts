import { describe, expect, it } from 'vitest';
import { CATALOG, findProduct, modelFor } from './catalog.js';

describe('catalog', () => {
  it('prices every route as the contract does', () => {
    const prices = Object.fromEntries(CATALOG.map((p) => [p.path, p.credits]));
    expect(prices).toEqual({
      '/api/kling/5s': 1, '/api/kling/10s': 2, '/api/kling/hq/5s': 2, '/api/kling/hq/10s': 4,
      '/api/kling/i2v/5s': 2, '/api/kling/i2v/10s': 3, '/api/kling/i2v/hq/5s': 4, '/api/kling/i2v/hq/10s': 6,
      '/api/kling-official/5s': 1, '/api/kling-official/10s': 2, '/api/kling-official/hq/5s': 2, '/api/kling-official/hq/10s': 4,
      '/api/kling-official/i2v/5s': 2, '/api/kling-official/i2v/10s': 3, '/api/kling-official/i2v/hq/5s': 4, '/api/kling-official/i2v/hq/10s': 6,
    });
  });

  it('maps 302.ai routes to the m2v path that fixes duration and quality', () => {
    const models = CATALOG.filter((p) => p.provider === 'ai302').map((p) => p.model);
    expect(models).toEqual([
      'm2v_16_txt2video_5s', 'm2v_16_txt2video_10s', 'm2v_16_txt2video_hq_5s', 'm2v_16_txt2video_hq_10s',
      'm2v_16_img2video_5s', 'm2v_16_img2video_10s', 'm2v_16_img2video_hq_5s', 'm2v_16_img2video_hq_10s',
    ]);
  });

  it('sends a camera movement to kling-v1 on the std 5 s official text-to-video route, the only one that takes it', () => {
    expect(CATALOG.filter((p) => p.cameraModel).map((p) => [p.path, p.cameraModel])).toEqual([['/api/kling-official/5s', 'kling-v1']]);
    const product = findProduct('kling-t2v-5s')!;
    expect(modelFor(product, { camera: { type: 'simple', value: 1 } })).toBe('kling-v1');
    expect(modelFor(product, {})).toBe('kling-v1-6');
  });

  it('takes an end frame on the Kling pro image-to-video routes only', () => {
    expect(CATALOG.filter((p) => p.takesEndImage).map((p) => p.path)).toEqual(['/api/kling-official/i2v/hq/5s', '/api/kling-official/i2v/hq/10s']);
  });

  it('has unique ids and paths', () => {
    expect(new Set(CATALOG.map((p) => p.id)).size).toBe(CATALOG.length);
    expect(new Set(CATALOG.map((p) => p.path)).size).toBe(CATALOG.length);
  });
});
