import { sparkPoints } from '../lib/sparkline.ts';

interface SparklineProps {
  values: readonly number[];
  label: string;
  width?: number;
  height?: number;
}

/** A tiny live line chart in SVG. */
export function Sparkline({ values, label, width = 160, height = 36 }: SparklineProps) {
  const last = values[values.length - 1];
  return (
    <figure className="spark">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${label}: ${last ?? 0}`}
      >
        <polyline
          points={sparkPoints(values, width, height)}
          fill="none"
          stroke="currentColor"
          strokeWidth="1.5"
        />
      </svg>
      <figcaption>
        {label}: <strong>{last === undefined ? '—' : Math.round(last * 10) / 10}</strong>
      </figcaption>
    </figure>
  );
}
