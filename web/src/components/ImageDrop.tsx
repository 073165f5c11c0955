import { useEffect, useRef, useState } from 'preact/hooks';
import { checkImage } from '../imageCheck';

interface Props {
  /** Called with the file when it passes every check, or null when it is cleared or rejected. */
  onChange: (file: File | null) => void;
  disabled?: boolean;
}

/** File picker + drag and drop + preview, with the upload checks shown as sentences. */
export function ImageDrop({ onChange, disabled }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [dragging, setDragging] = useState(false);
  const [checking, setChecking] = useState(false);
  const seq = useRef(0);

  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  const accept = async (file: File | undefined) => {
    const n = ++seq.current;
    if (!file) {
      setPreview(null);
      setInfo(null);
      setProblems([]);
      onChange(null);
      return;
    }
    const url = URL.createObjectURL(file);
    setChecking(true);
    const result = await checkImage(file, url);
    if (n !== seq.current) {
      URL.revokeObjectURL(url);
      return;
    }
    setChecking(false);
    setProblems(result.problems);
    setPreview(url);
    setInfo(result.width ? `${file.name} · ${result.width}×${result.height}` : file.name);
    onChange(result.problems.length === 0 ? file : null);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (disabled) return;
    void accept(e.dataTransfer?.files[0]);
  };

  const clear = () => {
    if (input.current) input.current.value = '';
    void accept(undefined);
    input.current?.focus();
  };

  return (
    <div class="field">
      <span class="label" id="image-label">Start image</span>
      <label
        class={`dropzone${dragging ? ' dragging' : ''}${problems.length ? ' invalid' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <input
          ref={input}
          class="visually-hidden"
          type="file"
          accept="image/jpeg,image/png"
          disabled={disabled}
          aria-labelledby="image-label"
          aria-describedby="image-hint image-problems"
          aria-invalid={problems.length > 0}
          data-testid="image-input"
          onChange={(e) => void accept(e.currentTarget.files?.[0])}
        />
        <div class="media-box media-box-square">
          {preview ? (
            <img src={preview} alt="Preview of the selected start image" />
          ) : (
            <span class="dropzone-text" id="image-drop-text">
              Drop an image here or <span class="link-like">choose a file</span>
            </span>
          )}
        </div>
      </label>
      <p class="hint" id="image-hint">
        JPEG or PNG, up to 10 MB, each side at least 300 px, aspect ratio between 1:2.5 and 2.5:1.
      </p>
      <div class="image-row">
        <span class="muted small" aria-live="polite">
          {checking ? 'Checking image…' : info}
        </span>
        {preview && (
          <button type="button" class="btn btn-small" onClick={clear}>
            Remove image
          </button>
        )}
      </div>
      <ul class="problems" id="image-problems" role="alert" data-testid={problems.length ? 'image-problems' : undefined}>
        {problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
    </div>
  );
}
