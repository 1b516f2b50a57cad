// The statistics page's charts, drawn with Chart.js from the data-* attributes of each
// <canvas data-chart>: data-labels (a JSON list of labels) and data-series (a JSON list of
// { label, cents: ["123", ...] }). Amounts arrive as cent strings; tooltips show them exactly.
(() => {
  if (typeof window.Chart === 'undefined') return;
  const COLORS = ['#198754', '#dc3545', '#0d6efd', '#6c757d', '#fd7e14', '#6f42c1'];

  function formatCents(cents) {
    const value = BigInt(cents);
    const negative = value < 0n;
    const abs = negative ? -value : value;
    const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const fraction = (abs % 100n).toString().padStart(2, '0');
    return `${negative ? '-' : ''}${whole}.${fraction}`;
  }

  function parse(text) {
    try {
      return JSON.parse(text || '[]');
    } catch {
      return [];
    }
  }

  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const kind = canvas.dataset.chart;
    const labels = parse(canvas.dataset.labels);
    const series = parse(canvas.dataset.series);
    const datasets = series.map((s, i) => {
      const color = s.color || COLORS[i % COLORS.length];
      return {
        label: s.label,
        data: s.cents.map((c) => Number(c) / 100),
        backgroundColor: kind === 'line' ? color : `${color}cc`,
        borderColor: color,
        borderDash: s.dashed ? [6, 4] : [],
        tension: 0.2,
      };
    });
    new window.Chart(canvas, {
      type: kind === 'hbar' ? 'bar' : kind,
      data: { labels, datasets },
      options: {
        indexAxis: kind === 'hbar' ? 'y' : 'x',
        responsive: true,
        aspectRatio: Number(canvas.dataset.aspect) || 2,
        animation: false,
        plugins: {
          tooltip: {
            callbacks: {
              label: (ctx) =>
                `${ctx.dataset.label}: ${formatCents(series[ctx.datasetIndex].cents[ctx.dataIndex])}`,
            },
          },
        },
      },
    });
  }
})();
