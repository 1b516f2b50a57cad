// The statements page while a mailing is under way: every two seconds the page is fetched again and
// its progress and list of givers replaced, until the mailing has finished. Without JavaScript the
// "Refresh" link does the same.
(() => {
  const box = () => document.querySelector('[data-mailing-progress]');
  if (!box() || box().dataset.finished === 'true') return;
  const refresh = async () => {
    try {
      const res = await fetch(window.location.href, {
        headers: { Accept: 'text/html' },
        credentials: 'same-origin',
      });
      if (!res.ok) return setTimeout(refresh, 5000);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      for (const el of document.querySelectorAll('[data-live]')) {
        const fresh = doc.getElementById(el.id);
        if (fresh) el.replaceWith(fresh);
      }
      if (box() && box().dataset.finished !== 'true') setTimeout(refresh, 2000);
    } catch {
      setTimeout(refresh, 5000);
    }
  };
  setTimeout(refresh, 2000);
})();
