/* Agent page: refresh the poster preview when the story changes (the page works without this).
 * A static file, not inline script: the Content-Security-Policy allows scripts from 'self' only. */
(function () {
  var story = document.getElementById("story");
  var img = document.getElementById("poster");
  if (!story || !img) { return; }
  story.addEventListener("change", function (e) {
    img.src = img.dataset.posterUrl + "?customer=" + encodeURIComponent(img.dataset.customer) +
      "&story=" + encodeURIComponent(e.target.value);
  });
})();
