/* The player page: wait for the render (polling /status), play the HLS stream as soon as scene 1
   is in (hls.js where the browser has no native HLS), or the finished MP4 when it is ready.
   Over the video: the story's call to action (a real link, counted once per view), chapters,
   a transcript from the captions. Runs before beacon.js: it publishes window.smartvideo. */
(function () {
  "use strict";
  var configElement = document.getElementById("smartvideo-config");
  var sv = configElement ? JSON.parse(configElement.textContent) : {};
  window.smartvideo = sv;

  var video = document.getElementById("player");
  var stage = document.getElementById("stage");
  var fill = document.getElementById("progress");
  var bar = document.getElementById("progressbar");
  var retryButton = document.getElementById("retry");
  var unmute = document.getElementById("unmute");
  var ctaLink = document.getElementById("cta");
  var endcard = document.getElementById("endcard");
  var endcardCta = document.getElementById("endcard-cta");
  var chapterNav = document.getElementById("chapters");
  var chapterList = document.getElementById("chapter-list");
  var transcript = document.getElementById("transcript");
  var transcriptText = document.getElementById("transcript-text");
  var source = video.getAttribute("src") ? "mp4" : null;
  var hls = null;
  var captionsAdded = !!video.querySelector("track[kind=captions]");
  var chaptersAdded = false;
  var cta = null;
  var ctaCounted = false;
  var polling = false;
  var pageStarted = Date.now();
  var resumeAt = 0;

  function setState(state) { stage.setAttribute("data-state", state); }

  // Poll fast while the customer waits for the first frame (a status answer costs the server
  // about a millisecond), calmly once the video plays.
  function pollDelay() { return source === "hls" || source === "mp4" ? 1000 : 100; }

  function start() {
    var played = video.play();
    if (played && played.catch) {
      played.catch(function () { /* autoplay refused: the controls are there */ });
    }
  }

  // ---- progress: the server's figure, and a slow creep while the plan is made (it reports late)
  function showProgress(progress) {
    var waited = (Date.now() - pageStarted) / 1000;
    var creep = 0.12 * (1 - Math.exp(-waited / 3));
    var shown = Math.round(Math.max(progress || 0, creep) * 100);
    if (fill) { fill.style.width = shown + "%"; }
    if (bar) { bar.setAttribute("aria-valuenow", String(shown)); }
  }

  // ---- sources -------------------------------------------------------------------------------
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
    if (typeof url !== "string") { return false; }
    // hls.js (Media Source Extensions) first, as its documentation advises: recent Chromium
    // answers canPlayType("application/vnd.apple.mpegurl") yet cannot play a growing playlist of
    // MPEG-TS segments. Native HLS is for browsers without MSE (older iOS Safari).
    if (window.Hls && window.Hls.isSupported()) {
      // An EVENT playlist: start at the beginning, not at the live edge; fetch the first segment
      // while the playlist is parsed; keep polling for the next scenes.
      hls = new window.Hls({ startPosition: 0, startFragPrefetch: true, liveSyncDurationCount: 1, enableWorker: false,
                             manifestLoadingMaxRetry: 6, levelLoadingMaxRetry: 6, fragLoadingMaxRetry: 6 });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) { fallBack(); }
      });
      hls.attachMedia(video);
      hls.loadSource(url);
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

  // The stream failed (or its render was taken over by another worker): wait for the finished
  // MP4 and continue from the same moment.
  function fallBack() {
    if (source !== "hls") { return; }
    resumeAt = video.currentTime || 0;
    if (hls) { hls.destroy(); hls = null; }
    source = "failed-hls";
    schedule(0);
  }

  // ---- chapters, call to action, transcript (once the video is made) -------------------------
  function formatTime(t) {
    var s = Math.floor(t);
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }

  function addChapters(status) {
    if (chaptersAdded || !status.chapters || !status.chapterList) { return; }
    chaptersAdded = true;
    var track = document.createElement("track");
    track.kind = "chapters"; track.srclang = "en"; track.label = "Chapters"; track.src = status.chapters;
    video.appendChild(track);
    status.chapterList.forEach(function (chapter) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = chapter.title + " (" + formatTime(chapter.start) + ")";
      button.setAttribute("data-start", String(chapter.start));
      button.addEventListener("click", function () {
        video.currentTime = chapter.start;
        start();
        if (window.smartvideoBeacon && window.smartvideoBeacon.chapter) {
          window.smartvideoBeacon.chapter(chapter.start, chapter.scene);  // the scene the chapter starts
        }
      });
      item.appendChild(button);
      chapterList.appendChild(item);
    });
    chapterNav.hidden = false;
  }

  function markChapter() {
    if (!chaptersAdded) { return; }
    var buttons = chapterList.querySelectorAll("button");
    var current = -1;
    for (var i = 0; i < buttons.length; i++) {
      if (video.currentTime + 0.05 >= parseFloat(buttons[i].getAttribute("data-start"))) { current = i; }
    }
    for (var j = 0; j < buttons.length; j++) {
      buttons[j].setAttribute("aria-current", j === current ? "true" : "false");
    }
  }

  function setCta(value) {
    if (!value || cta) { return; }
    cta = value;
    [ctaLink, endcardCta].forEach(function (link) {
      link.href = cta.url;
      link.textContent = cta.label;
    });
    endcardCta.hidden = false;
    if (cta.box && cta.box.length === 4) {
      // Over the button drawn in the video: the pixels themselves become the link.
      ctaLink.classList.add("over-drawn");
      ctaLink.style.left = (cta.box[0] * 100) + "%";
      ctaLink.style.top = (cta.box[1] * 100) + "%";
      ctaLink.style.width = (cta.box[2] * 100) + "%";
      ctaLink.style.height = (cta.box[3] * 100) + "%";
    }
    showCta();
  }

  function showCta() {
    if (!cta) { return; }
    ctaLink.hidden = !(video.currentTime >= cta.start && !video.ended && endcard.hidden);
  }

  function ctaClicked() {
    if (ctaCounted) { return; }  // one CTA event per view, whichever of the two links is used
    ctaCounted = true;
    if (window.smartvideoBeacon && window.smartvideoBeacon.cta) { window.smartvideoBeacon.cta(video.currentTime); }
  }

  function loadTranscript(url) {
    if (!url || !transcript.hidden) { return; }
    fetch(url, { cache: "force-cache" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (text) {
      var lines = [];
      text.split(/\r?\n\r?\n/).forEach(function (block) {
        var rows = block.split(/\r?\n/);
        var at = rows.findIndex(function (row) { return row.indexOf("-->") >= 0; });
        if (at >= 0) { lines.push(rows.slice(at + 1).join(" ")); }
      });
      if (!lines.length) { return; }
      transcriptText.textContent = "";
      lines.forEach(function (line) {
        var p = document.createElement("p");
        // Cue text is escaped WebVTT: decode its entities as text, never as HTML.
        p.textContent = line.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
        transcriptText.appendChild(p);
      });
      transcript.hidden = false;
    }).catch(function () { /* the transcript is extra: the captions still work */ });
  }

  // ---- status --------------------------------------------------------------------------------
  function show(status) {
    if (status.status === "queued" || status.status === "rendering") { showProgress(status.progress); }
    if (status.duration) { sv.duration = status.duration; }
    if (status.status === "failed") {
      if (hls) { hls.destroy(); hls = null; }
      source = null;
      setState("failed");
      return false;
    }
    if ((!source || source === "failed-hls") && status.video) {
      playMp4(status);
    } else if (!source && typeof status.playlist === "string") {
      playHls(status.playlist);
    } else if (!source) {
      setState(status.status);
    }
    if (status.status === "ready" && source !== "failed-hls") {
      addCaptions(status.captions);
      addChapters(status);
      setCta(status.cta);
      loadTranscript(status.captions);
      return false;  // nothing more to wait for
    }
    return true;
  }

  function schedule(delay) {
    if (polling) { return; }
    polling = true;
    setTimeout(function () { polling = false; poll(); }, delay);
  }

  function poll() {
    fetch(sv.statusUrl, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { status: "failed" }; })
      .then(function (status) { if (show(status)) { schedule(pollDelay()); } })
      .catch(function () { schedule(2000); });  // offline for a moment: keep trying
  }

  retryButton.addEventListener("click", function () {
    pageStarted = Date.now();
    setState("queued");
    showProgress(0);
    fetch(sv.retryUrl, { method: "POST", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { status: "failed" }; })
      .then(function (status) { if (show(status)) { schedule(pollDelay()); } })
      .catch(function () { setState("failed"); });
  });

  [ctaLink, endcardCta].forEach(function (link) { link.addEventListener("click", ctaClicked); });
  document.getElementById("replay").addEventListener("click", function () {
    endcard.hidden = true;
    video.currentTime = 0;
    start();
    video.focus();
  });
  video.addEventListener("error", function () { fallBack(); });
  video.addEventListener("playing", function () {
    // Only a playing, muted video needs the hint: never while the page is still preparing.
    unmute.hidden = !video.muted;
  });
  video.addEventListener("timeupdate", function () { showCta(); markChapter(); });
  video.addEventListener("seeked", function () { endcard.hidden = true; showCta(); });
  video.addEventListener("ended", function () {
    endcard.hidden = false;
    ctaLink.hidden = true;
    (cta ? endcardCta : document.getElementById("replay")).focus();
  });
  unmute.addEventListener("click", function () { video.muted = false; unmute.hidden = true; start(); });
  video.addEventListener("volumechange", function () { if (!video.muted) { unmute.hidden = true; } });

  if (sv.status) { showProgress(sv.status.progress); }
  if (source === "mp4") {
    setState("playing");
    start();
    show(sv.status || {});
  } else if (sv.status && show(sv.status)) {
    schedule(0);  // the page may be a moment old: ask at once
  }
})();
