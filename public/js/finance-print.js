// A "Print" button (<button data-print>) opens the browser's print dialog.
(() => {
  for (const button of document.querySelectorAll('[data-print]')) {
    button.addEventListener('click', () => window.print());
  }
})();
