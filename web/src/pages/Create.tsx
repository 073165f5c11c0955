import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, newIdempotencyKey, type Kind, type Product, type Provider } from '../api';
import { Choice, type Option } from '../components/Choice';
import { FormError } from '../components/FormError';
import { ImageDrop } from '../components/ImageDrop';
import { ModeTabs } from '../components/ModeTabs';
import { RangeField } from '../components/RangeField';
import { SelectField } from '../components/SelectField';
import { errorMessage, insufficientCreditsMessage } from '../messages';
import { navigate } from '../router';
import { useSession } from '../session';

const MAX_PROMPT = 2500;

type Duration = '5' | '10';
type Quality = 'standard' | 'high';
type Aspect = '16:9' | '9:16' | '1:1';
type Camera = 'none' | 'simple' | 'down_back' | 'forward_up' | 'right_turn_forward' | 'left_turn_forward';

const PROVIDERS: readonly Option<Provider>[] = [
  { value: 'ai302', label: '302.ai', testId: 'provider-ai302' },
  { value: 'kling', label: 'Kling official', testId: 'provider-kling' },
];
const DURATIONS: readonly Option<Duration>[] = [
  { value: '5', label: '5 s', testId: 'duration-5' },
  { value: '10', label: '10 s', testId: 'duration-10' },
];
const QUALITIES: readonly Option<Quality>[] = [
  { value: 'standard', label: 'Standard', testId: 'quality-standard' },
  { value: 'high', label: 'High', testId: 'quality-high' },
];
const ASPECTS: readonly Option<Aspect>[] = [
  { value: '16:9', label: '16:9 landscape' },
  { value: '9:16', label: '9:16 portrait' },
  { value: '1:1', label: '1:1 square' },
];
const CAMERAS: readonly Option<Camera>[] = [
  { value: 'none', label: 'None' },
  { value: 'simple', label: 'Simple (choose strength)' },
  { value: 'down_back', label: 'Move down and back' },
  { value: 'forward_up', label: 'Move forward and up' },
  { value: 'right_turn_forward', label: 'Turn right and move forward' },
  { value: 'left_turn_forward', label: 'Turn left and move forward' },
];

