// The referral's Print button: a listener in a file, since the Content-Security-Policy forbids onclick="...".
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
