import { useId } from 'react';

export type FieldKind =
  | 'text'
  | 'email'
  | 'tel'
  | 'textarea'
  | 'number'
  | 'money'
  | 'checkbox'
  | 'select'
  | 'date';

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  options?: readonly { value: string; label: string }[];
  /** An empty input means `null` (optional email, phone…). */
  nullable?: boolean;
  /** Shown only when creating (e.g. the branch or product a row belongs to). */
  createOnly?: boolean;
  hint?: string;
}

/** Raw input state of a form: strings for inputs, booleans for checkboxes. */
export type FormState = Record<string, string | boolean>;

interface FieldProps {
  spec: FieldSpec;
  value: string | boolean;
  error: string | undefined;
  disabled?: boolean;
  onChange(value: string | boolean): void;
}

/** A labelled input with its error message wired for screen readers. */
export function Field({ spec, value, error, disabled, onChange }: FieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const common = {
    id,
    name: spec.name,
    disabled,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? errorId : undefined,
  };
  let control: React.ReactNode;
  switch (spec.kind) {
    case 'checkbox':
      control = (
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
      break;
    case 'textarea':
      control = (
        <textarea
          {...common}
          rows={3}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'select':
      control = (
        <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose…</option>
          {spec.options?.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
      break;
    default: {
      const type = spec.kind === 'money' ? 'text' : spec.kind === 'number' ? 'text' : spec.kind;
      const inputMode =
        spec.kind === 'money' ? 'decimal' : spec.kind === 'number' ? 'numeric' : undefined;
      control = (
        <input
          {...common}
          type={type}
          inputMode={inputMode}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    }
  }
  return (
    <div className={spec.kind === 'checkbox' ? 'field field-check' : 'field'}>
      <label htmlFor={id}>{spec.label}</label>
      {control}
      {spec.hint && !error ? <small className="hint">{spec.hint}</small> : null}
      {error ? (
        <small id={errorId} className="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}