export function Create() {
  const session = useSession();
  const [mode, setMode] = useState<Kind>('t2v');
  const [provider, setProvider] = useState<Provider>('ai302');
  const [duration, setDuration] = useState<Duration>('5');
  const [quality, setQuality] = useState<Quality>('standard');
  const [prompt, setPrompt] = useState('');
  const [negative, setNegative] = useState('');
  const [cfg, setCfg] = useState(0.3);
  const [aspect, setAspect] = useState<Aspect>('16:9');
  const [camera, setCamera] = useState<Camera>('none');
  const [cameraValue, setCameraValue] = useState(0);
  const [image, setImage] = useState<File | null>(null);
  const [catalog, setCatalog] = useState<Product[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);

  useEffect(() => {
    void session.refreshBalance();
    api
      .catalog()
      .then((c) => {
        setCatalog(c.products);
        // A provider the server has switched off is not in the catalog: start on one it offers.
        setProvider((current) => (c.products.some((p) => p.provider === current) ? current : (c.products[0]?.provider ?? current)));
      })
      .catch((err: unknown) => setError(`The price list could not be loaded. ${errorMessage(err)}`));
  }, []);

  const product = catalog?.find(
    (p) =>
      p.provider === provider &&
      p.kind === mode &&
      p.durationSeconds === Number(duration) &&
      p.highQuality === (quality === 'high'),
  );
  const providerOptions = catalog ? PROVIDERS.filter((o) => catalog.some((p) => p.provider === o.value)) : PROVIDERS;
  const balance = session.balance;
  const short = product !== undefined && balance !== null && balance < product.credits;
  const withCamera = provider === 'kling' && mode === 't2v';

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (inFlight.current || !product || short) return;
    const text = prompt.trim();
    if (!text) return setError('Please describe the video in the prompt.');
    if (text.length > MAX_PROMPT) return setError(`The prompt can be at most ${MAX_PROMPT} characters.`);
    if (negative.length > MAX_PROMPT) return setError(`The negative prompt can be at most ${MAX_PROMPT} characters.`);
    if (mode === 'i2v' && !image) return setError('Please choose a valid start image (JPEG or PNG).');

    inFlight.current = true;
    setBusy(true);
    setError(null);
    const key = newIdempotencyKey();
    try {
      if (mode === 'i2v') {
        await api.imageToVideo(product.path, { image: image!, prompt: text, negative_prompt: negative, cfg }, key);
      } else {
        await api.textToVideo(
          product.path,
          {
            prompt: text,
            negative_prompt: negative,
            cfg,
            aspect_ratio: aspect,
            ...(withCamera && camera !== 'none'
              ? { camera_type: camera, ...(camera === 'simple' ? { camera_value: cameraValue } : {}) }
              : {}),
          },
          key,
        );
      }
      void session.refreshBalance();
      navigate('/videos');
    } catch (err) {
      inFlight.current = false;
      setBusy(false);
      if (err instanceof ApiError && err.code === 'insufficient_credits') void session.refreshBalance();
      setError(errorMessage(err, { price: product.credits, balance }));
    }
  };

  const counterId = 'prompt-count';
  return (
    <>
      <h1>Create a video</h1>
      <ModeTabs value={mode} onChange={setMode} />
      <form
        id="create-panel"
        role="tabpanel"
        aria-labelledby={`tab-${mode}`}
        class="panel create-form"
        onSubmit={onSubmit}
        noValidate
      >
        <div class="choices">
          <Choice legend="Provider" name="provider" value={provider} options={providerOptions} onChange={setProvider} />
          <Choice legend="Duration" name="duration" value={duration} options={DURATIONS} onChange={setDuration} />
          <Choice legend="Quality" name="quality" value={quality} options={QUALITIES} onChange={setQuality} />
        </div>

        {mode === 'i2v' && <ImageDrop onChange={setImage} disabled={busy} />}

        <div class="field">
          <label for="prompt">Prompt</label>
          <textarea
            id="prompt"
            rows={4}
            maxLength={MAX_PROMPT}
            required
            value={prompt}
            placeholder="A red fox trotting through fresh snow at sunrise, cinematic"
            onInput={(e) => setPrompt(e.currentTarget.value)}
            aria-describedby={counterId}
            data-testid="prompt"
          />
          <p class="hint counter" id={counterId}>
            {prompt.length} / {MAX_PROMPT} characters
          </p>
        </div>

        <div class="field">
          <label for="negative-prompt">Negative prompt (optional)</label>
          <textarea
            id="negative-prompt"
            rows={2}
            maxLength={MAX_PROMPT}
            value={negative}
            placeholder="What to avoid, e.g. blur, text, watermark"
            onInput={(e) => setNegative(e.currentTarget.value)}
            aria-describedby="negative-count"
            data-testid="negative-prompt"
          />
          <p class="hint counter" id="negative-count">
            {negative.length} / {MAX_PROMPT} characters
          </p>
        </div>

        <RangeField
          id="cfg"
          label="Prompt strength"
          min={0}
          max={1}
          step={0.05}
          value={cfg}
          onChange={setCfg}
          minLabel="Creative"
          maxLabel="Follow prompt"
          format={(v) => v.toFixed(2)}
          hint="0 gives the model the most freedom; 1 follows the prompt exactly."
          testId="cfg"
        />

        {mode === 't2v' && (
          <SelectField id="aspect" label="Aspect ratio" value={aspect} options={ASPECTS} onChange={setAspect} testId="aspect-ratio" />
        )}

        {withCamera && (
          <SelectField id="camera" label="Camera movement" value={camera} options={CAMERAS} onChange={setCamera} testId="camera-type" />
        )}
        {withCamera && camera === 'simple' && (
          <RangeField
            id="camera-value"
            label="Camera movement strength"
            min={-10}
            max={10}
            step={1}
            value={cameraValue}
            onChange={setCameraValue}
            minLabel="-10"
            maxLabel="10"
            testId="camera-value"
          />
        )}

        <div class="submit-bar">
          <p class="price-line">
            <span>
              Price:{' '}
              <strong>
                <span data-testid="price">{product ? product.credits : '…'}</span> {product?.credits === 1 ? 'credit' : 'credits'}
              </strong>
            </span>
            <span>
              Your balance:{' '}
              <strong>
                <span data-testid="create-balance">{balance ?? '…'}</span> {balance === 1 ? 'credit' : 'credits'}
              </strong>
            </span>
          </p>
          <button
            type="submit"
            class="btn btn-primary"
            disabled={busy || !product || short}
            aria-describedby="submit-note"
            data-testid="submit-generation"
          >
            {busy ? 'Starting…' : 'Generate video'}
          </button>
          <p class="hint submit-note" id="submit-note" data-testid={short ? 'insufficient-credits' : undefined}>
            {short && product && balance !== null ? insufficientCreditsMessage(product.credits, balance) : ''}
          </p>
        </div>
        <FormError message={error} />
      </form>
    </>
  );
}
