import { describe, expect, it } from 'vitest';
import { fieldLabel, formatAgo, formatCents, formatValue, parseCents } from './format.ts';

describe('money', () => {
  it('formats integer cents with separators', () => {
    expect(formatCents(123456)).toBe('1,234.56');
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(undefined)).toBe('—');
  });

  it('parses typed amounts into cents exactly', () => {
    expect(parseCents('12')).toBe(1200);
    expect(parseCents('12.5')).toBe(1250);
    expect(parseCents('1,234.56')).toBe(123456);
    expect(parseCents('0.07')).toBe(7);
    expect(parseCents('12.345')).toBeUndefined();
    expect(parseCents('-1')).toBeUndefined();
    expect(parseCents('abc')).toBeUndefined();
  });

  it('round-trips', () => {
    for (const cents of [0, 1, 99, 100, 123456, 99999999]) {
      expect(parseCents(formatCents(cents))).toBe(cents);
    }
  });
});

describe('labels and values', () => {
  it('turns field names into labels', () => {
    expect(fieldLabel('fullName')).toBe('Full name');
    expect(fieldLabel('unitPriceCents')).toBe('Unit price');
  });

  it('shows empty, boolean and object values readably', () => {
    expect(formatValue(null)).toBe('—');
    expect(formatValue('')).toBe('—');
    expect(formatValue(true)).toBe('yes');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });

  it('says how long ago', () => {
    const now = 1_000_000;
    expect(formatAgo(now - 1000, now)).toBe('just now');
    expect(formatAgo(now - 30_000, now)).toBe('30 s ago');
    expect(formatAgo(now - 180_000, now)).toBe('3 min ago');
    expect(formatAgo(null, now)).toBe('never');
  });
});
