/* SmartVideo player beacon: which seconds each view watched, and what the viewer did.
 *
 * Reads window.smartvideo = {token, device, duration?, beaconUrl} and the <video id="player">.
 * Each page view gets a random view id; batches carry a sequence number, so the server stores a
 * batch once however often it arrives (a batch is kept and resent until the server answers).
 * A second is sent as {"type": "watch", "s": n} each time playback enters it: the server counts
 * the first time for retention and the others as rewatches.
 * Batches go every few seconds with fetch(keepalive), and on page hide with navigator.sendBeacon.
 */
(function () {
  "use strict";
  var cfg = window.smartvideo || {};
  if (!cfg.beaconUrl) { return; }
  var FLUSH_MS = 4000;
  var MAX_EVENTS = 200; // the server takes up to 600 per batch and 64 KB

  function randomId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var text = btoa(String.fromCharCode.apply(null, bytes));
    return text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  var viewId = randomId();
  var seq = 0;
  var queue = [];        // events not yet in a batch
  var pending = [];      // batches sent but not acknowledged: {seq, body}
  var inFlight = false;
  var video = document.getElementById("player");
  var lastSecond = -1;   // the second playback was last in (-1 after a seek or before playing)
  var lastTime = 0;

  function duration() {
    var d = video && isFinite(video.duration) && video.duration > 0 ? video.duration : cfg.duration;
    return d && isFinite(d) ? d : null;
  }

  function round(t) { return Math.round(t * 100) / 100; }

  var counted = 0;      // events made on this page (a test compares it with what the server stored)

  function push(event) {
    counted += 1;
    queue.push(event);
    if (queue.length >= MAX_EVENTS) { seal(); send(); }
  }

  function seal() {
    while (queue.length) {
      var events = queue.splice(0, MAX_EVENTS);
      var body = JSON.stringify({view: viewId, seq: seq, device: cfg.device || "landscape", events: events});
      pending.push({seq: seq, body: body});
      seq += 1;
    }
  }

  function send() {
    if (inFlight || !pending.length) { return; }
    var batch = pending[0];
    inFlight = true;
    fetch(cfg.beaconUrl, {method: "POST", body: batch.body, keepalive: true, credentials: "omit",
                          headers: {"Content-Type": "text/plain;charset=UTF-8"}})
      .then(function (response) {
        inFlight = false;
        // a server error: keep the batch and try again later (batches of a video still being made
        // are accepted: the server holds them until the render's plan says which variant it is)
        if (response.status === 409 || response.status >= 500) { return; }
        pending.shift(); // stored, a replay, or refused for good (4xx): either way done with it
        send();
      })
      .catch(function () { inFlight = false; }); // offline: resent on the next tick
  }

  function flush() { seal(); send(); }

  function flushOnHide() {
    seal();
    if (!navigator.sendBeacon) { send(); return; }
    // Queue every pending batch; if the page comes back they are resent (the server dedups).
    for (var i = 0; i < pending.length; i += 1) {
      navigator.sendBeacon(cfg.beaconUrl, new Blob([pending[i].body], {type: "text/plain;charset=UTF-8"}));
    }
  }

  function recordSecond() {
    if (!video || video.paused || video.seeking) { return; }
    var t = video.currentTime;
    var d = duration();
    var s = Math.floor(t);
    if (d) { s = Math.min(s, Math.ceil(d) - 1); }
    if (s === lastSecond || s < 0) { lastTime = t; return; }
    // timeupdate comes ~4 times a second: fill a second skipped between two updates of normal play
    var from = (lastSecond >= 0 && s > lastSecond && s - lastSecond <= 2) ? lastSecond + 1 : s;
    for (var k = from; k <= s; k += 1) { push({type: "watch", s: k}); }
    lastSecond = s;
    lastTime = t;
  }

  push({type: "open"});
  if (video) {
    video.addEventListener("play", function () { push({type: "play", t: round(video.currentTime)}); });
    video.addEventListener("playing", recordSecond);
    video.addEventListener("pause", function () {
      if (!video.ended) { push({type: "pause", t: round(video.currentTime)}); }
    });
    video.addEventListener("seeking", function () {
      push({type: "seek", from: round(lastTime), t: round(video.currentTime)});
      lastSecond = -1;
    });
    video.addEventListener("seeked", recordSecond);
    video.addEventListener("timeupdate", recordSecond);
    video.addEventListener("ended", function () {
      var d = duration();
      push({type: "ended", t: round(d || video.currentTime)});
      lastSecond = -1;
      flush();
    });
    video.addEventListener("error", function () {
      var err = video.error;
      push({type: "error", message: err ? ("media error " + err.code + (err.message ? ": " + err.message : "")).slice(0, 200) : "media error"});
    });
  }

  function cta() {
    var event = {type: "cta"};
    if (video && isFinite(video.currentTime)) { event.t = round(video.currentTime); }
    push(event);
    flush();
  }

  // A chapter jump (the player's chapter list): the target time and the scene it starts.
  function chapter(t, index) {
    var event = {type: "chapter"};
    if (typeof t === "number" && isFinite(t) && t >= 0) { event.t = round(t); }
    if (typeof index === "number" && index >= 0 && index < 200 && Math.floor(index) === index) { event.scene = index; }
    push(event);
  }
  document.addEventListener("click", function (e) {
    var target = e.target && e.target.closest ? e.target.closest("[data-cta], .cta") : null;
    if (target) { cta(); }
  }, true);

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flushOnHide(); }
  });
  window.addEventListener("pagehide", flushOnHide);
  setTimeout(flush, 1000); // the open event, soon
  setInterval(flush, FLUSH_MS);
  window.smartvideoBeacon = {viewId: viewId, cta: cta, chapter: chapter, flush: flush,
                             pending: function () { return pending.length + queue.length; },
                             counted: function () { return counted; }};
})();
