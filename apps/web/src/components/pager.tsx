interface PagerProps {
  page: number;
  hasNext: boolean;
  loading: boolean;
  onPrev(): void;
  onNext(): void;
}

export function Pager({ page, hasNext, loading, onPrev, onNext }: PagerProps) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrev} disabled={page <= 1 || loading}>
        ← Previous
      </button>
      <span aria-live="polite">Page {page}</span>
      <button type="button" onClick={onNext} disabled={!hasNext || loading}>
        Next →
      </button>
    </nav>
  );
}
