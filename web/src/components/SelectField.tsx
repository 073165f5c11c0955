import type { Option } from './Choice';

interface Props<T extends string> {
  id: string;
  label: string;
  value: T;
  options: readonly Option<T>[];
  onChange: (value: T) => void;
  testId: string;
}

/** A labelled drop-down over a fixed list of options. */
export function SelectField<T extends string>({ id, label, value, options, onChange, testId }: Props<T>) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(options.find((o) => o.value === e.currentTarget.value)?.value ?? value)}
        data-testid={testId}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
