/* Agent page: the one choice (story and channel) refreshes the poster preview and the line that
 * says what is sent (the page works without this: the server draws both for the choice it shows).
 * A static file, not inline script: the Content-Security-Policy allows scripts from 'self' only. */
(function () {
  var offer = document.getElementById("offer");
  var img = document.getElementById("poster");
  var summary = document.getElementById("offer-summary");
  if (!offer || !img) { return; }
  offer.addEventListener("change", function () {
    var picked = offer.options[offer.selectedIndex];
    img.src = img.dataset.posterUrl + "?customer=" + encodeURIComponent(img.dataset.customer) +
      "&story=" + encodeURIComponent(picked.dataset.story);
    if (summary) { summary.textContent = "Sends " + picked.dataset.summary; }
  });
})();
