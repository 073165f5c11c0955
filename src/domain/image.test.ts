import { describe, expect, it } from 'vitest';
import { imageProblem, inspectImage } from './image.js';
import { jpegOf, pngOf } from '../../test/helpers/images.js';

describe('inspectImage', () => {
  it('reads PNG and JPEG dimensions from the bytes', () => {
    expect(inspectImage(pngOf(640, 360))).toEqual({ contentType: 'image/png', width: 640, height: 360 });
    expect(inspectImage(jpegOf(400, 500))).toEqual({ contentType: 'image/jpeg', width: 400, height: 500 });
  });

  it('refuses anything else, whatever it is called', () => {
    expect(inspectImage(Buffer.from('GIF89a....................'))).toBeNull();
    expect(inspectImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(inspectImage(Buffer.alloc(0))).toBeNull();
  });
});

describe('imageProblem', () => {
  it.each([
    [pngOf(299, 400), 'at least 300 px'],
    [pngOf(300, 751), 'aspect ratio'],
    [jpegOf(1000, 300), 'aspect ratio'],
    [Buffer.from('not an image'), 'JPEG or PNG'],
  ])('explains what is wrong (%#)', (bytes, fragment) => {
    const result = imageProblem(bytes);
    expect('problem' in result && result.problem).toContain(fragment);
  });

  it('accepts the limits themselves', () => {
    expect(imageProblem(pngOf(300, 750))).toHaveProperty('info');
    expect(imageProblem(jpegOf(750, 300))).toHaveProperty('info');
  });
});
