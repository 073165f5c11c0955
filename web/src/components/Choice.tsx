/** A labelled group of radio buttons shown as a segmented control. */
export interface Option<T extends string> {
  value: T;
  label: string;
  testId?: string;
}

interface Props<T extends string> {
  legend: string;
  name: string;
  value: T;
  options: readonly Option<T>[];
  onChange: (value: T) => void;
  disabled?: boolean;
}

export function Choice<T extends string>({ legend, name, value, options, onChange, disabled }: Props<T>) {
  return (
    <fieldset class="choice" disabled={disabled}>
      <legend>{legend}</legend>
      <div class="segmented">
        {options.map((o) => (
          // The test id sits on the label: clicking it, or check() on it, selects the radio.
          <label key={o.value} class={o.value === value ? 'selected' : undefined} data-testid={o.testId}>
            <input
              type="radio"
              name={name}
              value={o.value}
              checked={o.value === value}
              onChange={() => onChange(o.value)}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
