interface Props {
  id: string;
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  onChange: (v: number) => void;
  minLabel: string;
  maxLabel: string;
  format?: (v: number) => string;
  hint?: string;
  testId?: string;
}

/** A range slider with its label, both end labels and the current value shown. */
export function RangeField(p: Props) {
  const shown = (p.format ?? String)(p.value);
  return (
    <div class="field">
      <div class="range-head">
        <label for={p.id}>{p.label}</label>
        <output for={p.id} class="range-value" aria-hidden="true">
          {shown}
        </output>
      </div>
      <input
        id={p.id}
        type="range"
        min={p.min}
        max={p.max}
        step={p.step}
        value={p.value}
        aria-valuetext={`${shown} (${p.minLabel} ${p.min} to ${p.maxLabel} ${p.max})`}
        aria-describedby={p.hint ? `${p.id}-hint` : undefined}
        onInput={(e) => p.onChange(Number(e.currentTarget.value))}
        data-testid={p.testId}
      />
      <div class="range-ends" aria-hidden="true">
        <span>{p.minLabel}</span>
        <span>{p.maxLabel}</span>
      </div>
      {p.hint && (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
    </div>
  );
}
