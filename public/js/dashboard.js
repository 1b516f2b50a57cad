// The dashboard's attendance chart: a small line chart drawn from the canvas's data-* attributes.
// The same numbers are in the table under it, so the page says everything without this script.
(() => {
  const canvas = document.getElementById('attendance-chart');
  if (!canvas || typeof window.Chart !== 'function') return;
  let labels;
  let values;
  try {
    labels = JSON.parse(canvas.dataset.labels || '[]');
    values = JSON.parse(canvas.dataset.values || '[]');
  } catch {
    return;
  }
  new window.Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: canvas.dataset.series || 'Attendance',
          data: values,
          borderColor: '#0d6efd',
          backgroundColor: 'rgba(13, 110, 253, 0.12)',
          fill: true,
          tension: 0.3,
          pointRadius: 3,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: true,
      // Taller on a phone, where the card is narrow.
      aspectRatio: window.innerWidth < 576 ? 1.5 : 2.4,
      animation: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
})();
