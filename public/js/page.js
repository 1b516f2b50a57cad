// Tells the stylesheet that scripts run, so its no-JavaScript fallbacks stand aside.
document.documentElement.classList.add('js');
