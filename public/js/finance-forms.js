// Finance forms: a search box next to a person picker narrows its options as the person types
// (<input data-filter-select="<select id>">). The chosen option always stays visible.
(() => {
  for (const input of document.querySelectorAll('input[data-filter-select]')) {
    const select = document.getElementById(input.dataset.filterSelect);
    if (!select) continue;
    input.addEventListener('input', () => {
      const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      let first = null;
      for (const option of select.options) {
        const text = option.textContent.toLowerCase();
        const shown = option.value === '' || option.selected || words.every((w) => text.includes(w));
        option.hidden = !shown;
        if (shown && option.value !== '' && !first) first = option;
      }
      if (words.length && first && select.value === '') first.selected = true;
    });
  }
})();
