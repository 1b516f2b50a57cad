// The project report's charts. The figures come from data-* attributes of each canvas (the same
// numbers as the tables below them); without Chart.js the tables still tell everything.
(() => {
  if (typeof window.Chart !== 'function') return;
  const read = (el, name) => {
    try {
      const value = JSON.parse(el.dataset[name] || '[]');
      return Array.isArray(value) ? value : [];
    } catch {
      return [];
    }
  };
  const narrow = () => window.matchMedia('(max-width: 575.98px)').matches;

  const completion = document.querySelector('canvas[data-chart="completion"]');
  if (completion) {
    new window.Chart(completion, {
      data: {
        labels: read(completion, 'labels'),
        datasets: [
          {
            type: 'bar',
            label: 'Completed that week',
            data: read(completion, 'done'),
            backgroundColor: '#0d6efd',
          },
          {
            type: 'line',
            label: 'Completed in total',
            data: read(completion, 'cumulative'),
            borderColor: '#198754',
            backgroundColor: '#198754',
            pointRadius: 2,
            tension: 0.2,
          },
        ],
      },
      options: {
        aspectRatio: narrow() ? 1.2 : 2.2,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  const status = document.querySelector('canvas[data-chart="status"]');
  if (status) {
    new window.Chart(status, {
      type: 'doughnut',
      data: {
        labels: read(status, 'labels'),
        datasets: [
          {
            data: read(status, 'values'),
            backgroundColor: ['#6c757d', '#0d6efd', '#ffc107', '#198754'],
          },
        ],
      },
      options: { aspectRatio: 1.3, plugins: { legend: { position: 'bottom' } } },
    });
  }
})();
