// The notification bell: the unread count and the latest few, fetched after the page loads, then
// kept current by the socket; a toast shows each notification that arrives while the page is open.
// Without this script the bell is still a link to the notifications page.
(() => {
  const bell = document.getElementById('notification-bell');
  if (!bell) return;
  const badge = document.getElementById('notification-count');
  const menu = document.getElementById('notification-menu');
  const csrf = bell.dataset.csrf || '';
  const LATEST = 5;
  let count = 0;
  let latest = [];

  function setCount(n) {
    count = Math.max(0, n);
    badge.querySelector('[data-count]').textContent = count > 99 ? '99+' : String(count);
    badge.classList.toggle('d-none', count === 0);
  }

  function item(n) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.className = `dropdown-item text-wrap small${n.read ? '' : ' fw-semibold'}`;
    a.href = n.url || '/notifications';
    a.dataset.id = n.id;
    const title = document.createElement('div');
    title.textContent = n.title;
    a.append(title);
    if (n.body) {
      const body = document.createElement('div');
      body.className = 'text-muted text-truncate';
      body.textContent = n.body;
      a.append(body);
    }
    a.addEventListener('click', (e) => {
      if (n.read) return;
      e.preventDefault();
      markRead(n.id).finally(() => {
        window.location.href = a.href;
      });
    });
    li.append(a);
    return li;
  }

  function renderMenu() {
    for (const old of menu.querySelectorAll('[data-item]')) old.remove();
    const empty = menu.querySelector('[data-empty]');
    empty.parentElement.classList.toggle('d-none', latest.length > 0);
    const first = menu.firstElementChild;
    for (const n of latest) {
      const li = item(n);
      li.dataset.item = '';
      menu.insertBefore(li, first);
    }
  }

  function markRead(id) {
    return fetch(`/notifications/${encodeURIComponent(id)}/read`, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
    }).catch(() => {});
  }

  function toast(n) {
    let box = document.getElementById('notification-toasts');
    if (!box) {
      box = document.createElement('div');
      box.id = 'notification-toasts';
      box.className = 'toast-container position-fixed bottom-0 end-0 p-3';
      document.body.append(box);
    }
    const el = document.createElement('div');
    el.className = 'toast';
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', 'polite');
    el.setAttribute('aria-atomic', 'true');
    const head = document.createElement('div');
    head.className = 'toast-header';
    const strong = document.createElement('strong');
    strong.className = 'me-auto text-break';
    strong.textContent = n.title;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn-close';
    close.setAttribute('data-bs-dismiss', 'toast');
    close.setAttribute('aria-label', 'Close');
    head.append(strong, close);
    el.append(head);
    if (n.body || n.url) {
      const body = document.createElement('div');
      body.className = 'toast-body text-break';
      if (n.body) body.append(document.createTextNode(n.body));
      if (n.url) {
        const link = document.createElement('a');
        link.href = n.url;
        link.className = 'd-block mt-1';
        link.textContent = 'Open';
        link.addEventListener('click', (e) => {
          e.preventDefault();
          markRead(n.id).finally(() => {
            window.location.href = n.url;
          });
        });
        body.append(link);
      }
      el.append(body);
    }
    box.append(el);
    el.addEventListener('hidden.bs.toast', () => el.remove());
    if (window.bootstrap?.Toast) new window.bootstrap.Toast(el, { delay: 8000 }).show();
    else el.classList.add('show');
  }

  fetch(bell.dataset.unreadUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((res) => (res.ok ? res.json() : null))
    .then((data) => {
      if (!data) return;
      latest = data.latest || [];
      setCount(data.count || 0);
      renderMenu();
    })
    .catch(() => {});

  if (typeof window.io !== 'function') return;
  const socket = window.io({ withCredentials: true });
  socket.on('notification', (n) => {
    latest = [{ ...n, read: false }, ...latest.filter((x) => x.id !== n.id)].slice(0, LATEST);
    setCount(count + 1);
    renderMenu();
    toast(n);
  });
})();
