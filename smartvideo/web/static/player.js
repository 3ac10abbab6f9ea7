/* The player page: wait for the render (polling /status), play the HLS stream as soon as scene 1
   is in (hls.js where the browser has no native HLS), or the finished MP4 when it is ready. */
(function () {
  "use strict";
  var sv = window.smartvideo || {};
  var video = document.getElementById("player");
  var stage = document.getElementById("stage");
  var fill = document.getElementById("progress");
  var retryButton = document.getElementById("retry");
  var unmute = document.getElementById("unmute");
  var source = video.getAttribute("src") ? "mp4" : null;
  var hls = null;
  var captionsAdded = !!video.querySelector("track");
  var pollDelay = 400;
  var resumeAt = 0;

  function setState(state) { stage.setAttribute("data-state", state); }

  function start() {
    var played = video.play();
    if (played && played.catch) {
      played.catch(function () { /* autoplay refused: the controls are there */ });
    }
    if (video.muted) { unmute.hidden = false; }
  }

  function addCaptions(url) {
    if (captionsAdded || !url) { return; }
    captionsAdded = true;
    var track = document.createElement("track");
    track.kind = "captions"; track.srclang = "en"; track.label = "Captions"; track.src = url; track.default = true;
    video.appendChild(track);
  }

  function playMp4(status) {
    source = "mp4";
    video.src = status.video;
    if (resumeAt > 0) {
      video.addEventListener("loadedmetadata", function () { video.currentTime = resumeAt; }, { once: true });
    }
    addCaptions(status.captions);
    setState("playing");
    start();
  }

  function playHls(url) {
    // hls.js (Media Source Extensions) first, as its documentation advises: recent Chromium
    // answers canPlayType("application/vnd.apple.mpegurl") yet cannot play a growing playlist of
    // MPEG-TS segments. Native HLS is for browsers without MSE (older iOS Safari).
    if (window.Hls && window.Hls.isSupported()) {
      // EVENT playlist: start at the beginning, not at the live edge, and keep polling for scenes.
      hls = new window.Hls({ startPosition: 0, manifestLoadingMaxRetry: 6, levelLoadingMaxRetry: 6,
                             fragLoadingMaxRetry: 6 });
      hls.loadSource(url);
      hls.attachMedia(video);
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) { fallBack(); }
      });
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
    } else {
      return false;
    }
    source = "hls";
    setState("playing");
    start();
    return true;
  }

  // The stream failed: wait for the finished MP4 and continue from the same moment.
  function fallBack() {
    if (source !== "hls") { return; }
    resumeAt = video.currentTime || 0;
    if (hls) { hls.destroy(); hls = null; }
    source = "failed-hls";
    poll();
  }

  function show(status) {
    if (fill) { fill.style.width = Math.round((status.progress || 0) * 100) + "%"; }
    if (status.duration) { sv.duration = status.duration; }
    if (status.status === "failed") {
      setState("failed");
      return false;
    }
    if ((!source || source === "failed-hls") && status.video) {
      playMp4(status);
    } else if (!source && status.playlist) {
      playHls(status.playlist);
    } else if (!source) {
      setState(status.status);
    }
    if (status.status === "ready" && source !== "failed-hls") {
      addCaptions(status.captions);
      return false;  // nothing more to wait for
    }
    return true;
  }

  function poll() {
    fetch(sv.statusUrl, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { status: "failed" }; })
      .then(function (status) { if (show(status)) { setTimeout(poll, pollDelay); } })
      .catch(function () { setTimeout(poll, 2000); });  // offline for a moment: keep trying
  }

  retryButton.addEventListener("click", function () {
    setState("queued");
    fetch(sv.retryUrl, { method: "POST", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (status) { if (show(status)) { setTimeout(poll, pollDelay); } });
  });

  video.addEventListener("error", function () { fallBack(); });
  unmute.addEventListener("click", function () { video.muted = false; unmute.hidden = true; video.play(); });
  video.addEventListener("volumechange", function () { if (!video.muted) { unmute.hidden = true; } });

  if (source === "mp4") {
    setState("playing");
    start();
  } else if (sv.status && show(sv.status)) {
    setTimeout(poll, sv.status.playlist ? 0 : pollDelay);
  }
})();
