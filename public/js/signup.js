// The sign-up form: shows the full address as the subdomain is typed, asks the server whether it is
// free (debounced, stale answers dropped), and suggests a subdomain from the organisation's name
// until the person types one. The server checks everything again on submit.
(() => {
  const input = document.getElementById('f-slug');
  const status = document.getElementById('slug-status');
  const address = document.querySelector('[data-slug-address]');
  if (!input || !status || !address) return;
  const nameInput = document.getElementById('f-name');
  const endpoint = input.dataset.availabilityUrl;
  const baseDomain = input.dataset.baseDomain;
  const DEBOUNCE_MS = 300;
  const MAX_LENGTH = 38;
  let timer = null;
  let inFlight = null;
  let typedByHand = input.value.trim() !== '';

  const normalise = (value) => value.trim().toLowerCase();

  function showStatus(message, state) {
    status.textContent = message;
    status.classList.toggle('text-success', state === 'available');
    status.classList.toggle('text-danger', state === 'unavailable');
  }

  function showAddress() {
    address.textContent = `${normalise(input.value) || 'your-name'}.${baseDomain}`;
  }

  async function check() {
    const slug = normalise(input.value);
    inFlight?.abort();
    inFlight = null;
    if (!slug) {
      showStatus('', null);
      return;
    }
    const request = new AbortController();
    inFlight = request;
    showStatus('Checking…', null);
    try {
      const res = await fetch(`${endpoint}?slug=${encodeURIComponent(slug)}`, {
        headers: { Accept: 'application/json' },
        signal: request.signal,
      });
      const body = await res.json();
      if (typeof body.message !== 'string') throw new Error(`unexpected answer ${res.status}`);
      showStatus(body.message, body.available ? 'available' : 'unavailable');
    } catch (err) {
      if (err.name === 'AbortError') return;
      showStatus('The address could not be checked just now; it is checked again when you submit.', null);
    } finally {
      if (inFlight === request) inFlight = null;
    }
  }

  function scheduleCheck() {
    showAddress();
    clearTimeout(timer);
    timer = setTimeout(check, DEBOUNCE_MS);
  }

  /** "Église Saint-Jean" → "eglise-saint-jean": lowercase ASCII letters, digits and single hyphens. */
  function suggestFrom(name) {
    return name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^[^a-z]+/, '')
      .slice(0, MAX_LENGTH)
      .replace(/-+$/, '');
  }

  input.addEventListener('input', () => {
    typedByHand = input.value.trim() !== '';
    // The server's message was about the value before this edit.
    input.classList.remove('is-invalid');
    scheduleCheck();
  });

  nameInput?.addEventListener('input', () => {
    if (typedByHand) return;
    input.value = suggestFrom(nameInput.value);
    scheduleCheck();
  });

  showAddress();
  if (input.value.trim() && !input.classList.contains('is-invalid')) check();
})();
