const SVG = 'http://www.w3.org/2000/svg';

/**
 * A small live chart of one value over the last minutes, drawn as SVG (no chart library: one
 * polyline is all it takes). Points are {t, v}; a null v breaks the line (no data: disconnected).
 */
export class Sparkline {
  constructor({ width = 240, height = 40, span = 3 * 60 * 1000 } = {}) {
    this.width = width;
    this.height = height;
    this.span = span;
    this.points = [];
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.svg.setAttribute('class', 'sparkline');
    this.svg.setAttribute('preserveAspectRatio', 'none');
    this.peak = document.createElementNS(SVG, 'text');
    this.peak.setAttribute('x', '2');
    this.peak.setAttribute('y', '10');
    this.peak.setAttribute('class', 'sparkline-peak');
    this.svg.append(this.peak);
  }

  add(t, v) {
    this.points.push({ t, v });
    const oldest = t - this.span;
    while (this.points.length > 2 && this.points[0].t < oldest) this.points.shift();
    this.draw(t);
  }

  draw(now) {
    for (const line of [...this.svg.querySelectorAll('polyline')]) line.remove();
    const values = this.points.filter((p) => p.v !== null).map((p) => p.v);
    const peak = Math.max(1, ...values);
    this.peak.textContent = `${formatRate(peak)}/s`;
    const max = peak * 1.25; // headroom, so that a steady rate is a line below the top edge
    let run = [];
    const flush = () => {
      if (run.length > 1) {
        const line = document.createElementNS(SVG, 'polyline');
        line.setAttribute('points', run.join(' '));
        this.svg.insertBefore(line, this.peak);
      }
      run = [];
    };
    for (const p of this.points) {
      if (p.v === null) {
        flush();
        continue;
      }
      const x = this.width - ((now - p.t) / this.span) * this.width;
      const y = this.height - 1 - (p.v / max) * (this.height - 12);
      run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    }
    flush();
  }
}

export function formatRate(v) {
  return v >= 100 ? Math.round(v).toString() : v >= 10 ? v.toFixed(1) : v.toFixed(2).replace(/\.?0+$/, '') || '0';
}
