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

// With a big directory the picker holds only the chosen person, and its search box asks the server
// (<input data-people-search="<select id>" data-people-url="...">). The chosen option stays; the
// others are replaced by the matches of the latest query.
(() => {
  for (const input of document.querySelectorAll('input[data-people-search]')) {
    const select = document.getElementById(input.dataset.peopleSearch);
    const found = input.parentElement.querySelector('[data-people-found]');
    if (!select) continue;
    let timer = null;
    let latest = 0;
    // A person picked by the search (not by hand) gives way to the next search's first match.
    let picked = false;
    select.addEventListener('change', () => {
      picked = false;
    });
    const say = (text) => {
      if (found) found.textContent = text;
    };
    const search = async (q) => {
      const mine = ++latest;
      let people;
      try {
        const res = await fetch(`${input.dataset.peopleUrl}?q=${encodeURIComponent(q)}`, {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin',
        });
        if (!res.ok) throw new Error(String(res.status));
        people = (await res.json()).people;
      } catch {
        if (mine === latest) say('The search did not answer. Try again.');
        return;
      }
      if (mine !== latest) return;
      if (picked) select.value = '';
      for (const option of [...select.options]) {
        if (option.value !== '' && !option.selected) option.remove();
      }
      for (const person of people) {
        if (person.id !== select.value) select.add(new Option(person.label, person.id));
      }
      picked = select.value === '' && people.length > 0;
      if (picked) select.options[1].selected = true;
      say(
        people.length
          ? `${people.length} found${people.length >= 20 ? ' (the first 20: type more to narrow)' : ''}.`
          : 'Nobody found.',
      );
    };
    input.addEventListener('input', () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) {
        latest++;
        say('');
        return;
      }
      timer = setTimeout(() => search(q), 200);
    });
  }
})();
