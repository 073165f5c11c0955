import type { Kind } from '../api';

const TABS: readonly { kind: Kind; label: string }[] = [
  { kind: 't2v', label: 'Text to video' },
  { kind: 'i2v', label: 'Image to video' },
];

/** Tab list for the two generation modes; arrow keys move between tabs. */
export function ModeTabs({ value, onChange }: { value: Kind; onChange: (k: Kind) => void }) {
  const onKeyDown = (e: KeyboardEvent) => {
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
    e.preventDefault();
    const i = TABS.findIndex((t) => t.kind === value);
    const next =
      e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : (i + (e.key === 'ArrowRight' ? 1 : -1) + TABS.length) % TABS.length;
    const tab = TABS[next]!;
    onChange(tab.kind);
    document.getElementById(`tab-${tab.kind}`)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label="Generation mode" onKeyDown={onKeyDown}>
      {TABS.map((t) => (
        <button
          key={t.kind}
          id={`tab-${t.kind}`}
          type="button"
          role="tab"
          aria-selected={t.kind === value}
          aria-controls="create-panel"
          tabIndex={t.kind === value ? 0 : -1}
          class="tab"
          onClick={() => onChange(t.kind)}
          data-testid={`mode-${t.kind}`}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
